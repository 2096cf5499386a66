// `scan` and `search` subcommands through a minimal cac entry (cmd/musicfs.ts is wired elsewhere).
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateLibrary } from "../../internal/samplelib/index.ts";

const REPO = path.resolve(import.meta.dir, "../..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-cli-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const entry = path.join(dir, "entry.ts");
fs.writeFileSync(
  entry,
  `import { cac } from ${JSON.stringify(path.join(REPO, "node_modules/cac/dist/index.js"))};
import { register as scan } from ${JSON.stringify(path.join(REPO, "cmd/scan.ts"))};
import { register as search } from ${JSON.stringify(path.join(REPO, "cmd/search.ts"))};
const cli = cac("musicfs"); scan(cli); search(cli);
cli.parse(process.argv, { run: false });
try { await cli.runMatchedCommand(); } catch (e) { process.stderr.write(String((e as Error).message) + "\\n"); process.exitCode = 2; }
`,
);

function run(...args: string[]) {
  const r = Bun.spawnSync([process.execPath, entry, ...args], { env: { ...process.env, CI: "1" }, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

const lib = path.join(dir, "lib");
generateLibrary(lib, { artists: 3, albumsPerArtist: 1, tracksPerAlbum: 2, trackBytes: 3000 });
const db = path.join(dir, "catalog.db");

describe("musicfs scan / search", () => {
  test("scan prints a summary and exits 0 even with an unreadable tag", () => {
    const r = run("scan", lib, "--db", db);
    expect(r.code).toBe(0);
    expect(r.out).toContain("added 10");
    expect(r.out).toContain("1 file(s) with unreadable tags");
  });

  test("scan --json; a missing root exits 1 and removes nothing", () => {
    const r = run("scan", lib, path.join(dir, "missing"), "--db", db, "--json");
    expect(r.code).toBe(1);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ schema: 1, scanned: 10, unchanged: 10, removed: 0, tracks: 10 });
    expect(s.errors[0].path).toBe(path.join(dir, "missing"));
    expect(r.err).toContain("missing");
  });

  test("search prints a table with control characters neutralised", () => {
    const r = run("search", "path:hostile", "--db", db, "--sort", "title");
    expect(r.code).toBe(0);
    expect(r.out).toContain("Control?Chars");
    expect(r.out).not.toContain("\x01");
    expect(r.out).toContain("of 3");
  });

  test("search --json with paging; words are joined into one query", () => {
    const r = run("search", "bjork", "OR", "sigur", "--db", db, "--json", "--limit", "1", "--offset", "1");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ query: "bjork OR sigur", total: 4, offset: 1, limit: 1 });
    expect(j.hits.length).toBe(1);
  });

  test("a query error shows a caret and exits 2", () => {
    const r = run("search", "year:[1980 TO 19x9]", "--db", db);
    expect(r.code).toBe(2);
    expect(r.err).toContain("'19x9' is not a number (at position 14)");
    expect(r.err).toContain("  year:[1980 TO 19x9]\n                ^");
  });

  test("bad options exit 2; a missing catalog exits 1", () => {
    expect(run("search", "x", "--db", db, "--sort", "nope").code).toBe(2);
    expect(run("search", "x", "--db", db, "--limit", "-3").code).toBe(2);
    expect(run("search", "x", "--db", path.join(dir, "none.db")).code).toBe(1);
  });

  test("a leading '-' goes after '--'", () => {
    const r = run("search", "--db", db, "--json", "--", "-bjork", "-sigur");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).total).toBe(10 - 4);
  });
});
