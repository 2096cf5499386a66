// `musicfs scan --config` and `musicfs mount --config` over two origins: a local folder and an S3
// bucket (s3rver on 127.0.0.1). Checks what a user would: every track shows once, S3-only tracks
// read byte-identical through the kernel, a track whose local copy vanished is read from S3, bytes
// once read come from the chunk cache after S3 dies, and a track with no live copy is an EIO
// without taking the mount down.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { S3Client } from "bun";
import { createHmac } from "node:crypto";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { MusicFS } from "../../proto/gen/musicfs/v1/musicfs_pb.ts";
import { generateLibrary, type GeneratedFile } from "../../internal/samplelib/index.ts";
import { type S3Server, startS3 } from "../../scripts/test-servers/s3.ts";
import { findSshd, type SshdServer, startSshd } from "../../scripts/test-servers/sshd.ts";
import { BUN, REPO, tempDir } from "../helpers.ts";
import { isMounted, type MountDaemon, sha256, shownAt, startMountDaemon, stopMountDaemon, waitFor, mountSkipReason, trackFiles } from "./helpers.ts";

const skipReason = mountSkipReason(() => (Bun.which("node") ? "" : "node not found (s3rver runs on it)"));
if (skipReason) console.log(`skipping mount-over-origins tests: ${skipReason}`);

const work = tempDir("musicfs-mount-origins-");
const localLib = path.join(work, "local");
const s3Lib = path.join(work, "s3src");
const mnt = path.join(work, "mnt");
const db = path.join(work, "catalog.db");
const cfgFile = path.join(work, "config.toml");
let s3: S3Server | null = null;
let child: MountDaemon | null = null;
let localFiles: GeneratedFile[] = [];
let s3Files: GeneratedFile[] = [];
const env = (): Record<string, string> => ({ MOUNTTEST_S3_ACCESS_KEY_ID: s3!.accessKeyId, MOUNTTEST_S3_SECRET_ACCESS_KEY: s3!.secretAccessKey, MOUNTTEST_HOOK_SECRET: HOOK_SECRET });

// A webhook receiver (AC-22: a webhook fires on file access), checking signatures as a user's would.
const HOOK_SECRET = "hook-secret-for-the-test";
const hooks: { body: string; signature: string }[] = [];
const receiver = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    hooks.push({ body: await req.text(), signature: req.headers.get("x-musicfs-signature") ?? "" });
    return new Response("ok");
  },
});

