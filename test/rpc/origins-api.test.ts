// `musicfs serve --config`: ListOrigins, GetOriginHealth, GetCacheStats and ClearCache over gRPC,
// from a config with a healthy local origin and an SFTP origin nobody listens for. Without
// --config the same methods stay UNIMPLEMENTED (checked in errors.test.ts).
import { afterAll, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { HealthStatus, MusicFS } from "../../proto/gen/musicfs/v1/musicfs_pb.ts";
import { ChunkStore } from "../../internal/cas/store.ts";
import { BUN, clientFor, REPO, tempDir } from "./helpers.ts";

const MAIN = path.join(import.meta.dir, "serve-main.ts");
const dir = tempDir("musicfs-origins-api-");
let proc: Bun.Subprocess | null = null;
afterAll(() => {
  if (proc && proc.exitCode === null) proc.kill("SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
});

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
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  let line = "";
  while (!line.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    line += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const ready = JSON.parse(line);
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
