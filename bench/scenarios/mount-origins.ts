// The mount over remote origins, through the kernel, against a `musicfs mount --config` child:
//  - cold sequential read of an album from the local S3 server (s3rver) with an empty chunk cache,
//    and, as the reference in the same run, the same objects read directly by the S3 origin
//    (1 MiB ranged GETs, one at a time);
//  - the same from sshd (SFTP), when openssh-server is installed;
//  - the album read again after its pages were dropped from the mount (posix_fadvise per file, not
//    drop_caches: other jobs share the VM): the daemon answers from its chunk cache; the hit rate
//    of that pass from the mount's own GetCacheStats (--serve, in-process API), then three more
//    passes (their median is `cached`: the steady state);
//  - the cold reads again on the same mount after ClearCache (`*-cold-running`): an empty chunk
//    cache, but origins connected and the daemon's code warmed up, as in a long-running mount;
//  - failover: S3 preferred, a local copy second; S3 is stopped after the first MiB of a track,
//    the rest must be read without an error; the slowest read after the stop.
// Each repetition uses a fresh mount and an empty cache directory. Needs root, /dev/fuse, node.
// The album is larger than the daemon's in-memory block LRU (CachedReader: 32 blocks of 1 MiB), so
// the second pass reads the disk cache (SQLite index, chunk file, xxHash3), not memory.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { S3Client } from "bun";
import { defineScenario, SkipScenario } from "../../internal/bench/index.ts";
import { resolveCredentials } from "../../internal/config/credentials.ts";
import { S3Origin, SftpOrigin, type Origin } from "../../internal/origins/index.ts";
import { generateLibrary, type GeneratedFile } from "../../internal/samplelib/index.ts";
import { type S3Server, startS3 } from "../../scripts/test-servers/s3.ts";
import { findSshd, type SshdServer, startSshd } from "../../scripts/test-servers/sshd.ts";
import { cannotMount, evictFromPageCache, isMounted, musicfsArgv, readAll, startMount, stopMount } from "./mount.ts";

const MODE = {
  full: { tracks: 4, trackBytes: 16 << 20 },
  quick: { tracks: 4, trackBytes: 10 << 20 },
};
/** The daemon's in-memory LRU of recent blocks (CachedReader's default memoryBlocks x 1 MiB). */
const DAEMON_MEMORY_BYTES = 32 << 20;
const CRED_PREFIX = "MUSICFS_BENCH_S3";

interface State {
  dir: string;
  argv: string[];
  lib: string;
  files: GeneratedFile[];
  s3: S3Server | null;
  sshd: SshdServer | null;
  mnt: string;
  buf: Uint8Array;
  run: number;
}

function album(s: State): { rel: string; size: number }[] {
  return s.files.map((f) => ({ rel: f.relPath, size: f.size }));
}

/**
 * Uploads the album, then reads every object back once: s3rver is a fresh Node process in each
 * repetition, and its JIT warm-up is the server's start-up, not the mount's cost (a real server
 * has long been running).
 */
async function uploadAlbum(s: State, srv: S3Server): Promise<void> {
  const c = new S3Client({ endpoint: srv.endpoint, bucket: srv.bucket, accessKeyId: srv.accessKeyId, secretAccessKey: srv.secretAccessKey });
  for (const f of s.files) await c.write(`lib/${f.relPath}`, Bun.file(f.path));
  for (const f of s.files) {
    const got = await c.file(`lib/${f.relPath}`).arrayBuffer();
    if (got.byteLength !== f.size) throw new Error(`s3rver returned ${got.byteLength} of ${f.size} bytes of ${f.relPath}`);
  }
}

function s3Origin(srv: S3Server): S3Origin {
  const credentials = resolveCredentials({ source: "env", prefix: "B" }, "bench", { env: { B_ACCESS_KEY_ID: srv.accessKeyId, B_SECRET_ACCESS_KEY: srv.secretAccessKey } });
  return new S3Origin({ id: "bucket", bucket: srv.bucket, endpoint: srv.endpoint, prefix: "lib", credentials });
}

