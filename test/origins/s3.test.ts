// S3 origin against the npm S3-compatible server s3rver on 127.0.0.1 (path-style, SigV4).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { S3Client } from "bun";
import { CachedReader } from "../../internal/cas/cached-reader.ts";
import { resolveCredentials } from "../../internal/config/credentials.ts";
import { LocalOrigin } from "../../internal/origins/local.ts";
import { Router, type TrackRef } from "../../internal/origins/router.ts";
import { S3Origin } from "../../internal/origins/s3.ts";
import { walk } from "../../internal/origins/walk.ts";
import { type S3Server, startS3 } from "../../scripts/test-servers/s3.ts";

const MiB = 1024 * 1024;
let srv: S3Server;
let data: Uint8Array;
let tmp: string;

beforeAll(async () => {
  srv = await startS3();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-s3t-"));
  data = new Uint8Array(16 * MiB + 4321);
  for (let off = 0; off < data.length; off += 65536) crypto.getRandomValues(data.subarray(off, Math.min(data.length, off + 65536)));
  const c = new S3Client({ endpoint: srv.endpoint, bucket: srv.bucket, accessKeyId: srv.accessKeyId, secretAccessKey: srv.secretAccessKey });
  await c.write("library/Artist/Album/01.flac", data);
  await c.write("library/Artist/small.mp3", "hello s3");
  await c.write("elsewhere/secret.mp3", "not in the origin");
  fs.mkdirSync(path.join(tmp, "Artist", "Album"), { recursive: true });
  fs.writeFileSync(path.join(tmp, "Artist", "Album", "01.flac"), data);
});
afterAll(async () => {
  await srv.stop().catch(() => {});
  fs.rmSync(tmp, { recursive: true, force: true });
});

const SECRET = "S3RVER";
function make(over: Partial<ConstructorParameters<typeof S3Origin>[0]> = {}): S3Origin {
  const credentials = resolveCredentials({ source: "env", prefix: "T" }, "test", { env: { T_ACCESS_KEY_ID: srv.accessKeyId, T_SECRET_ACCESS_KEY: srv.secretAccessKey } });
  return new S3Origin({ id: "bucket", bucket: srv.bucket, endpoint: srv.endpoint, prefix: "library", credentials, ...over });
}

