// `musicfs sync` as users run it (through cac and register(), as cmd/musicfs.ts wires it):
// exit codes 0/1/2, --json, --dry-run output, remote with a token from the environment.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { startSyncServer, type SyncServerHandle } from "../../internal/sync/remote/h2c-server.ts";
import { randomBytes, tempDir, treeDiff, write } from "./helpers.ts";

const ENTRY = path.join(import.meta.dir, "cli-entry.ts");
let root = "";
let server: SyncServerHandle;

function run(args: string[], env: Record<string, string> = {}): { code: number; out: string; err: string } {
  const r = Bun.spawnSync([process.execPath, ENTRY, ...args], { env: { ...process.env, CI: "1", ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

/** Async spawn: the sync server runs in this process and must keep serving meanwhile. */
async function runAsync(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn([process.execPath, ENTRY, ...args], { env: { ...process.env, CI: "1", ...env }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

beforeAll(async () => {
  root = tempDir("musicfs-cli-");
  fs.mkdirSync(path.join(root, "export"));
  server = await startSyncServer({ lib: path.join(root, "export") }, "s3cret");
});
afterAll(async () => {
  await server.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe("musicfs sync (CLI)", () => {
  test("usage errors exit 2 with a message", () => {
    expect(run(["sync", path.join(root, "nope"), path.join(root, "x")])).toMatchObject({ code: 2 });
    expect(run(["sync", path.join(root, "nope"), path.join(root, "x")]).err).toContain("no such file or folder");
    expect(run(["sync", "musicfs://a:1/x", "musicfs://b:2/y"]).err).toContain("at most one side");
    expect(run(["sync", root, "musicfs://host/x"]).code).toBe(2);
    expect(run(["sync", root, path.join(root, "y"), "--avg", "1000"]).code).toBe(2);
    expect(run(["sync", root]).err).toContain("expected SRC and DST");
  });

  test("a local sync exits 0, --json has the stats, --dry-run lists the plan", () => {
    const src = path.join(root, "src");
    const dst = path.join(root, "dst");
    write(src, "a/one.flac", randomBytes(300_000, 1), 1_600_000_000);
    write(src, "two.flac", randomBytes(1000, 2), 1_600_000_000);
    const dry = run(["sync", "--dry-run", src, dst]);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain("new      a/one.flac");
    expect(dry.out).toContain("dry run: nothing was changed");
    expect(fs.existsSync(dst)).toBe(false);
    const r = run(["sync", "--json", src, dst]);
    expect(r.code).toBe(0);
    const stats = JSON.parse(r.out);
    expect(stats.schema).toBe(1);
    expect(stats.files).toMatchObject({ total: 2, new: 2 });
    expect(stats.bytes.total).toBe(301_000);
    expect(treeDiff(src, dst)).toEqual([]);
    expect(run(["sync", src, dst]).out).toContain("2 unchanged");
  });

  test("a sync with failed files exits 1 and lists them", () => {
    const src = path.join(root, "src1");
    const dst = path.join(root, "dst1");
    write(src, "d/f.flac", "x");
    fs.mkdirSync(dst, { recursive: true });
    fs.writeFileSync(path.join(dst, "d"), "a file where a folder should be");
    const r = run(["sync", src, dst]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("musicfs sync: d/f.flac:");
  });

  test("remote push and pull with MUSICFS_TOKEN; a wrong token exits 1 with a clear message", async () => {
    const src = path.join(root, "rsrc");
    write(src, "x/song.flac", randomBytes(500_000, 3), 1_600_000_000);
    const url = `${server.url("lib")}/cli`;
    const push = await runAsync(["sync", "--json", src, url], { MUSICFS_TOKEN: "s3cret" });
    expect(push.code).toBe(0);
    expect(JSON.parse(push.out).wire.sent).toBeGreaterThan(500_000);
    const back = path.join(root, "back");
    const pull = await runAsync(["sync", url, back, "--token", "s3cret"]);
    expect(pull.code).toBe(0);
    expect(treeDiff(src, back)).toEqual([]);
    const bad = await runAsync(["sync", src, url], { MUSICFS_TOKEN: "wrong" });
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("invalid bearer token");
    expect(bad.err).not.toContain("    at "); // a message, not a stack trace
    const down = await runAsync(["sync", src, "musicfs://127.0.0.1:1/lib"]);
    expect(down.code).toBe(1);
    expect(down.err).toStartWith("musicfs sync: musicfs://127.0.0.1:1/lib:");
  });
});
