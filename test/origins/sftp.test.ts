// SFTP origin against a real OpenSSH server on 127.0.0.1 (Debian openssh-server), key auth.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { resolveCredentials } from "../../internal/config/credentials.ts";
import { SftpOrigin, type SftpOriginOptions } from "../../internal/origins/sftp.ts";
import { walk } from "../../internal/origins/walk.ts";
import { findSshd, type SshdServer, startSshd } from "../../scripts/test-servers/sshd.ts";

const MiB = 1024 * 1024;
let srv: SshdServer | undefined;
let skip = "";
let data: Uint8Array;
const origins: SftpOrigin[] = [];

beforeAll(async () => {
  const f = findSshd();
  if ("reason" in f) {
    skip = f.reason;
    return;
  }
  try {
    srv = await startSshd();
  } catch (e) {
    skip = (e as Error).message;
    return;
  }
  data = new Uint8Array(32 * MiB + 999);
  for (let off = 0; off < data.length; off += 65536) crypto.getRandomValues(data.subarray(off, Math.min(data.length, off + 65536)));
  fs.mkdirSync(path.join(srv.root, "Artist", "Album"), { recursive: true });
  fs.writeFileSync(path.join(srv.root, "Artist", "Album", "01 Song.flac"), data);
  fs.writeFileSync(path.join(srv.root, "Artist", "small.mp3"), "hello sftp");
  fs.symlinkSync("Album/01 Song.flac", path.join(srv.root, "Artist", "link.flac"));
});
afterAll(async () => {
  await Promise.all(origins.map((o) => o.close()));
  await srv?.stop();
});

function make(over: Partial<SftpOriginOptions> = {}): SftpOrigin {
  const s = srv!;
  const credentials = resolveCredentials({ source: "inline", values: { username: s.user, private_key_path: s.clientKeyPath } }, "test");
  const o = new SftpOrigin({ id: "box", host: s.host, port: s.port, root: s.root, credentials, knownHostsPath: s.knownHostsPath, timeoutMs: 10000, ...over });
  origins.push(o);
  return o;
}

const guard = () => {
  if (skip) console.log(`skipped: ${skip}`);
  return !!skip;
};