function sftpOrigin(d: SshdServer, credFile: string): SftpOrigin {
  const credentials = resolveCredentials({ source: "file", path: credFile }, "bench");
  return new SftpOrigin({ id: "box", host: "127.0.0.1", port: d.port, root: d.root, credentials, knownHostsPath: d.knownHostsPath });
}

/** The origin's own speed: the album read in 1 MiB ranged reads, one at a time; MB/s. */
/** MB/s of reading the files in 1 MiB reads, `inFlight` at a time within each file. */
async function rawRead(o: Origin, files: { rel: string; size: number }[], inFlight = 1): Promise<number> {
  const t0 = Bun.nanoseconds();
  let total = 0;
  for (const f of files) {
    let next = 0;
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (next < f.size) {
        const off = next;
        next += 1 << 20;
        total += (await o.read(`/${f.rel}`, off, 1 << 20)).length;
      }
    }));
  }
  return total / ((Bun.nanoseconds() - t0) / 1e9) / 1e6;
}

function originToml(kind: "s3" | "sftp" | "local", s: State, priority: number): string[] {
  if (kind === "s3") {
    return ["[[origins]]", 'id = "bucket"', 'origin_type = "s3"', `priority = ${priority}`, `bucket = "${s.s3!.bucket}"`, `endpoint = "${s.s3!.endpoint}"`, 'prefix = "lib"', `credentials = { source = "env", prefix = "${CRED_PREFIX}" }`];
  }
  if (kind === "sftp") {
    return ["[[origins]]", 'id = "box"', 'origin_type = "sftp"', `priority = ${priority}`, 'host = "127.0.0.1"', `port = ${s.sshd!.port}`, `path = "${s.sshd!.root}"`,
      `known_hosts = "${s.sshd!.knownHostsPath}"`, "[origins.credentials]", 'source = "file"', `path = "${path.join(s.dir, "box.toml")}"`];
  }
  return ["[[origins]]", 'id = "disk"', 'origin_type = "local"', `priority = ${priority}`, `path = "${s.lib}"`];
}

/** A config with these origins and an empty cache directory of its own; scanned into its own catalog. */
function prepare(s: State, name: string, origins: string[][], extra: string[] = []): { cfg: string; db: string } {
  const cfg = path.join(s.dir, `${name}.toml`);
  const cache = path.join(s.dir, `${name}-state`);
  fs.rmSync(cache, { recursive: true, force: true });
  fs.writeFileSync(cfg, [`cache_dir = "${cache}"`, ...extra, ...origins.flat(), ""].join("\n"), { mode: 0o600 });
  const db = path.join(s.dir, `${name}.db`);
  if (!fs.existsSync(db)) {
    const r = Bun.spawnSync([...s.argv, "scan", "--db", db, "--config", cfg], { stdout: "pipe", stderr: "pipe", env: { ...process.env } });
    if (r.exitCode !== 0) throw new Error(`scan --config ${name} failed: ${r.stderr.toString().slice(-500)}`);
  }
  return { cfg, db };
}

/** Where a generated track shows in the mount (default template). */
function mounted(s: State, f: GeneratedFile): string {
  const t = f.tags;
  return path.join(s.mnt, t.artist!, `${t.album} (${t.year}) [${f.format.toUpperCase()}]`, `${String(t.trackNo).padStart(2, "0")} - ${t.title}.${f.format}`);
}

/** Reads every track through the mount; MB/s over the whole album. */
function readAlbum(s: State): number {
  const t0 = Bun.nanoseconds();
  let total = 0;
  for (const f of s.files) {
    readAll(mounted(s, f), s.buf, f.size);
    total += f.size;
  }
  return total / ((Bun.nanoseconds() - t0) / 1e9) / 1e6;
}

/** Passes over the cached album after the first, in each repetition; `cached` is their median. */
const CACHED_PASSES = 3;

/** The pause before each track start in the prefetch measurement (the previous track "playing"). */
const PLAY_PAUSE_MS = 300;