function cli(args: string[]) {
  const r = Bun.spawnSync([BUN, path.join(REPO, "cmd/musicfs.ts"), ...args], { env: { ...process.env, ...env() }, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}


/** SHA-256 of a file read with 1 MiB read() calls, as players and the bench read. */
function sha256Of1MiBReads(file: string): string {
  const h = new Bun.CryptoHasher("sha256");
  const buf = new Uint8Array(1 << 20);
  const fd = fs.openSync(file, "r");
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest("hex");
}

/** Every track file under dir, by path relative to it. */
function tree(dir: string): string[] {
  return trackFiles(dir).map((p) => path.relative(dir, p));
}

/** The mount path of a generated track under the default template. */
function mountPath(f: GeneratedFile): string {
  return shownAt(mnt, f);
}

/** The tracks of f's album, in order. */
function albumOf(f: GeneratedFile): GeneratedFile[] {
  return s3Files.filter((g) => g.tags.album === f.tags.album && g.tags.artist === f.tags.artist).sort((a, b) => a.tags.trackNo! - b.tags.trackNo!);
}

/** An S3 track that no test opens: the first of the second album (no predecessor to prefetch it). */
function unopened(): GeneratedFile {
  return s3Files.find((f) => f.tags.trackNo === 1 && albumOf(f)[0] !== albumOf(s3Files[0])[0])!;
}

/** Forget the page cache so the next read goes to the daemon (KEEP_CACHE would answer it otherwise). */
function dropCaches(): void {
  fs.writeFileSync("/proc/sys/vm/drop_caches", "3");
}

beforeAll(async () => {
  if (skipReason) return;
  s3 = await startS3();
  localFiles = generateLibrary(localLib, { artists: 2, albumsPerArtist: 1, tracksPerAlbum: 2, trackBytes: 200_000, seed: 11, formats: ["mp3", "flac"], hostile: false, malformed: false }).filter((f) => !f.malformed && !f.hostile);
  s3Files = generateLibrary(s3Lib, { artists: 2, albumsPerArtist: 1, tracksPerAlbum: 2, trackBytes: 3_000_000, seed: 12, formats: ["flac"], hostile: false, malformed: false }).filter((f) => !f.malformed && !f.hostile);
  const c = new S3Client({ endpoint: s3.endpoint, bucket: s3.bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
  for (const f of s3Files) await c.write("lib/" + path.relative(s3Lib, f.path), Bun.file(f.path));
  // The first local track is on S3 too: one entry in the tree, two copies to read from.
  await c.write("lib/copies/" + path.basename(localFiles[0].path), Bun.file(localFiles[0].path));
  fs.mkdirSync(mnt);
  fs.writeFileSync(cfgFile, [
    `cache_dir = "${work}/state"`,
    "[cache]", "content_cache_gb = 0.1", "readahead_mb = 2",
    "[health]", "check_interval_secs = 1", "timeout_ms = 1000",
    "[failover]", "retries = 1", "hedge_after_ms = 500", "request_timeout_ms = 3000",
    "[watch]", "poll_interval_s = 1",
    "[[origins]]", 'id = "disk"', 'origin_type = "local"', "priority = 1", `path = "${localLib}"`,
    "[[origins]]", 'id = "bucket"', 'origin_type = "s3"', "priority = 2", `bucket = "${s3.bucket}"`, `endpoint = "${s3.endpoint}"`, 'prefix = "lib"',
    'credentials = { source = "env", prefix = "MOUNTTEST_S3" }',
    "[[collections]]", 'name = "Lossless"', 'query = "format:flac"', 'sort = "title"',
    "[[webhooks]]", `url = "http://127.0.0.1:${receiver.port}/musicfs"`, 'secret_env = "MOUNTTEST_HOOK_SECRET"', 'events = ["file_accessed"]', "",
  ].join("\n"), { mode: 0o600 });
}, 60_000);

afterAll(async () => {
  receiver.stop(true);
  await stopMountDaemon(child, mnt);
  await s3?.stop().catch(() => {});
  fs.rmSync(work, { recursive: true, force: true });
});

describe.skipIf(skipReason !== "")("mount over a local folder and an S3 bucket", () => {
  test("scan --config catalogs both origins; S3 tags are read by ranges", () => {
    const r = cli(["scan", "--db", db, "--config", cfgFile, "--json"]);
    expect(r.stderr).not.toContain(s3!.secretAccessKey);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { tracks: number; origins: { origin: string; scanned: number; failed: number; errors: unknown[] }[] };
    const byOrigin = Object.fromEntries(out.origins.map((o) => [o.origin, o]));
    expect(byOrigin.disk.scanned).toBe(localFiles.length);
    expect(byOrigin.bucket.scanned).toBe(s3Files.length + 1);
    expect(byOrigin.bucket.failed).toBe(0);
    expect(byOrigin.bucket.errors).toEqual([]);
    expect(out.tracks).toBe(localFiles.length + s3Files.length + 1);
    // A second scan reads nothing again.
    const again = JSON.parse(cli(["scan", "--db", db, "--config", cfgFile, "--json"]).stdout) as { added: number; updated: number; unchanged: number };
    expect(again).toMatchObject({ added: 0, updated: 0, unchanged: out.tracks });
  });

  test("mount --config shows every track once and reads S3 tracks byte-identical", async () => {
    child = await startMountDaemon(["--db", db, "--config", cfgFile, "--serve", "127.0.0.1:0", mnt], env());
    const listed = tree(mnt).sort();
    const expected = [...localFiles, ...s3Files].map((f) => path.relative(mnt, mountPath(f))).sort();
    expect(listed).toEqual(expected); // the copy on S3 of localFiles[0] does not show twice
    // Prefetch: opening the first track of an S3 album brings the next track into the chunk cache,
    // before anything is read.
    const [first, second] = albumOf(s3Files[0]);
    fs.closeSync(fs.openSync(mountPath(first), "r"));
    const chunkDir = path.join(work, "state", "cache", "chunks");
    const blocks = Math.ceil(fs.statSync(second.path).size / (1 << 20));
    expect(await waitFor(() => fs.existsSync(chunkDir) && tree(chunkDir).length === blocks, 5000)).toBe(true);
    // The first track of the other S3 album stays unopened (and uncached) for the dead-origin test.
    for (const f of s3Files.filter((f) => f !== unopened())) expect(sha256(mountPath(f))).toBe(sha256(f.path));
    expect(fs.statSync(mountPath(unopened())).size).toBe(fs.statSync(unopened().path).size);
    for (const f of localFiles) expect(sha256(mountPath(f))).toBe(sha256(f.path));
    // A collection from the config: every FLAC, whichever origin holds it, sorted by title.
    const lossless = fs.readdirSync(path.join(mnt, ".collections", "Lossless"));
    const flacs = [...localFiles, ...s3Files].filter((f) => f.format === "flac");
    expect(lossless.length).toBe(flacs.length);
    const titles = lossless.map((n) => n.replace(/^\d+\. [^-]+ - /, "").replace(/\.flac$/, ""));
    expect(titles).toEqual(flacs.map((f) => f.tags.title!).sort((a, b) => a.localeCompare(b, "en", { sensitivity: "base" })));
    // The S3 bytes went through the chunk cache.
    const chunks = tree(path.join(work, "state", "cache", "chunks"));
    expect(chunks.length).toBeGreaterThan(0);
  });

  test("a track whose local copy vanished is read from its S3 copy", () => {
    const f = localFiles[0];
    const want = sha256(f.path);
    fs.renameSync(f.path, f.path + ".gone");
    try {
      dropCaches();
      expect(sha256(mountPath(f))).toBe(want);
    } finally {
      fs.renameSync(f.path + ".gone", f.path);
    }
  });

  test("corrupt chunks in the cache are never served: the read through the mount re-fetches them", async () => {
    // Every chunk file gets one byte flipped (same size): the workers read cache hits straight
    // into the reply buffer, so verification must come before the bytes reach anyone. A fresh
    // daemon, so that no block is still in a worker's memory from the reads before.
    await stopMountDaemon(child, mnt);
    child = await startMountDaemon(["--db", db, "--config", cfgFile, "--serve", "127.0.0.1:0", mnt], env());
    const chunkDir = path.join(work, "state", "cache", "chunks");
    const files = tree(chunkDir).map((rel) => path.join(chunkDir, rel));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const b = fs.readFileSync(file);
      b[b.length >> 1] ^= 0xff;
      fs.writeFileSync(file, b);
    }
    dropCaches();
    const [f, g] = s3Files.filter((x) => x !== unopened());
    // 1 MiB reads: the kernel asks for whole blocks, which a worker reads into the reply buffer;
    // sha256() reads in small pieces, which go through a block the worker keeps.
    expect(sha256Of1MiBReads(mountPath(f))).toBe(sha256(f.path));
    expect(sha256(mountPath(g))).toBe(sha256(g.path));
    // Cached again, correct this time: the dead-S3 test below reads from these.
    for (const g of s3Files.filter((g) => g !== unopened())) expect(sha256(mountPath(g))).toBe(sha256(g.path));
  });

  test("a track uploaded to the bucket while mounted shows up, and leaves when it is deleted ([watch]: S3 is polled)", async () => {
    const c = new S3Client({ endpoint: s3!.endpoint, bucket: s3!.bucket, accessKeyId: s3!.accessKeyId, secretAccessKey: s3!.secretAccessKey });
    const [late] = generateLibrary(path.join(work, "s3late"), { artists: 1, albumsPerArtist: 1, tracksPerAlbum: 1, trackBytes: 300_000, seed: 21, formats: ["flac"], hostile: false, malformed: false });
    const key = `lib/late/${path.basename(late.path)}`;
    expect(fs.existsSync(mountPath(late))).toBe(false);
    // The change is an event too (SubscribeEvents, webhooks): file_added with the origin's path.
    const client = createClient(MusicFS, createConnectTransport({ baseUrl: String(child!.ready.api), httpVersion: "1.1" }));
    const ac = new AbortController();
    const added = (async () => {
      for await (const e of client.subscribeEvents({ eventTypes: ["file_added"] }, { signal: ac.signal })) return e;
      return null;
    })().catch(() => null);
    await Bun.sleep(100);
    await c.write(key, Bun.file(late.path));
    expect(await waitFor(() => fs.existsSync(mountPath(late)), 20_000)).toBe(true);
    const e = await Promise.race([added, Bun.sleep(5000).then(() => null)]);
    ac.abort();
    expect(e?.originId).toBe("bucket");
    expect(e?.path).toBe(`/late/${path.basename(late.path)}`);
    expect(sha256(mountPath(late))).toBe(sha256(late.path));
    await c.delete(key);
    expect(await waitFor(() => !fs.existsSync(mountPath(late)), 20_000)).toBe(true);
    expect(child!.log()).toContain("rescanned origin bucket");
  }, 60_000);

  test("after S3 dies, cached tracks still read from the chunk cache; an uncached one is EIO and the mount lives on", async () => {
    await s3!.stop();
    dropCaches();
    for (const f of s3Files.filter((f) => f !== unopened())) expect(sha256(mountPath(f))).toBe(sha256(f.path));
    const t0 = Date.now();
    expect(() => fs.readFileSync(mountPath(unopened()))).toThrow(/EIO|input\/output/i);
    expect(Date.now() - t0).toBeLessThan(10_000); // an answer, not a hang
    // Local tracks are unaffected.
    expect(sha256(mountPath(localFiles[1]))).toBe(sha256(localFiles[1].path));
    expect(child!.proc.exitCode).toBeNull();
  }, 30_000);

  test("the mount's API reports origins, their health and the chunk cache (Connect JSON via fetch and curl)", async () => {
    const api = String(child!.ready.api);
    const call = async (method: string, body: object) => {
      const res = await fetch(`${api}/musicfs.v1.MusicFS/${method}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const text = await res.text();
      expect(text).not.toContain(s3!.secretAccessKey);
      return { status: res.status, json: JSON.parse(text) };
    };
    const list = await call("ListOrigins", {});
    expect(list.status).toBe(200);
    const byId = Object.fromEntries((list.json.origins as { id: string }[]).map((o) => [o.id, o]));
    expect(byId.disk).toMatchObject({ originType: "local", rootPath: localLib, health: "HEALTH_HEALTHY", filesCount: String(localFiles.length) });
    expect(byId.bucket).toMatchObject({ originType: "s3", rootPath: "s3://music/lib/", filesCount: String(s3Files.length + 1) });
    // S3 was stopped by the previous test: a fresh probe says so, with the reason.
    const health = await call("GetOriginHealth", { originId: "bucket" });
    expect(health.json).toMatchObject({ originId: "bucket", status: "HEALTH_UNHEALTHY" });
    expect(String(health.json.message)).toMatch(/refused|ECONNREFUSED|connect/i);
    expect((await call("GetOriginHealth", { originId: "disk" })).json.status).toBe("HEALTH_HEALTHY");
    const unknown = await call("GetOriginHealth", { originId: "nope" });
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe("not_found");
    // The cache: S3 tracks were read (misses), then read again from the cache (hits).
    const stats = (await call("GetCacheStats", {})).json;
    expect(Number(stats.chunkCount)).toBeGreaterThan(0);
    expect(Number(stats.hitCount)).toBeGreaterThan(0);
    expect(Number(stats.missCount)).toBeGreaterThan(0);
    expect(Number(stats.usedSizeBytes)).toBeLessThanOrEqual(Number(stats.sizeLimitBytes));
    // Prometheus: this mount's FUSE operations, its origins' health and its cache.
    const metrics = await (await fetch(`${api}/metrics`)).text();
    const value = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? NaN);
    expect(value(/^musicfs_fuse_requests_total\{op="read"\} (\S+)$/m)).toBeGreaterThan(0);
    expect(value(/^musicfs_fuse_requests_total\{op="lookup"\} (\S+)$/m)).toBeGreaterThan(0);
    expect(value(/^musicfs_fuse_duration_seconds_bucket\{op="read",le="\+Inf"\} (\S+)$/m)).toBe(value(/^musicfs_fuse_requests_total\{op="read"\} (\S+)$/m));
    expect(value(/^musicfs_origin_health\{origin="disk",type="local"\} (\S+)$/m)).toBe(1);
    expect(value(/^musicfs_cache_chunks (\S+)$/m)).toBe(Number(stats.chunkCount));
    expect(value(/^musicfs_cache_hits (\S+)$/m)).toBe(Number(stats.hitCount));
    expect(metrics).not.toContain(s3!.secretAccessKey);
    // curl, as an operator would.
    const curl = Bun.spawnSync(["curl", "-sS", "-H", "content-type: application/json", "-d", "{}", `${api}/musicfs.v1.MusicFS/ClearCache`], { stdout: "pipe", stderr: "pipe" });
    if (curl.exitCode !== 0 && !Bun.which("curl")) console.log("curl not installed: ClearCache checked with fetch only");
    const cleared = curl.exitCode === 0 ? JSON.parse(curl.stdout.toString()) : (await call("ClearCache", {})).json;
    expect(Number(cleared.chunksCleared)).toBe(Number(stats.chunkCount));
    expect(Number((await call("GetCacheStats", {})).json.chunkCount ?? 0)).toBe(0);
  });

  test("events: a signed webhook fires on file access, and SubscribeEvents streams it", async () => {
    const api = String(child!.ready.api);
    // SubscribeEvents over Connect (HTTP/1.1), as a client would: the next file_accessed event.
    const client = createClient(MusicFS, createConnectTransport({ baseUrl: api, httpVersion: "1.1" }));
    const ac = new AbortController();
    const first = (async () => {
      for await (const e of client.subscribeEvents({ eventTypes: ["file_accessed"] }, { signal: ac.signal })) return e;
      return null;
    })();
    await Bun.sleep(100); // the stream is open before the access
    const f = localFiles[1];
    fs.closeSync(fs.openSync(mountPath(f), "r"));
    const e = await first;
    ac.abort();
    expect(e?.eventType).toBe("file_accessed");
    expect(e?.path).toBe(f.path);
    expect(e?.originId).toBe("disk");
    // The webhook: the same access, signed with the shared secret.
    expect(await waitFor(() => hooks.some((h) => JSON.parse(h.body).data.path === f.path), 5000)).toBe(true);
    for (const h of hooks) {
      expect(JSON.parse(h.body).event_type).toBe("file_accessed");
      expect(h.signature).toBe(`sha256=${createHmac("sha256", HOOK_SECRET).update(h.body).digest("hex")}`);
    }
    expect(child!.log()).not.toContain(HOOK_SECRET);
  });

  test("SIGTERM unmounts and closes the origins", async () => {
    child!.proc.kill("SIGTERM");
    expect(await waitFor(() => child!.proc.exitCode !== null, 10_000)).toBe(true);
    expect(isMounted(mnt)).toBe(false);
    expect(child!.log()).not.toContain(s3!.secretAccessKey);
  });
});

describe.skipIf(skipReason !== "")("failover through the mount", () => {
  const dir = tempDir("musicfs-mount-failover-");
  const lib = path.join(dir, "lib");
  const mp = path.join(dir, "mnt");
  const cfg = path.join(dir, "config.toml");
  const catalog = path.join(dir, "catalog.db");
  let srv: S3Server | null = null;
  let daemon: MountDaemon | null = null;
  let track: GeneratedFile;

  beforeAll(async () => {
    srv = await startS3();
    [track] = generateLibrary(lib, { artists: 1, albumsPerArtist: 1, tracksPerAlbum: 1, trackBytes: 8_000_000, seed: 21, formats: ["flac"], hostile: false, malformed: false });
    const c = new S3Client({ endpoint: srv.endpoint, bucket: srv.bucket, accessKeyId: srv.accessKeyId, secretAccessKey: srv.secretAccessKey });
    await c.write("lib/" + track.relPath, Bun.file(track.path));
    fs.mkdirSync(mp);
    // S3 is preferred; the local folder holds the same file as the fallback. No read-ahead, so
    // what is not read before S3 dies must come from the fallback.
    fs.writeFileSync(cfg, [
      `cache_dir = "${dir}/state"`, "[cache]", "readahead_mb = 0",
      "[failover]", "retries = 1", "hedge_after_ms = 1000", "request_timeout_ms = 5000",
      "[[origins]]", 'id = "bucket"', 'origin_type = "s3"', "priority = 1", `bucket = "${srv.bucket}"`, `endpoint = "${srv.endpoint}"`, 'prefix = "lib"',
      'credentials = { source = "env", prefix = "MOUNTTEST_S3" }',
      "[[origins]]", 'id = "disk"', 'origin_type = "local"', "priority = 2", `path = "${lib}"`, "",
    ].join("\n"), { mode: 0o600 });
    const e = { MOUNTTEST_S3_ACCESS_KEY_ID: srv.accessKeyId, MOUNTTEST_S3_SECRET_ACCESS_KEY: srv.secretAccessKey };
    const scan = Bun.spawnSync([BUN, path.join(REPO, "cmd/musicfs.ts"), "scan", "--db", catalog, "--config", cfg], { env: { ...process.env, ...e }, stdout: "pipe", stderr: "pipe" });
    expect(scan.exitCode).toBe(0);
    daemon = await startMountDaemon(["--db", catalog, "--config", cfg, mp], e);
  }, 60_000);

  afterAll(async () => {
    await stopMountDaemon(daemon, mp);
    await srv?.stop().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("a reader whose origin dies mid-file finishes from the other copy, without an error, within 5 s", async () => {
    const t = track.tags;
    const p = path.join(mp, t.artist!, `${t.album} (${t.year}) [FLAC]`, `01 - ${t.title}.flac`);
    const want = fs.readFileSync(track.path);
    const got = Buffer.alloc(want.length);
    const fd = fs.openSync(p, "r");
    try {
      const first = 1 << 20;
      expect(fs.readSync(fd, got, 0, first, 0)).toBe(first);
      await srv!.stop();
      const t0 = performance.now();
      let off = first;
      while (off < want.length) {
        const n = fs.readSync(fd, got, off, Math.min(1 << 20, want.length - off), off);
        expect(n).toBeGreaterThan(0);
        off += n;
      }
      expect(performance.now() - t0).toBeLessThan(5000);
    } finally {
      fs.closeSync(fd);
    }
    expect(Buffer.compare(got, want)).toBe(0);
    // The bytes did come from S3 first: the daemon logged the switch to the local copy.
    expect(await waitFor(() => daemon!.log().includes("failover from bucket to disk"), 2000)).toBe(true);
  }, 30_000);
});

const noSshd = "reason" in findSshd() ? (findSshd() as { reason: string }).reason : "";
if (!skipReason && noSshd) console.log(`skipping mount-over-SFTP test: ${noSshd}`);

describe.skipIf(skipReason !== "" || noSshd !== "")("mount over SFTP", () => {
  const dir = tempDir("musicfs-mount-sftp-");
  const mp = path.join(dir, "mnt");
  const cfg = path.join(dir, "config.toml");
  const catalog = path.join(dir, "catalog.db");
  let sshd: SshdServer | null = null;
  let daemon: MountDaemon | null = null;
  let files: GeneratedFile[] = [];

  beforeAll(async () => {
    sshd = await startSshd();
    // The library lives only on the SSH host: tags are read over SFTP by ranges.
    files = generateLibrary(sshd.root, { artists: 2, albumsPerArtist: 1, tracksPerAlbum: 2, trackBytes: 1_500_000, seed: 31, formats: ["mp3", "flac"], hostile: false, malformed: false });
    const cred = path.join(dir, "box.toml");
    fs.writeFileSync(cred, `username = "${sshd.user}"\nprivate_key_path = "${sshd.clientKeyPath}"\n`, { mode: 0o600 });
    fs.writeFileSync(cfg, [
      `cache_dir = "${dir}/state"`,
      "[[origins]]", 'id = "box"', 'origin_type = "sftp"', "priority = 1", 'host = "127.0.0.1"', `port = ${sshd.port}`,
      `path = "${sshd.root}"`, `known_hosts = "${sshd.knownHostsPath}"`, "[origins.credentials]", 'source = "file"', `path = "${cred}"`, "",
    ].join("\n"), { mode: 0o600 });
    fs.mkdirSync(mp);
  }, 60_000);

  afterAll(async () => {
    await stopMountDaemon(daemon, mp);
    await sshd?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("mount --config --scan lists the SSH host's tracks by their tags and reads them byte-identical", async () => {
    daemon = await startMountDaemon(["--db", catalog, "--config", cfg, "--scan", mp]);
    const mountFile = (f: GeneratedFile) => shownAt(mp, f);
    expect(tree(mp).length).toBe(files.length);
    for (const f of files) expect(sha256(mountFile(f))).toBe(sha256(f.path));
  }, 60_000);
});