describe("sftp origin", () => {
  test("stat, list, walk, ranged reads clamped at EOF", async () => {
    if (guard()) return;
    const o = make();
    expect(await o.stat("/Artist/small.mp3")).toMatchObject({ size: 10, isDir: false });
    expect((await o.list("/Artist")).map((e) => `${e.name}:${e.isDir}`).sort()).toEqual(["Album:true", "link.flac:false", "small.mp3:false"]);
    const files: string[] = [];
    for await (const f of walk(o)) files.push(f.path);
    expect(files.sort()).toEqual(["/Artist/Album/01 Song.flac", "/Artist/link.flac", "/Artist/small.mp3"]);
    expect(new TextDecoder().decode(await o.read("/Artist/small.mp3", 6, 100))).toBe("sftp");
    expect((await o.read("/Artist/small.mp3", 10, 5)).length).toBe(0);
    expect(await new Response(o.openStream("/Artist/small.mp3", 6, 8)).text()).toBe("sf");
    // openStream pipelines many requests: bytes in order across MiBs, clamped at EOF, errors mapped.
    const streamed = new Uint8Array(await new Response(o.openStream("/Artist/Album/01 Song.flac", MiB + 3, 5 * MiB + 10)).arrayBuffer());
    expect(Buffer.from(streamed).equals(Buffer.from(data.subarray(MiB + 3, 5 * MiB + 10)))).toBe(true);
    expect((await new Response(o.openStream("/Artist/Album/01 Song.flac", data.length - 5)).arrayBuffer()).byteLength).toBe(5);
    expect((await new Response(o.openStream("/nope.flac")).arrayBuffer().catch((e) => e)).code).toBe("ENOENT");
    // A stream given up half way (requests still out) leaves the pool usable.
    const r = o.openStream("/Artist/Album/01 Song.flac").getReader();
    await r.read();
    await r.cancel();
    expect(new TextDecoder().decode(await o.read("/Artist/small.mp3", 6, 100))).toBe("sftp");
    expect((await o.read("/Artist/small.mp3", 1000, 5)).length).toBe(0);
    const mid = await o.read("/Artist/Album/01 Song.flac", 5 * MiB + 3, 3 * MiB + 1);
    expect(Buffer.from(mid).equals(Buffer.from(data.subarray(5 * MiB + 3, 8 * MiB + 4)))).toBe(true);
    const tail = await o.read("/Artist/Album/01 Song.flac", data.length - 100, MiB);
    expect(tail.length).toBe(100);
    expect((await o.read("/nope.flac", 0, 1).catch((e) => e)).code).toBe("ENOENT");
    expect((await o.read("/../../etc/passwd", 0, 1).catch((e) => e)).code).toBe("EPATH");
    expect((await o.health()).status).toBe("healthy");
  });

  test("a small pool serves many concurrent reads", async () => {
    if (guard()) return;
    const o = make({ poolSize: 3 });
    const reads = await Promise.all(Array.from({ length: 24 }, (_, i) => o.read("/Artist/Album/01 Song.flac", i * MiB, MiB)));
    reads.forEach((r, i) => expect(Buffer.from(r).equals(Buffer.from(data.subarray(i * MiB, (i + 1) * MiB)))).toBe(true));
    expect(o.poolStats().open).toBeLessThanOrEqual(3);
    expect(o.poolStats().waiting).toBe(0);
  });

  test("sequential read throughput (printed, not asserted)", async () => {
    if (guard()) return;
    const o = make();
    await o.read("/Artist/Album/01 Song.flac", 0, 1); // connect first
    const t0 = performance.now();
    let n = 0;
    for (let off = 0; off < data.length; off += MiB) n += (await o.read("/Artist/Album/01 Song.flac", off, MiB)).length;
    const s = (performance.now() - t0) / 1000;
    expect(n).toBe(data.length);
    console.log(`sftp loopback: ${(n / MiB / s).toFixed(0)} MB/s with 1 MiB ranged reads`);
  });

  test("host keys: unknown refused, mismatch refused, pinned or opted-in accepted", async () => {
    if (guard()) return;
    const s = srv!;
    const empty = path.join(path.dirname(s.knownHostsPath), "empty_known_hosts");
    fs.writeFileSync(empty, "");
    const e1 = await make({ knownHostsPath: empty }).stat("/").catch((e) => e);
    expect(e1.code).toBe("EHOSTKEY");
    expect(e1.message).toContain("unknown host key");
    const wrong = path.join(path.dirname(s.knownHostsPath), "wrong_known_hosts");
    fs.writeFileSync(wrong, `[127.0.0.1]:${s.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n`);
    const e2 = await make({ knownHostsPath: wrong }).stat("/").catch((e) => e);
    expect(e2.code).toBe("EHOSTKEY");
    expect(e2.message).toContain("man-in-the-middle");
    expect((await make({ knownHostsPath: empty, hostKeySha256: s.hostKeySha256 }).stat("/")).isDir).toBe(true);
    expect((await make({ knownHostsPath: empty, acceptUnknownHostKey: true }).stat("/")).isDir).toBe(true);
    const e3 = await make({ knownHostsPath: empty, hostKeySha256: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }).stat("/").catch((e) => e);
    expect(e3.code).toBe("EHOSTKEY");
  });

  test("a wrong key is an auth error that names no secret", async () => {
    if (guard()) return;
    const s = srv!;
    const other = path.join(path.dirname(s.knownHostsPath), "other_key");
    Bun.spawnSync(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other]);
    const keyText = fs.readFileSync(other, "utf8");
    const credentials = resolveCredentials({ source: "inline", values: { username: s.user, private_key: keyText } }, "test");
    const e = await make({ credentials }).read("/Artist/small.mp3", 0, 1).catch((x) => x);
    expect(e.code).toBe("EACCES");
    const body = keyText.split("\n")[1];
    expect(e.message).not.toContain(body);
    expect(Bun.inspect(make({ credentials }))).not.toContain(body);
    expect(JSON.stringify(credentials)).not.toContain(body);
    // Password auth (refused by this server, which only takes keys): the password is in no output.
    const pw = "correct-horse-battery-staple-42";
    const pwCreds = resolveCredentials({ source: "env", prefix: "SFTPT" }, "test", { env: { SFTPT_USERNAME: s.user, SFTPT_PASSWORD: pw } });
    const o = make({ credentials: pwCreds });
    const e2 = await o.read("/Artist/small.mp3", 0, 1).catch((x) => x);
    expect(e2.code).toBe("EACCES");
    for (const out of [e2.message, String(e2), Bun.inspect(e2), Bun.inspect(o), JSON.stringify(o), Bun.inspect(pwCreds)]) expect(out).not.toContain(pw);
  });

  test("no SSH server: every queued caller fails fast; a silent server hits the deadline", async () => {
    // Needs no sshd: a closed port and a TCP server that never speaks.
    const closed = await new Promise<number>((r) => {
      const t = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (t.address() as net.AddressInfo).port;
        t.close(() => r(p));
      });
    });
    const base = { id: "x", host: "127.0.0.1", knownHostsPath: "/nonexistent", username: "nobody", poolSize: 1 };
    const o = new SftpOrigin({ ...base, port: closed, timeoutMs: 5000 });
    origins.push(o);
    const errs = await Promise.all(Array.from({ length: 5 }, (_, i) => o.read(`/f${i}`, 0, 10).catch((e) => e)));
    expect(errs.map((e) => e.code)).toEqual(Array(5).fill("ECONNREFUSED"));
    expect(o.poolStats()).toEqual({ open: 0, idle: 0, waiting: 0 });

    const sockets: net.Socket[] = [];
    const silent = net.createServer((sock) => void sockets.push(sock));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const o2 = new SftpOrigin({ ...base, port: (silent.address() as net.AddressInfo).port, timeoutMs: 300 });
    origins.push(o2);
    const e2 = await Promise.all([o2.read("/a", 0, 1).catch((e) => e), o2.read("/b", 0, 1).catch((e) => e)]);
    expect(e2.map((e) => e.code)).toEqual(["ETIMEDOUT", "ETIMEDOUT"]);
    expect((await o2.health()).status).toBe("unhealthy");
    for (const sock of sockets) sock.destroy();
    silent.close();
  });
});
