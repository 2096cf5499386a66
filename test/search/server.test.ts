// `musicfs search --server URL`: the same table and JSON as the local path, through a server
// started here on 127.0.0.1 port 0 (and a Unix socket); tokens; errors.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { openCatalog, scanLibrary } from "../../internal/catalog/index.ts";
import { catalogBackend, registerMusicfsServices, startServer, type RunningServer } from "../../internal/rpc/index.ts";
import { generateLibrary } from "../../internal/samplelib/index.ts";

const REPO = path.resolve(import.meta.dir, "../..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-search-server-"));
const entry = path.join(dir, "entry.ts");
fs.writeFileSync(
  entry,
  `import { cac } from ${JSON.stringify(path.join(REPO, "node_modules/cac/dist/index.js"))};
import { register as search } from ${JSON.stringify(path.join(REPO, "cmd/search.ts"))};
const cli = cac("musicfs"); search(cli);
cli.parse(process.argv, { run: false });
try { await cli.runMatchedCommand(); } catch (e) { process.stderr.write(String((e as Error).message) + "\\n"); process.exitCode = 2; }
`,
);

const TOKEN = "s3cret-token";
const dbPath = path.join(dir, "catalog.db");
let db: Database;
let open: RunningServer;
let locked: RunningServer;
let unix: RunningServer;

beforeAll(async () => {
  generateLibrary(path.join(dir, "lib"), { artists: 4, albumsPerArtist: 2, tracksPerAlbum: 3, trackBytes: 3000 });
  db = openCatalog(dbPath);
  await scanLibrary(db, [path.join(dir, "lib")]);
  const services = (r: Parameters<typeof registerMusicfsServices>[0]) => registerMusicfsServices(r, { backend: catalogBackend(db) });
  open = await startServer({ listen: "127.0.0.1:0", services });
  locked = await startServer({ listen: "127.0.0.1:0", token: TOKEN, services });
  unix = await startServer({ listen: `unix:${path.join(dir, "s.sock")}`, services });
});

afterAll(async () => {
  await Promise.all([open?.close(), locked?.close(), unix?.close()]);
  db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Spawned asynchronously: the servers live in this process and must keep answering. */
async function run(args: string[], env: Record<string, string> = {}) {
  const { MUSICFS_TOKEN: _, ...base } = process.env;
  const p = Bun.spawn([process.execPath, entry, ...args], { env: { ...base, CI: "1", ...env }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

/** The table without its last line (timings differ between the two paths). */
const body = (out: string) => out.trimEnd().split("\n").slice(0, -1).join("\n");

describe("musicfs search --server", () => {
  test("the table equals the local one; the footer says where the time went", async () => {
    for (const q of ["bjork", "year:1970..2030 -sigur", "path:hostile"]) {
      const local = await run(["search", "--db", dbPath, "--", q]);
      const remote = await run(["search", "--server", open.address, "--", q]);
      expect(remote.code).toBe(0);
      expect(local.code).toBe(0);
      expect(body(remote.out)).toBe(body(local.out));
      expect(remote.out).toMatch(/ms on the server, [\d.]+ ms round trip\)\n$/);
    }
  });

  test("--json: the local shape (hits with the tags the API carries), paging applied", async () => {
    const local = JSON.parse((await run(["search", "--db", dbPath, "--json", "--limit", "3", "--offset", "1", "bjork", "OR", "sigur"])).out);
    const remote = JSON.parse((await run(["search", "--server", open.address, "--json", "--limit", "3", "--offset", "1", "bjork", "OR", "sigur"])).out);
    expect(remote).toMatchObject({ schema: 1, query: "bjork OR sigur", total: local.total, ranked: local.ranked, offset: 1, limit: 3, server: open.address });
    expect(remote.hits.length).toBe(3);
    const keys = ["id", "path", "title", "artist", "album", "albumArtist", "genre", "year", "trackNo", "discNo", "format", "durationMs", "bitrate"];
    const pick = (h: Record<string, unknown>) => Object.fromEntries(keys.map((k) => [k, h[k]]));
    expect(remote.hits.map(pick)).toEqual(local.hits.map(pick));
    expect(remote.hits[0].score).toBeCloseTo(local.hits[0].score, 3);
  });

  test("over a Unix socket", async () => {
    const r = await run(["search", "--server", unix.address, "--json", "bjork"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).total).toBeGreaterThan(0);
  });

  test("a token from MUSICFS_TOKEN or --token; without it exit 1 with a hint", async () => {
    const none = await run(["search", "--server", locked.address, "bjork"]);
    expect(none.code).toBe(1);
    expect(none.err).toContain("MUSICFS_TOKEN");
    expect(none.err).not.toContain(TOKEN);
    expect((await run(["search", "--server", locked.address, "bjork"], { MUSICFS_TOKEN: TOKEN })).code).toBe(0);
    expect((await run(["search", "--server", locked.address, "--token", TOKEN, "bjork"])).code).toBe(0);
    expect((await run(["search", "--server", locked.address, "--token", "wrong", "bjork"])).code).toBe(1);
  });

  test("a query error shows the server's position with a caret and exits 2", async () => {
    const r = await run(["search", "--server", open.address, "year:[1980 TO 19x9]"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("'19x9' is not a number (at position 14)");
    expect(r.err).toContain("  year:[1980 TO 19x9]\n                ^");
  });

  test("usage errors exit 2; an unreachable server exits 1", async () => {
    expect((await run(["search", "--server", open.address, "--db", dbPath, "x"])).code).toBe(2);
    expect((await run(["search", "--server", open.address, "--sort", "year", "x"])).code).toBe(2);
    expect((await run(["search", "--server", "ftp://host", "x"])).code).toBe(2);
    const closed = await startServer({ listen: "127.0.0.1:0", services: [] });
    await closed.close();
    const r = await run(["search", "--server", closed.address, "x"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("cannot reach");
  });
});
