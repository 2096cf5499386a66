// End to end: a TOML config with local, SFTP (key from a credentials file) and S3 (keys from the
// environment) origins → router → cached reader; copies matched by the catalog fingerprint; no
// secret in any printed form of the running objects.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { S3Client } from "bun";
import { CachedReader } from "../../internal/cas/cached-reader.ts";
import { ChunkStore } from "../../internal/cas/store.ts";
import { loadConfig } from "../../internal/config/index.ts";
import { createRouter } from "../../internal/origins/factory.ts";
import { originFingerprint } from "../../internal/origins/ranged-tags.ts";
import type { Router, TrackRef } from "../../internal/origins/router.ts";
import { walk } from "../../internal/origins/walk.ts";
import { type S3Server, startS3 } from "../../scripts/test-servers/s3.ts";
import { findSshd, type SshdServer, startSshd } from "../../scripts/test-servers/sshd.ts";

const MiB = 1024 * 1024;
let tmp: string;
let s3: S3Server;
let sshd: SshdServer | undefined;
let skipSftp = "";
let data: Uint8Array;
let router: Router | undefined;
let store: ChunkStore | undefined;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-fed-"));
  data = new Uint8Array(24 * MiB + 17);
  for (let off = 0; off < data.length; off += 65536) crypto.getRandomValues(data.subarray(off, Math.min(data.length, off + 65536)));
  s3 = await startS3();
  await new S3Client({ endpoint: s3.endpoint, bucket: s3.bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }).write("lib/A/song.flac", data);
  if ("reason" in findSshd()) skipSftp = (findSshd() as { reason: string }).reason;
  else {
    try {
      sshd = await startSshd();
      fs.mkdirSync(path.join(sshd.root, "A"));
      fs.writeFileSync(path.join(sshd.root, "A", "song.flac"), data);
    } catch (e) {
      skipSftp = (e as Error).message;
    }
  }
});
afterAll(async () => {
  await router?.close();
  store?.close();
  await s3.stop();
  await sshd?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("federation from a config file", () => {
  test("sftp + s3 copies of one track, cached reads, no secret printed", async () => {
    if (skipSftp) console.log(`sftp part skipped: ${skipSftp}`);
    const credFile = path.join(tmp, "box.toml");
    if (sshd) fs.writeFileSync(credFile, `username = "${sshd.user}"\nprivate_key_path = "${sshd.clientKeyPath}"\n`, { mode: 0o600 });
    const cfgFile = path.join(tmp, "config.toml");
    fs.writeFileSync(cfgFile, [
      `cache_dir = "${tmp}/cache"`,
      "[cache]", "content_cache_gb = 0.05", "readahead_mb = 2",
      "[failover]", "hedge_after_ms = 1000",
      ...(sshd ? [
        "[[origins]]", 'id = "box"', 'origin_type = "sftp"', "priority = 1", `host = "127.0.0.1"`, `port = ${sshd.port}`,
        `path = "${sshd.root}"`, `known_hosts = "${sshd.knownHostsPath}"`, "[origins.credentials]", 'source = "file"', `path = "${credFile}"`,
      ] : []),
      "[[origins]]", 'id = "bucket"', 'origin_type = "s3"', "priority = 2", `bucket = "${s3.bucket}"`, `endpoint = "${s3.endpoint}"`, 'prefix = "lib"',
      'credentials = { source = "env", prefix = "FEDTEST_S3" }', "",
    ].join("\n"), { mode: 0o600 });
    const config = loadConfig(cfgFile);
    expect(config.warnings).toEqual([]);
    const env = { FEDTEST_S3_ACCESS_KEY_ID: s3.accessKeyId, FEDTEST_S3_SECRET_ACCESS_KEY: "S3RVER" };
    router = createRouter(config, { env });
    await router.checkHealth();
    expect(router.origins().every((o) => o.status === "healthy")).toBe(true);

    // Index each origin like a scan would: fingerprint by ranged reads, register copies.
    const tracks: TrackRef[] = [];
    for (const o of router.origins()) {
      const origin = router.get(o.id)!;
      for await (const f of walk(origin)) {
        const fp = await originFingerprint(origin, f.path, f.size);
        router.addReplica(fp, f.size, { originId: o.id, path: f.path });
        tracks.push({ fingerprint: fp, size: f.size, locations: [{ originId: o.id, path: f.path }] });
      }
    }
    expect(new Set(tracks.map((t) => t.fingerprint)).size).toBe(1);
    const track = tracks[tracks.length - 1]; // the S3 row: the SFTP copy is found by fingerprint
    expect(router.locate(track).map((l) => l.originId)).toEqual(sshd ? ["box", "bucket"] : ["bucket"]);

    store = new ChunkStore({ dir: path.join(config.cacheDir, "chunks"), maxBytes: config.cache.maxBytes });
    const reader = new CachedReader(router, store, { readaheadBytes: config.cache.readaheadBytes });
    const readAll = async () => {
      const out = new Uint8Array(track.size);
      const t0 = performance.now();
      for (let off = 0; off < track.size; off += MiB) out.set(await reader.read(track, off, MiB), off);
      await reader.flush();
      return { out, mbs: track.size / MiB / ((performance.now() - t0) / 1000) };
    };
    const cold = await readAll();
    expect(Buffer.from(cold.out).equals(Buffer.from(data))).toBe(true);
    reader.dropMemory();
    const warm = await readAll();
    expect(Buffer.from(warm.out).equals(Buffer.from(data))).toBe(true);
    const st = reader.getCacheStats();
    expect(st.hits).toBeGreaterThan(0);
    expect(st.sizeBytes).toBeLessThanOrEqual(config.cache.maxBytes);
    console.log(`cached reader via ${router.locate(track)[0].originId}: cold ${cold.mbs.toFixed(0)} MB/s (read-ahead 2 MiB), disk-cache hits ${warm.mbs.toFixed(0)} MB/s; evictions ${st.evictions}`);

    for (const s of [Bun.inspect(router), JSON.stringify(router.origins()), Bun.inspect(router.get("bucket")), sshd ? Bun.inspect(router.get("box")) : ""]) {
      expect(s).not.toContain("S3RVER\"");
      if (sshd) expect(s).not.toContain(fs.readFileSync(sshd.clientKeyPath, "utf8").split("\n")[1]);
    }
  });
});
