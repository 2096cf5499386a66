// `musicfs serve` as a process: ready line, auth flags, Unix socket, clean exit on signals.
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { MusicFS } from "../../proto/gen/musicfs/v1/musicfs_pb.ts";
import { syncToRemote } from "../../internal/sync/index.ts";
import { BUN, bearer, clientFor, REPO, tempDir } from "./helpers.ts";
import { firstLine } from "../helpers.ts";

const MAIN = path.join(import.meta.dir, "serve-main.ts");
const dirs: string[] = [];
const procs: Bun.Subprocess[] = [];
afterAll(() => {
  for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

interface Served {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  ready: string;
  stderr: () => Promise<string>;
}

/** Starts serve and resolves with its first stdout line (the ready line). */
async function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const proc = Bun.spawn([BUN, MAIN, "serve", ...args], { cwd: REPO, stdout: "pipe", stderr: "pipe", env: { ...process.env, MUSICFS_TOKEN: "", ...env } });
  procs.push(proc);
  return { proc, ready: await firstLine(proc.stdout), stderr: () => new Response(proc.stderr).text() };
}

describe("musicfs serve", () => {
  test("--json ready line, a real call, SIGTERM drains and exits 0", async () => {
    const s = await serve(["--listen", "127.0.0.1:0", "--json"]);
    const ready = JSON.parse(s.ready);
    expect(ready).toMatchObject({ event: "ready", protocols: ["grpc", "grpc-web", "connect"], auth: "none", catalog: null });
    expect(ready.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const st = await clientFor(MusicFS, ready.address, "grpc").getStatus({});
    expect(st.version).not.toBe("");
    // No --db: Search says the catalog is missing rather than returning nothing.
    const err = await clientFor(MusicFS, ready.address, "connect-h1").search({ query: "x" }).catch((e) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.Unavailable);
    s.proc.kill("SIGTERM");
    expect(await s.proc.exited).toBe(0);
    expect(await s.stderr()).toContain("SIGTERM: draining and stopping");
  });

  test("a plain-text ready line names the address and the auth mode", async () => {
    const s = await serve(["--listen", "127.0.0.1:0"]);
    expect(s.ready).toMatch(/^musicfs serve: listening on http:\/\/127\.0\.0\.1:\d+ \(gRPC, gRPC-Web, Connect; auth none, loopback only; no catalog/);
    s.proc.kill("SIGINT");
    expect(await s.proc.exited).toBe(0);
  });

  test("a non-loopback address without a token is a usage error (exit 2)", async () => {
    const p = Bun.spawn([BUN, MAIN, "serve", "--listen", "0.0.0.0:0"], { cwd: REPO, stdout: "pipe", stderr: "pipe", env: { ...process.env, MUSICFS_TOKEN: "" } });
    expect(await p.exited).toBe(2);
    expect(await new Response(p.stderr).text()).toContain("set a token with MUSICFS_TOKEN or --token");
  });

  test("MUSICFS_TOKEN and --token (kept exactly as typed, even if it looks like a number)", async () => {
    const a = await serve(["--listen", "0.0.0.0:0", "--json"], { MUSICFS_TOKEN: "env-token-abc" });
    const ra = JSON.parse(a.ready);
    expect(ra.auth).toBe("token");
    expect(JSON.stringify(ra)).not.toContain("env-token-abc");
    const url = ra.address.replace("0.0.0.0", "127.0.0.1");
    expect((await clientFor(MusicFS, url, "grpc", [bearer("env-token-abc")]).getStatus({})).version).not.toBe("");
    a.proc.kill("SIGTERM");
    expect(await a.proc.exited).toBe(0);
    expect(await a.stderr()).not.toContain("env-token-abc");

    const b = await serve(["--listen", "127.0.0.1:0", "--json", "--token", "00123"]);
    const rb = JSON.parse(b.ready);
    expect((await clientFor(MusicFS, rb.address, "grpc", [bearer("00123")]).getStatus({})).version).not.toBe("");
    const bad = await clientFor(MusicFS, rb.address, "grpc", [bearer("123")]).getStatus({}).catch((e) => ConnectError.from(e));
    expect((bad as ConnectError).code).toBe(Code.Unauthenticated);
    b.proc.kill("SIGTERM");
    expect(await b.proc.exited).toBe(0);
  });

  test("unix:PATH, Shutdown over the socket stops the process and removes the socket", async () => {
    const dir = tempDir("musicfs-serve-");
    dirs.push(dir);
    const sock = path.join(dir, "musicfs.sock");
    const s = await serve(["--listen", `unix:${sock}`, "--json"]);
    expect(JSON.parse(s.ready).address).toBe(`unix:${sock}`);
    await clientFor(MusicFS, `unix:${sock}`, "grpc").shutdown({ graceful: true });
    expect(await s.proc.exited).toBe(0);
    expect(await s.stderr()).toContain("Shutdown RPC: draining and stopping");
    expect(fs.existsSync(sock)).toBe(false);
  });

  test("a port already in use exits 1 with the reason", async () => {
    const a = await serve(["--listen", "127.0.0.1:0", "--json"]);
    const taken = JSON.parse(a.ready).address.replace("http://", "");
    const p = Bun.spawn([BUN, MAIN, "serve", "--listen", taken], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
    expect(await p.exited).toBe(1);
    expect(await new Response(p.stderr).text()).toContain(`cannot listen on ${taken}`);
    a.proc.kill("SIGTERM");
    expect(await a.proc.exited).toBe(0);
  });

  test("--export: the sync service on the same port, behind the same token", async () => {
    const dir = tempDir("musicfs-serve-sync-");
    dirs.push(dir);
    const src = path.join(dir, "src");
    fs.mkdirSync(path.join(src, "Album"), { recursive: true });
    fs.writeFileSync(path.join(src, "Album", "01.flac"), Buffer.alloc(200_000, 7));
    const s = await serve(["--listen", "127.0.0.1:0", "--json", "--export", `music=${path.join(dir, "dst")}`], { MUSICFS_TOKEN: "sync-token-1" });
    const ready = JSON.parse(s.ready);
    expect(ready.exports).toEqual(["music"]);
    const url = `musicfs://${ready.address.replace("http://", "")}/music`;
    const denied = await syncToRemote(src, url, {}).then(
      () => null,
      (e: Error) => e,
    );
    expect(denied?.message).toMatch(/token/i);
    await syncToRemote(src, url, { token: "sync-token-1" });
    expect(fs.readFileSync(path.join(dir, "dst", "Album", "01.flac")).equals(Buffer.alloc(200_000, 7))).toBe(true);
    // The search API still answers on the same port.
    expect((await clientFor(MusicFS, ready.address, "grpc", [bearer("sync-token-1")]).getStatus({})).version).not.toBe("");
    s.proc.kill("SIGTERM");
    expect(await s.proc.exited).toBe(0);
  });

  test("bad --export values are usage errors", async () => {
    for (const spec of ["music", "=/x", "a/b=/x"]) {
      const p = Bun.spawn([BUN, MAIN, "serve", "--listen", "127.0.0.1:0", "--export", spec], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
      expect(await p.exited).toBe(2);
      expect(await new Response(p.stderr).text()).toContain("expected NAME=PATH");
    }
  });

  test("bad --listen values are usage errors", async () => {
    for (const [listen, msg] of [
      ["/tmp/x.sock", "write unix:/tmp/x.sock"],
      ["localhost", "expected HOST:PORT"],
      ["127.0.0.1:99999", "port must be"],
    ]) {
      const p = Bun.spawn([BUN, MAIN, "serve", "--listen", listen], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
      expect(await p.exited).toBe(2);
      expect(await new Response(p.stderr).text()).toContain(msg);
    }
  });
});