async function cacheStats(api: string): Promise<{ hits: number; misses: number }> {
  const res = await fetch(`${api}/musicfs.v1.MusicFS/GetCacheStats`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  if (res.status !== 200) throw new Error(`GetCacheStats: HTTP ${res.status} ${await res.text()}`);
  const j = (await res.json()) as { hitCount?: string; missCount?: string };
  return { hits: Number(j.hitCount ?? 0), misses: Number(j.missCount ?? 0) };
}

/** Empties the mount's chunk cache (disk and memory) through its API, and drops the album's pages. */
async function clearCache(s: State, api: string): Promise<void> {
  const res = await fetch(`${api}/musicfs.v1.MusicFS/ClearCache`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  if (res.status !== 200) throw new Error(`ClearCache: HTTP ${res.status} ${await res.text()}`);
  for (const f of s.files) evictFromPageCache(mounted(s, f));
}

async function withMount<T>(s: State, db: string, cfg: string, f: (api: string) => Promise<T>): Promise<T> {
  const m = await startMount(s.argv, db, s.mnt, path.join(s.dir, "mount.stderr"), ["--config", cfg, "--serve", "127.0.0.1:0"]);
  try {
    return await f(String(m.ready.api));
  } finally {
    await stopMount(m);
  }
}

export const mountOrigins = defineScenario<State>({
  id: "mount-origins",
  description: "The mount over S3 (s3rver) and SFTP (sshd): cold reads vs the origin's own speed, reads from the chunk cache, cache hit rate, failover",
  metrics: [
    { id: "s3-cold", unit: "MB/s", better: "higher", description: "an album read through the mount from S3, empty chunk cache" },
    { id: "s3-cold-running", unit: "MB/s", better: "higher", description: "the album again from S3 on the same mount after ClearCache: empty chunk cache, but a daemon already connected and warmed up, as a long-running mount is" },
    { id: "s3-raw", unit: "MB/s", better: "none", description: "the same objects read directly with the S3 origin (1 MiB ranged GETs, one at a time): the reference" },
    { id: "s3-cold-vs-raw", unit: "%", better: "higher", description: "s3-cold / s3-raw" },
    { id: "s3-raw-4", unit: "MB/s", better: "none", description: "the same reads, 4 in flight as the mount's read-ahead keeps them: s3rver slows down with requests in flight, so this is below s3-raw" },
    { id: "cached", unit: "MB/s", better: "higher", description: "the album again, its pages dropped from the mount: the daemon reads its chunk cache (median of 3 passes after cached-first)" },
    { id: "cached-first", unit: "MB/s", better: "higher", description: "the first of those passes, right after the cold one" },
    { id: "hit-rate", unit: "%", better: "higher", description: "cache hits / lookups in the cached-first pass (the mount's GetCacheStats)" },
    { id: "start-misses", unit: "%", better: "lower", description: "tracks 2..N of the album, played in order from a fresh cache, whose first MiB was a cache miss (prefetch on)" },
    { id: "start-misses-off", unit: "%", better: "none", description: "the same with [prefetch] enabled = false: the reference" },
    { id: "prefetch-miss-cut", unit: "%", better: "higher", description: "how many of those track-start misses prefetch removes: (off - on) / off" },
    { id: "sftp-cold", unit: "MB/s", better: "higher", description: "an album read through the mount from sshd, empty chunk cache (skipped without openssh-server)" },
    { id: "sftp-cold-running", unit: "MB/s", better: "higher", description: "the album again from sshd on the same mount after ClearCache (connected, warmed-up daemon)" },
    { id: "sftp-raw", unit: "MB/s", better: "none", description: "the same files read directly with the SFTP origin: the reference" },
    { id: "failover-max", unit: "ms", better: "lower", description: "slowest 1 MiB read after S3 stopped mid-track (a local copy is the second origin)" },
    { id: "failover-errors", unit: "reads", better: "lower", description: "reads that failed after S3 stopped" },
  ],
  size: { full: MODE.full.tracks * MODE.full.trackBytes, quick: MODE.quick.tracks * MODE.quick.trackBytes, unit: "bytes per album" },
  repeat: { full: 5, quick: 3 },
  warmup: { full: 1, quick: 0 },
  budgetMs: { full: 90_000, quick: 35_000 },
  async setup(ctx) {
    const why = cannotMount() || (Bun.which("node") ? "" : "needs node (s3rver runs on it)");
    if (why) throw new SkipScenario(why);
    const mode = ctx.quick ? MODE.quick : MODE.full;
    if (mode.tracks * mode.trackBytes <= DAEMON_MEMORY_BYTES) throw new Error("the album must be larger than the daemon's memory LRU, or 'cached' measures memory");
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-bench-origins-")));
    const s: State = { dir, argv: musicfsArgv(ctx), lib: path.join(dir, "lib"), files: [], s3: null, sshd: null, mnt: path.join(dir, "mnt"), buf: new Uint8Array(1 << 20), run: 0 };
    try {
      fs.mkdirSync(s.mnt);
      s.files = generateLibrary(s.lib, { artists: 1, albumsPerArtist: 1, tracksPerAlbum: mode.tracks, trackBytes: mode.trackBytes, formats: ["flac"], hostile: false, malformed: false, seed: 77 });
      s.s3 = await startS3();
      process.env[`${CRED_PREFIX}_ACCESS_KEY_ID`] = s.s3.accessKeyId;
      process.env[`${CRED_PREFIX}_SECRET_ACCESS_KEY`] = s.s3.secretAccessKey;
      await uploadAlbum(s, s.s3);
      const sshd = findSshd();
      if ("reason" in sshd) ctx.note(`sftp skipped: ${sshd.reason}`);
      else {
        s.sshd = await startSshd();
        fs.cpSync(s.lib, s.sshd.root, { recursive: true });
        fs.writeFileSync(path.join(dir, "box.toml"), `username = "${s.sshd.user}"\nprivate_key_path = "${s.sshd.clientKeyPath}"\n`, { mode: 0o600 });
      }
      ctx.note(`album of ${s.files.length} FLAC tracks, ${(s.files.reduce((a, f) => a + f.size, 0) / 1e6).toFixed(0)} MB; fresh mount and empty chunk cache per repetition; reads of 1 MiB`);
      ctx.note("s3rver is a Node program on this machine: the S3 numbers measure the mount against what that server delivers (s3-raw), not a real S3 endpoint");
      ctx.note("hit-rate: GetCacheStats of the mount's in-process API (mount --serve 127.0.0.1:0), hits / (hits + misses) during the second pass; page cache of the mounted files dropped per file (posix_fadvise), not drop_caches");
    } catch (e) {
      await cleanup(s);
      throw e;
    }
    return s;
  },
  async run(s) {
    const out: Record<string, number> = {};
    const files = album(s);

    // S3: cold, then from the chunk cache (pages dropped), with the hit rate of that pass.
    const s3 = prepare(s, "s3", [originToml("s3", s, 1)]);
    await withMount(s, s3.db, s3.cfg, async (api) => {
      out["s3-cold"] = readAlbum(s);
      for (const f of s.files) evictFromPageCache(mounted(s, f));
      const before = await cacheStats(api);
      out["cached-first"] = readAlbum(s);
      const after = await cacheStats(api);
      const hits = after.hits - before.hits;
      const lookups = hits + after.misses - before.misses;
      out["hit-rate"] = lookups > 0 ? (100 * hits) / lookups : 0;
      // The steady state of a long-running mount: the median of further passes (the first pays
      // for the hit path's JIT warm-up and runs beside the cold pass's last chunk writes).
      const passes: number[] = [];
      for (let i = 0; i < CACHED_PASSES; i++) {
        for (const f of s.files) evictFromPageCache(mounted(s, f));
        passes.push(readAlbum(s));
      }
      out.cached = passes.sort((a, b) => a - b)[CACHED_PASSES >> 1];
      await clearCache(s, api);
      out["s3-cold-running"] = readAlbum(s);
    });
    const raw = s3Origin(s.s3!);
    out["s3-raw"] = await rawRead(raw, files);
    out["s3-raw-4"] = await rawRead(raw, files, 4);
    await raw.close();
    out["s3-cold-vs-raw"] = (100 * out["s3-cold"]) / out["s3-raw"];

    // Prefetch: the album played in order with a fresh cache, with and without prefetch. A track
    // start is a miss when its first MiB had to come from S3 (the mount's miss count moved while
    // it was read); the pause before each start stands for the previous track playing.
    const startMisses = async (name: string, extra: string[]): Promise<number> => {
      const c = prepare(s, name, [originToml("s3", s, 1)], extra);
      let missed = 0;
      await withMount(s, c.db, c.cfg, async (api) => {
        for (let k = 0; k < s.files.length; k++) {
          const file = mounted(s, s.files[k]);
          if (k > 0) {
            await Bun.sleep(PLAY_PAUSE_MS);
            const before = await cacheStats(api);
            const fd = fs.openSync(file, "r");
            fs.readSync(fd, s.buf, 0, s.buf.length, 0);
            fs.closeSync(fd);
            const after = await cacheStats(api);
            if (after.misses > before.misses) missed++;
          }
          readAll(file, s.buf, s.files[k].size);
        }
      });
      return (100 * missed) / (s.files.length - 1);
    };
    out["start-misses"] = await startMisses("prefetch-on", []);
    out["start-misses-off"] = await startMisses("prefetch-off", ["[prefetch]", "enabled = false"]);
    out["prefetch-miss-cut"] = out["start-misses-off"] > 0 ? (100 * (out["start-misses-off"] - out["start-misses"])) / out["start-misses-off"] : 0;

    // SFTP: cold only (the cache path is the same as for S3).
    if (s.sshd) {
      const sf = prepare(s, "sftp", [originToml("sftp", s, 1)]);
      await withMount(s, sf.db, sf.cfg, async (api) => {
        out["sftp-cold"] = readAlbum(s);
        await clearCache(s, api);
        out["sftp-cold-running"] = readAlbum(s);
      });
      const o = sftpOrigin(s.sshd, path.join(s.dir, "box.toml"));
      out["sftp-raw"] = await rawRead(o, files);
      await o.close();
    }

    // Failover: S3 first, the local folder second; S3 stops after the first MiB of a track.
    const fo = prepare(s, "failover", [originToml("s3", s, 1), originToml("local", s, 2)], ["[cache]", "readahead_mb = 0", "[failover]", "hedge_after_ms = 1000", "request_timeout_ms = 10000"]);
    await withMount(s, fo.db, fo.cfg, async () => {
      const track = s.files[s.files.length - 1];
      const fd = fs.openSync(mounted(s, track), "r");
      let worst = 0;
      let errors = 0;
      try {
        fs.readSync(fd, s.buf, 0, s.buf.length, 0);
        await s.s3!.stop();
        for (let off = 1 << 20; off < track.size; off += 1 << 20) {
          const t0 = Bun.nanoseconds();
          try {
            fs.readSync(fd, s.buf, 0, s.buf.length, off);
          } catch {
            errors++;
          }
          worst = Math.max(worst, (Bun.nanoseconds() - t0) / 1e6);
        }
      } finally {
        fs.closeSync(fd);
      }
      out["failover-max"] = worst;
      out["failover-errors"] = errors;
    });
    // A new S3 server for the next repetition (a new port: the configs are written afresh).
    s.s3 = await startS3();
    process.env[`${CRED_PREFIX}_ACCESS_KEY_ID`] = s.s3.accessKeyId;
    process.env[`${CRED_PREFIX}_SECRET_ACCESS_KEY`] = s.s3.secretAccessKey;
    await uploadAlbum(s, s.s3);
    s.run++;
    return out;
  },
  teardown: (s) => cleanup(s),
});

async function cleanup(s: State): Promise<void> {
  await s.s3?.stop().catch(() => {});
  delete process.env[`${CRED_PREFIX}_ACCESS_KEY_ID`];
  delete process.env[`${CRED_PREFIX}_SECRET_ACCESS_KEY`];
  await s.sshd?.stop().catch(() => {});
  if (isMounted(s.mnt)) Bun.spawnSync(["umount", "-l", s.mnt]);
  if (isMounted(s.mnt)) throw new Error(`${s.mnt} still mounted after teardown; ${s.dir} kept`);
  fs.rmSync(s.dir, { recursive: true, force: true });
}
