// `musicfs serve --config`: ListOrigins, GetOriginHealth, GetCacheStats and ClearCache, over gRPC
// and over Connect JSON (fetch and curl, as an operator would call them), from configs with
// healthy local origins, a local origin whose folder disappears, and remote origins nobody listens
// for (whose credentials must never show). Without --config the same methods stay UNIMPLEMENTED.
import { afterAll, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { HealthStatus, MusicFS } from "../../proto/gen/musicfs/v1/musicfs_pb.ts";
import { CachedReader } from "../../internal/cas/cached-reader.ts";
import { ChunkStore } from "../../internal/cas/store.ts";
import { loadConfig } from "../../internal/config/index.ts";
import { createRouter, type TrackRef } from "../../internal/origins/index.ts";
import { originsBackend } from "../../internal/rpc/index.ts";
import { BUN, clientFor, connectJsonArgs, curl, haveCurl, REPO, startTestServer, tempDir } from "./helpers.ts";
import { firstLine } from "../helpers.ts";

const MAIN = path.join(import.meta.dir, "serve-main.ts");
const dir = tempDir("musicfs-origins-api-");
let proc: Bun.Subprocess | null = null;
const procs: Bun.Subprocess[] = [];
afterAll(() => {
  for (const p of [proc, ...procs]) if (p && p.exitCode === null) p.kill("SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts `serve ARGS --json` through the CLI; resolves with the parsed ready line. */
async function startServe(args: string[]): Promise<{ proc: Bun.Subprocess<"ignore", "pipe", "pipe">; ready: { address: string; origins: number | null } }> {
  const p = Bun.spawn([BUN, MAIN, "serve", "--listen", "127.0.0.1:0", "--json", ...args], { cwd: REPO, stdout: "pipe", stderr: "pipe", env: { ...process.env, MUSICFS_TOKEN: "" } });
  procs.push(p);
  const line = await firstLine(p.stdout);
  if (!line) throw new Error(`serve exited before its ready line: ${await new Response(p.stderr).text()}`);
  return { proc: p, ready: JSON.parse(line) };
}

interface JsonReply {
  status: number;
  body: string;
  // biome-ignore lint: JSON of any shape
  json: any;
}

/** One Connect JSON call with fetch. */
async function viaFetch(address: string, method: string, body: unknown): Promise<JsonReply> {
  const res = await fetch(`${address}/musicfs.v1.MusicFS/${method}`, { method: "POST", headers: { "content-type": "application/json", "connect-protocol-version": "1" }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text, json: JSON.parse(text) };
}

/** The same call with curl (fetch when curl is missing, so the assertions still run). */
async function viaCurl(address: string, method: string, body: unknown): Promise<JsonReply> {
  if (!haveCurl) return viaFetch(address, method, body);
  const r = await curl(connectJsonArgs(address, `musicfs.v1.MusicFS/${method}`, body));
  return { status: r.status, body: r.body, json: JSON.parse(r.body) };
}

/** proto3 JSON leaves zero values out and writes 64-bit integers as strings. */
const u64 = (v: unknown): bigint => BigInt((v as string | undefined) ?? 0);

/** A port that refuses connections: bound, then closed. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test("serve --config answers for its origins and the chunk cache; no secret in any reply", async () => {
  const lib = path.join(dir, "lib");
  fs.mkdirSync(lib);
  const secret = "hunter2-never-printed";
  const cfg = path.join(dir, "config.toml");
  fs.writeFileSync(cfg, [
    `cache_dir = "${dir}/state"`,
    "[health]", "timeout_ms = 2000",
    "[[origins]]", 'id = "disk"', 'origin_type = "local"', "priority = 1", `path = "${lib}"`,
    "[[origins]]", 'id = "box"', 'origin_type = "sftp"', "priority = 2", 'host = "127.0.0.1"', `port = ${await closedPort()}`, 'path = "/music"',
    "timeout_ms = 2000", "accept_unknown_host_key = true",
    "[origins.credentials]", 'source = "inline"', 'username = "music"', `password = "${secret}"`, "",
  ].join("\n"), { mode: 0o600 });
  // Two blocks in the cache before serve starts (serve reads nothing itself).
  const store = new ChunkStore({ dir: path.join(dir, "state", "cache"), maxBytes: 1 << 30 });
  store.put(new Uint8Array(1000).fill(1));
  store.put(new Uint8Array(2000).fill(2));
  store.close();

  proc = Bun.spawn([BUN, MAIN, "serve", "--listen", "127.0.0.1:0", "--json", "--config", cfg], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
  const ready = JSON.parse(await firstLine(proc.stdout as ReadableStream<Uint8Array>));
  expect(ready.origins).toBe(2);
  const c = clientFor(MusicFS, ready.address, "grpc");

  const list = await c.listOrigins({});
  const disk = list.origins.find((o) => o.id === "disk")!;
  const box = list.origins.find((o) => o.id === "box")!;
  expect(disk).toMatchObject({ originType: "local", rootPath: lib, health: HealthStatus.HEALTH_HEALTHY });
  expect(box.originType).toBe("sftp");
  expect(box.rootPath).toMatch(/^sftp:\/\/127\.0\.0\.1:\d+\/music$/);
  expect(box.health).not.toBe(HealthStatus.HEALTH_HEALTHY);

  const h = await c.getOriginHealth({ originId: "box" });
  expect(h.status).toBe(HealthStatus.HEALTH_UNHEALTHY);
  expect(h.message ?? "").toMatch(/refused|ECONNREFUSED|connect/i);
  const missing = await c.getOriginHealth({ originId: "nope" }).catch((e) => ConnectError.from(e));
  expect((missing as ConnectError).code).toBe(Code.NotFound);

  const stats = await c.getCacheStats({});
  expect(stats.chunkCount).toBe(2n);
  expect(stats.usedSizeBytes).toBe(3000n);
  expect(stats.sizeLimitBytes).toBe(10n * 1024n ** 3n); // content_cache_gb default 10
  const byOrigin = await c.clearCache({ originId: "disk" }).catch((e) => ConnectError.from(e));
  expect((byOrigin as ConnectError).code).toBe(Code.InvalidArgument);
  expect(await c.clearCache({ clearChunks: true })).toMatchObject({ chunksCleared: 2n, bytesCleared: 3000n });
  expect((await c.getCacheStats({})).chunkCount).toBe(0n);

  const st = await c.getStatus({});
  expect(st.origins.map((o) => o.id).sort()).toEqual(["box", "disk"]);

  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
  const stderr = await new Response(proc.stderr as ReadableStream).text();
  const replies = JSON.stringify(list, (_k, v) => (typeof v === "bigint" ? String(v) : v));
  expect(stderr + replies + (h.message ?? "")).not.toContain(secret);
}, 30_000);

test("serve --config over Connect JSON (fetch and curl): healthy local origins, a vanished one, a dead S3 bucket; cache stats and ClearCache", async () => {
  const root = path.join(dir, "json");
  const [a, b, gone] = ["a", "b", "gone"].map((n) => path.join(root, n));
  for (const d of [a, b, gone]) fs.mkdirSync(d, { recursive: true });
  // 2.5 MiB of incompressible bytes: 3 distinct 1 MiB blocks in the chunk cache once read.
  const track = new Uint8Array(2.5 * 1024 * 1024);
  for (let i = 0; i < track.length; i += 65536) crypto.getRandomValues(track.subarray(i, i + 65536));
  fs.writeFileSync(path.join(a, "track.flac"), track);
  const secretKey = "wJalrXUtnFEMI-never-shown-K7MDENG";
  const accessKey = "AKIAORIGINSAPITEST";
  const cfg = path.join(root, "config.toml");
  fs.writeFileSync(cfg, [
    `cache_dir = "${root}/state"`,
    "[cache]", "content_cache_gb = 1", "cache_local = true",
    // Checked every second; one failure makes an origin unhealthy, for both types used here.
    "[health]", "check_interval_secs = 1", "timeout_ms = 1500", "per_origin_thresholds = { local = 1, s3 = 1 }",
    "[[origins]]", 'id = "a"', 'origin_type = "local"', "priority = 1", `path = "${a}"`,
    "[[origins]]", 'id = "b"', 'origin_type = "local"', "priority = 2", `path = "${b}"`,
    "[[origins]]", 'id = "gone"', 'origin_type = "local"', "priority = 3", `path = "${gone}"`,
    "[[origins]]", 'id = "bucket"', 'origin_type = "s3"', "priority = 4", 'bucket = "music"', `endpoint = "http://127.0.0.1:${await closedPort()}"`, "timeout_ms = 1000",
    `credentials = { source = "inline", access_key_id = "${accessKey}", secret_access_key = "${secretKey}" }`, "",
  ].join("\n"), { mode: 0o600 });

  // A CachedReader reads the track in-process, as a mount would, filling the cache serve will report.
  const config = loadConfig(cfg);
  const router = createRouter(config);
  const store = new ChunkStore({ dir: path.join(config.cacheDir, "cache"), maxBytes: config.cache.maxBytes });
  const cr = new CachedReader<TrackRef>(router, store, { cacheLocal: true, readaheadBytes: 0 });
  const ref: TrackRef = { size: track.length, locations: [{ originId: "a", path: "/track.flac" }] };
  expect(Buffer.from(await cr.read(ref, 0, track.length)).equals(Buffer.from(track))).toBe(true);
  await cr.flush(); // blocks are written to disk off the read path
  expect(store.stats()).toMatchObject({ chunks: 3, sizeBytes: track.length });
  store.close();
  await router.close();

  const s = await startServe(["--config", cfg]);
  expect(s.ready.origins).toBe(4);
  const addr = s.ready.address;
  fs.rmSync(gone, { recursive: true });
  const bodies: string[] = [];
  const call = async (how: typeof viaFetch, method: string, body: unknown) => {
    const r = await how(addr, method, body);
    bodies.push(r.body);
    return r;
  };

  // ListOrigins: the periodic check notices the vanished folder within a couple of seconds.
  let list = await call(viaFetch, "ListOrigins", {});
  for (let i = 0; i < 50 && list.json.origins.find((o: { id: string }) => o.id === "gone").health !== "HEALTH_UNHEALTHY"; i++) {
    await Bun.sleep(100);
    list = await call(viaFetch, "ListOrigins", {});
  }
  expect(list.status).toBe(200);
  const health = Object.fromEntries(list.json.origins.map((o: { id: string; health: string }) => [o.id, o.health]));
  expect(health).toEqual({ a: "HEALTH_HEALTHY", b: "HEALTH_HEALTHY", gone: "HEALTH_UNHEALTHY", bucket: "HEALTH_UNHEALTHY" });
  expect(list.json.origins.find((o: { id: string }) => o.id === "a")).toMatchObject({ originType: "local", rootPath: a, displayName: `local:${a}` });
  expect(list.json.origins.find((o: { id: string }) => o.id === "bucket")).toMatchObject({ originType: "s3", rootPath: "s3://music/" });
  expect((await call(viaCurl, "ListOrigins", {})).json).toEqual(list.json);

  // GetOriginHealth: a fresh probe, with the reason.
  const goneHealth = await call(viaCurl, "GetOriginHealth", { originId: "gone" });
  expect(goneHealth.status).toBe(200);
  expect(goneHealth.json).toMatchObject({ originId: "gone", status: "HEALTH_UNHEALTHY" });
  expect(goneHealth.json.message).toMatch(/ENOENT|no such file/);
  const bucketHealth = await call(viaFetch, "GetOriginHealth", { originId: "bucket" });
  expect(bucketHealth.json).toMatchObject({ originId: "bucket", status: "HEALTH_UNHEALTHY" });
  expect(bucketHealth.json.message).toMatch(/refused|connect/i);
  expect((await call(viaFetch, "GetOriginHealth", { originId: "b" })).json).toMatchObject({ originId: "b", status: "HEALTH_HEALTHY" });
  for (const how of [viaFetch, viaCurl]) {
    const unknown = await call(how, "GetOriginHealth", { originId: "nope" });
    expect([unknown.status, unknown.json.code]).toEqual([404, "not_found"]);
    expect(unknown.json.message).toContain("nope");
  }
  const noId = await call(viaFetch, "GetOriginHealth", {});
  expect([noId.status, noId.json.code]).toEqual([400, "invalid_argument"]);

  // GetCacheStats: the three blocks the reader stored, under a 1 GiB cap; the tiers agree.
  const stats = (await call(viaCurl, "GetCacheStats", {})).json;
  expect(u64(stats.chunkCount)).toBe(3n);
  expect(u64(stats.usedSizeBytes)).toBe(BigInt(track.length));
  expect(u64(stats.sizeLimitBytes)).toBe(1n << 30n);
  expect(u64(stats.usedSizeBytes) <= u64(stats.sizeLimitBytes)).toBe(true);
  expect(u64(stats.l3Chunks.entries)).toBe(u64(stats.chunkCount));
  expect(u64(stats.l3Chunks.sizeBytes)).toBe(u64(stats.usedSizeBytes));
  const lookups = u64(stats.hitCount) + u64(stats.missCount);
  expect(stats.hitRatio ?? 0).toBe(lookups === 0n ? 0 : Number(u64(stats.hitCount)) / Number(lookups));
  expect((await call(viaFetch, "GetCacheStats", {})).json).toEqual(stats);

  // ClearCache honours its fields: metadata only clears nothing (there is no metadata cache),
  // an origin is refused (blocks are shared by content), chunks empties the store.
  expect((await call(viaCurl, "ClearCache", { clearMetadata: true })).json).toEqual({});
  expect(u64((await call(viaFetch, "GetCacheStats", {})).json.chunkCount)).toBe(3n);
  const byOrigin = await call(viaFetch, "ClearCache", { originId: "a", clearChunks: true });
  expect([byOrigin.status, byOrigin.json.code]).toEqual([400, "invalid_argument"]);
  const cleared = await call(viaCurl, "ClearCache", { clearChunks: true });
  expect(cleared.status).toBe(200);
  expect([u64(cleared.json.chunksCleared), u64(cleared.json.bytesCleared)]).toEqual([3n, BigInt(track.length)]);
  const after = (await call(viaFetch, "GetCacheStats", {})).json;
  expect([u64(after.chunkCount), u64(after.usedSizeBytes), u64(after.sizeLimitBytes)]).toEqual([0n, 0n, 1n << 30n]);

  s.proc.kill("SIGTERM");
  expect(await s.proc.exited).toBe(0);
  const stderr = await new Response(s.proc.stderr).text();
  // Empty on disk too, as the next process sees it.
  const reopened = new ChunkStore({ dir: path.join(config.cacheDir, "cache"), maxBytes: config.cache.maxBytes });
  expect(reopened.stats().chunks).toBe(0);
  reopened.close();
  for (const text of [stderr, ...bodies]) {
    expect(text).not.toContain(secretKey);
    expect(text).not.toContain(accessKey);
  }
}, 60_000);

test("without --config the four methods answer Unimplemented (Connect JSON)", async () => {
  const s = await startServe([]);
  expect(s.ready.origins).toBeNull();
  for (const [method, body] of [["ListOrigins", {}], ["GetOriginHealth", { originId: "a" }], ["GetCacheStats", {}], ["ClearCache", { clearChunks: true }]] as const) {
    const r = method === "ListOrigins" ? await viaCurl(s.ready.address, method, body) : await viaFetch(s.ready.address, method, body);
    expect([method, r.status, r.json.code]).toEqual([method, 501, "unimplemented"]);
    expect(r.json.message).toContain("--config");
  }
  s.proc.kill("SIGTERM");
  expect(await s.proc.exited).toBe(0);
}, 30_000);

test("a bad config is a usage error: exit 2 naming the key", async () => {
  const cfg = path.join(dir, "bad.toml");
  fs.writeFileSync(cfg, [`cache_dir = "${dir}/bad-state"`, "[[origins]]", 'id = "x"', 'origin_type = "local"', 'priority = "first"', `path = "${dir}"`, ""].join("\n"), { mode: 0o600 });
  const p = Bun.spawn([BUN, MAIN, "serve", "--listen", "127.0.0.1:0", "--config", cfg], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
  procs.push(p);
  expect(await p.exited).toBe(2);
  expect(await new Response(p.stderr).text()).toMatch(/^musicfs: .*priority/m);
  const missing = Bun.spawn([BUN, MAIN, "serve", "--listen", "127.0.0.1:0", "--config", path.join(dir, "no-such.toml")], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
  procs.push(missing);
  expect(await missing.exited).toBe(2);
  expect(await new Response(missing.stderr).text()).toContain("no-such.toml");
}, 30_000);

test("a cache that cannot be opened: a warning on stderr, and the cache methods answer FailedPrecondition", async () => {
  const root = path.join(dir, "nocache");
  fs.mkdirSync(path.join(root, "lib"), { recursive: true });
  fs.mkdirSync(path.join(root, "state"));
  fs.writeFileSync(path.join(root, "state", "cache"), "a file where the cache directory should be");
  const cfg = path.join(root, "config.toml");
  fs.writeFileSync(cfg, [`cache_dir = "${root}/state"`, "[[origins]]", 'id = "disk"', 'origin_type = "local"', "priority = 1", `path = "${root}/lib"`, ""].join("\n"), { mode: 0o600 });
  const s = await startServe(["--config", cfg]);
  for (const [method, body] of [["GetCacheStats", {}], ["ClearCache", { clearChunks: true }]] as const) {
    const r = await viaFetch(s.ready.address, method, body);
    expect([method, r.status, r.json.code]).toEqual([method, 400, "failed_precondition"]);
    expect(r.json.message).toContain("chunk cache");
  }
  expect((await viaFetch(s.ready.address, "ListOrigins", {})).json.origins).toMatchObject([{ id: "disk", health: "HEALTH_HEALTHY" }]);
  s.proc.kill("SIGTERM");
  expect(await s.proc.exited).toBe(0);
  expect(await new Response(s.proc.stderr).text()).toContain("chunk cache disabled");
}, 30_000);

test("originsBackend: a reader without a store is no cache (not zeros); a password in a share's address never shows", async () => {
  const root = path.join(dir, "unit");
  fs.mkdirSync(path.join(root, "share"), { recursive: true });
  const cfg = path.join(root, "config.toml");
  fs.writeFileSync(cfg, [
    `cache_dir = "${root}/state"`,
    "[[origins]]", 'id = "nas"', 'origin_type = "smb"', "priority = 1", `path = "${root}/share"`, 'remote = "smb://music@nas.lan/music"', "",
  ].join("\n"), { mode: 0o600 });
  const config = loadConfig(cfg);
  // The config refuses a password in `remote`; the API's scrubbing is the second line, for a
  // password that reaches a display name some other way (here, set after loading).
  (config.origins[0] as { remote?: string }).remote = "smb://music:pa55-w0rd@nas.lan/music";
  const router = createRouter(config);
  // What a mount passes when its store could not be opened: a CachedReader over no store.
  const backend = originsBackend(config, router, null, new CachedReader<TrackRef>(router, null));
  expect(backend.cache).toBeNull();
  expect(backend.cacheUnavailable).toContain("could not be opened");
  const server = await startTestServer({ services: { origins: backend } });
  try {
    const stats = await viaFetch(server.address, "GetCacheStats", {});
    expect([stats.status, stats.json.code]).toEqual([400, "failed_precondition"]);
    const list = await viaFetch(server.address, "ListOrigins", {});
    expect(list.body).not.toContain("pa55-w0rd");
    expect(list.json.origins[0].displayName).toBe("SMB: smb://music:[REDACTED]@nas.lan/music");
  } finally {
    await server.close();
    await router.close();
  }
});
