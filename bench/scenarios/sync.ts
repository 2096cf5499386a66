// Delta sync against rsync, in the same run (issue 4's targets):
//  - retag 30 % of a real-format library (tags grow, every audio byte after them shifts): literal
//    bytes musicfs moves vs rsync's "Literal data" (`rsync -a --no-whole-file --stats`), and wall
//    times of both, each into a fresh copy of the old library;
//  - the seed's case (100 bytes changed in 2 MiB): bandwidth reduction;
//  - AC-10 (one track retagged): bytes on the wire of a remote sync, manifest included.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { defineScenario } from "../../internal/bench/index.ts";
import { generateLibrary, retag } from "../../internal/samplelib/index.ts";
import { startSyncServer, syncFolders, syncToRemote } from "../../internal/sync/index.ts";
import { lcgBytes } from "./data.ts";

interface State {
  dir: string;
  old: string;
  retagged: string;
  oneTag: string;
  seedOld: string;
  seedNew: string;
  rsync: boolean;
  run: number;
}

function copyTree(src: string, dst: string): void {
  fs.rmSync(dst, { recursive: true, force: true });
  fs.cpSync(src, dst, { recursive: true, preserveTimestamps: true });
}

/** rsync's "Literal data: N bytes" and its wall time, syncing src into a fresh copy of old. */
function rsyncLiteral(src: string, dst: string): { literal: number; ms: number } {
  const t0 = performance.now();
  const r = Bun.spawnSync(["rsync", "-a", "--no-whole-file", "--stats", `${src}/`, `${dst}/`], { stdout: "pipe", stderr: "pipe" });
  const ms = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`rsync failed: ${r.stderr.toString().trim()}`);
  const m = /Literal data: ([\d,.]+) bytes/.exec(r.stdout.toString());
  if (!m) throw new Error("rsync --stats printed no 'Literal data' line");
  return { literal: Number(m[1].replace(/[,.]/g, "")), ms };
}

export const sync = defineScenario<State>({
  id: "sync",
  description: "Delta sync vs rsync: retag 30 % of a real-format library; the seed's 100-byte case; AC-10 on the wire",
  metrics: [
    { id: "retag-literal", unit: "B", better: "lower", description: "musicfs literal bytes for the 30 % retag" },
    { id: "rsync-literal", unit: "B", better: "lower", optional: true, description: "rsync --no-whole-file literal data for the same change" },
    { id: "literal-vs-rsync", unit: "x", better: "lower", optional: true, description: "musicfs / rsync literal bytes (target <= 1, aim 0.5)" },
    { id: "retag-ms", unit: "ms", better: "lower", description: "musicfs wall time for the 30 % retag" },
    { id: "rsync-ms", unit: "ms", better: "lower", optional: true, description: "rsync wall time for the same change" },
    { id: "wall-vs-rsync", unit: "x", better: "lower", optional: true, description: "musicfs / rsync wall time for the 30 % retag (target <= 1)" },
    { id: "seed-reduction", unit: "%", better: "higher", description: "bandwidth saved for 100 bytes changed in 2 MiB" },
    { id: "ac10-wire", unit: "B", better: "lower", description: "bytes on the wire (both ways) of a remote sync after one track's retag" },
  ],
  size: { full: 100, quick: 30, unit: "tracks" },
  repeat: { full: 5, quick: 3 },
  warmup: { full: 1, quick: 1 },
  budgetMs: { full: 60_000, quick: 12_000 },
  async setup(ctx) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-bench-sync-"));
    const old = path.join(dir, "old");
    const trackBytes = ctx.quick ? 1 << 20 : 4 << 20;
    const files = generateLibrary(old, { artists: Math.ceil(ctx.size / 10), albumsPerArtist: 2, tracksPerAlbum: 5, trackBytes, formats: ["mp3", "flac"], hostile: false, malformed: false });
    const retagged = path.join(dir, "retagged");
    copyTree(old, retagged);
    let n = 0;
    for (let i = 0; i < files.length; i += 10) {
      for (const k of [0, 3, 6]) {
        if (i + k >= files.length) continue;
        await retag(path.join(retagged, files[i + k].relPath), { comment: "Remastered — tags edited for the bench", genre: "Bench" });
        n++;
      }
    }
    const oneTag = path.join(dir, "one-tag");
    copyTree(old, oneTag);
    await retag(path.join(oneTag, files[0].relPath), { title: `${files[0].tags.title} (2026 Remaster, extended)` });
    const seedOld = path.join(dir, "seed-old");
    const seedNew = path.join(dir, "seed-new");
    const data = lcgBytes(2 << 20);
    fs.mkdirSync(seedOld);
    fs.writeFileSync(path.join(seedOld, "a.bin"), data);
    for (let i = 0; i < 100; i++) data[(1 << 20) + i] ^= 0xff;
    fs.mkdirSync(seedNew);
    fs.writeFileSync(path.join(seedNew, "a.bin"), data);
    const rsync = Bun.spawnSync(["rsync", "--version"], { stdout: "pipe", stderr: "pipe" }).exitCode === 0;
    if (!rsync) ctx.note("rsync metrics skipped: rsync is not installed (apt-get install rsync)");
    ctx.note(`${files.length} tracks of ${(trackBytes / (1 << 20)).toFixed(0)} MiB (MP3/FLAC), ${n} retagged`);
    return { dir, old, retagged, oneTag, seedOld, seedNew, rsync, run: 0 };
  },
  async run(s) {
    const r = s.run++;
    const dstA = path.join(s.dir, `dst-musicfs-${r}`);
    copyTree(s.old, dstA);
    const t0 = performance.now();
    const stats = await syncFolders(s.retagged, dstA);
    const retagMs = performance.now() - t0;
    if (stats.errors.length > 0) throw new Error(`sync errors: ${stats.errors.map((e) => e.error).join("; ")}`);
    fs.rmSync(dstA, { recursive: true, force: true });
    const out: Record<string, number> = { "retag-literal": stats.bytes.literal, "retag-ms": retagMs };
    if (s.rsync) {
      const dstB = path.join(s.dir, `dst-rsync-${r}`);
      copyTree(s.old, dstB);
      const rs = rsyncLiteral(s.retagged, dstB);
      fs.rmSync(dstB, { recursive: true, force: true });
      out["rsync-literal"] = rs.literal;
      out["rsync-ms"] = rs.ms;
      out["literal-vs-rsync"] = rs.literal > 0 ? stats.bytes.literal / rs.literal : 0;
      out["wall-vs-rsync"] = retagMs / rs.ms;
    }
    const seedDst = path.join(s.dir, `seed-dst-${r}`);
    copyTree(s.seedOld, seedDst);
    const seed = await syncFolders(s.seedNew, seedDst);
    out["seed-reduction"] = 100 * (1 - seed.bytes.moved / seed.bytes.total);
    // AC-10: push one retagged track to a server that holds the old library.
    const exportDir = path.join(s.dir, `export-${r}`);
    copyTree(s.old, exportDir);
    const server = await startSyncServer({ music: exportDir });
    try {
      const remote = await syncToRemote(s.oneTag, server.url("music"));
      out["ac10-wire"] = (remote.wire?.sent ?? 0) + (remote.wire?.received ?? 0);
    } finally {
      await server.close();
      fs.rmSync(exportDir, { recursive: true, force: true });
    }
    return out;
  },
  teardown(s) {
    fs.rmSync(s.dir, { recursive: true, force: true });
  },
});