describe("s3 origin", () => {
  test("stat, list, walk under the prefix", async () => {
    const o = make();
    expect(await o.stat("/Artist/small.mp3")).toMatchObject({ size: 8, isDir: false });
    expect((await o.stat("/Artist")).isDir).toBe(true);
    expect((await o.stat("/")).isDir).toBe(true);
    expect((await o.stat("/nope").catch((e) => e)).code).toBe("ENOENT");
    expect((await o.list("/Artist")).map((e) => `${e.name}:${e.isDir}`).sort()).toEqual(["Album:true", "small.mp3:false"]);
    const files: string[] = [];
    for await (const f of walk(o)) files.push(`${f.path}:${f.size}`);
    // Pagination: more keys (and sub-"directories") than one page.
    const c = new S3Client({ endpoint: srv.endpoint, bucket: srv.bucket, accessKeyId: srv.accessKeyId, secretAccessKey: srv.secretAccessKey });
    await Promise.all(Array.from({ length: 23 }, (_, i) => c.write(`library/Many/${String(i).padStart(4, "0")}${i % 5 ? ".mp3" : "/x.mp3"}`, "x")));
    const many = await make({ pageSize: 4 }).list("/Many");
    expect(many.length).toBe(23);
    expect(many.filter((e) => e.isDir).length).toBe(5);
    expect(files.sort()).toEqual([`/Artist/Album/01.flac:${data.length}`, "/Artist/small.mp3:8"]);
    expect((await o.read("/../elsewhere/secret.mp3", 0, 5).catch((e) => e)).code).toBe("EPATH");
  });

  test("ranged GET clamped at EOF", async () => {
    const o = make();
    const mid = await o.read("/Artist/Album/01.flac", 3 * MiB + 7, 2 * MiB);
    expect(Buffer.from(mid).equals(Buffer.from(data.subarray(3 * MiB + 7, 5 * MiB + 7)))).toBe(true);
    expect((await o.read("/Artist/Album/01.flac", data.length - 10, MiB)).length).toBe(10);
    expect((await o.read("/Artist/Album/01.flac", data.length, MiB)).length).toBe(0);
    expect((await o.read("/Artist/Album/01.flac", data.length + 100, MiB)).length).toBe(0);
    expect(new TextDecoder().decode(await o.read("/Artist/small.mp3", 6, 100))).toBe("s3");
    expect(await new Response(o.openStream("/Artist/small.mp3", 1)).text()).toBe("ello s3");
    // openStream is one GET of the whole range: bytes exact across MiBs, clamped at EOF, errors mapped.
    const streamed = new Uint8Array(await new Response(o.openStream("/Artist/Album/01.flac", MiB + 3, 4 * MiB + 10)).arrayBuffer());
    expect(Buffer.from(streamed).equals(Buffer.from(data.subarray(MiB + 3, 4 * MiB + 10)))).toBe(true);
    expect((await new Response(o.openStream("/Artist/Album/01.flac", data.length - 5, data.length + MiB)).arrayBuffer()).byteLength).toBe(5);
    expect((await new Response(o.openStream("/Artist/Album/01.flac", data.length + 5)).arrayBuffer()).byteLength).toBe(0);
    expect((await new Response(o.openStream("/gone.flac", 0)).arrayBuffer().catch((e) => e)).code).toBe("ENOENT");
    expect((await o.read("/gone.flac", 0, 10).catch((e) => e)).code).toBe("ENOENT");
    expect((await o.read("/gone.flac", 100, 10).catch((e) => e)).code).toBe("ENOENT");
  });

  test("health: bucket probe, bad credentials and missing bucket are unhealthy without leaking the key", async () => {
    expect((await make().health()).status).toBe("healthy");
    const bad = resolveCredentials({ source: "inline", values: { access_key_id: "WRONGKEY", secret_access_key: "wrong-secret-value-987" } }, "t");
    const h = await make({ credentials: bad }).health();
    expect(h.status).toBe("unhealthy");
    expect(h.error).not.toContain("wrong-secret-value-987");
    expect((await make({ bucket: "no-such-bucket" }).health()).status).toBe("unhealthy");
    const o = make();
    for (const s of [Bun.inspect(o), JSON.stringify(o), String(o)]) expect(s).not.toContain(`"${SECRET}"`);
    expect(Bun.inspect(make({ credentials: bad }))).not.toContain("wrong-secret-value-987");
  });

  test("a server that never answers times out", async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as net.AddressInfo).port;
    const o = make({ endpoint: `http://127.0.0.1:${port}`, timeoutMs: 300 });
    const e = await o.read("/Artist/small.mp3", 0, 5).catch((x) => x);
    expect(e.code).toBe("ETIMEDOUT");
    expect((await o.health()).status).toBe("unhealthy");
    for (const s of sockets) s.destroy();
    silent.close();
  });

  test("sequential read throughput (printed, not asserted)", async () => {
    const o = make();
    const t0 = performance.now();
    let n = 0;
    for (let off = 0; off < data.length; off += MiB) n += (await o.read("/Artist/Album/01.flac", off, MiB)).length;
    expect(n).toBe(data.length);
    console.log(`s3 loopback (s3rver): ${(n / MiB / ((performance.now() - t0) / 1000)).toFixed(0)} MB/s with 1 MiB ranged GETs`);
  });

  test("the S3 server stops mid-file: the cached reader carries on from a local copy", async () => {
    const router = new Router({ failover: { baseDelayMs: 5, maxDelayMs: 20 } });
    router.add(make(), 1);
    // The local copy has a worse priority and is a "remote-like" mounted share, so the cache is used.
    router.add(new LocalOrigin({ id: "nas", type: "nfs", root: tmp }), 2);
    const t: TrackRef = { fingerprint: "feedfacecafebeef", size: data.length, locations: [{ originId: "bucket", path: "/Artist/Album/01.flac" }] };
    router.addReplica("feedfacecafebeef", data.length, { originId: "nas", path: "/Artist/Album/01.flac" });
    const reader = new CachedReader(router, null, { readaheadBytes: 0 });
    const out = new Uint8Array(data.length);
    for (let off = 0, i = 0; off < data.length; off += MiB, i++) {
      if (i === 5) await srv.stop();
      out.set(await reader.read(t, off, MiB), off);
    }
    expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
    expect(router.stats.failures).toBe(0);
    expect(router.stats.failovers).toBeGreaterThanOrEqual(1);
    await router.close();
  });
});
