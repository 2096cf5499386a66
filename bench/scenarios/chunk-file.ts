// End-to-end chunking of one big file from the page cache: read, FastCDC, SHA-256 chunk ids.
// In-process through the product's two-core pipeline (chunkPipelined), plus the real
// `musicfs chunk --json FILE` when dist/musicfs is built.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { defineScenario } from "../../internal/bench/index.ts";
import { DEFAULT_PARAMS } from "../../internal/cdc/fastcdc.ts";
import { chunkPipelined } from "../../internal/manifest/index.ts";
import { findMusicfsBinary, NOT_BUILT } from "./binary.ts";
import { fillPseudoRandom, mbPerSecond, MiB } from "./data.ts";

export const chunkFile = defineScenario({
  id: "chunk-file",
  description: "Chunk + SHA-256 ids of one pseudo-random file from the page cache, end to end",
  metrics: [
    { id: "inproc", unit: "MB/s", better: "higher", reference: "memcpy.throughput", description: "chunkPipelined (cut here, hash in a worker) in this process" },
    { id: "cli", unit: "MB/s", better: "higher", optional: true, reference: "memcpy.throughput", description: "`musicfs chunk --json FILE`, wall time including process start" },
    { id: "cli-self", unit: "MB/s", better: "higher", optional: true, reference: "memcpy.throughput", description: "the throughput `musicfs chunk` reports itself (excludes process start)" },
  ],
  size: { full: 512, quick: 64, unit: "MiB" },
  repeat: { full: 7, quick: 4 },
  warmup: { full: 1, quick: 1 },
  budgetMs: { full: 60_000, quick: 10_000 },
  setup(ctx) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-bench-"));
    const file = path.join(dir, `random-${ctx.size}MiB.bin`);
    const block = new Uint8Array(4 * MiB);
    const fd = fs.openSync(file, "w");
    try {
      let state = 0x9e3779b9;
      for (let written = 0; written < ctx.size * MiB; written += block.length) {
        state = fillPseudoRandom(block, state);
        fs.writeSync(fd, block, 0, Math.min(block.length, ctx.size * MiB - written));
      }
    } finally {
      fs.closeSync(fd);
    }
    const bin = findMusicfsBinary();
    if (!bin) ctx.note(`cli metrics skipped: ${NOT_BUILT}`);
    return { dir, file, bin };
  },
  async run({ file, bin }): Promise<Record<string, number>> {
    const t0 = Bun.nanoseconds();
    // The product's path: cut on this thread while a worker hashes (chunk ids on two cores).
    const r = await chunkPipelined(file, DEFAULT_PARAMS);
    if (r instanceof Error) throw r;
    const inproc = mbPerSecond(r.size, Bun.nanoseconds() - t0);
    if (!bin) return { inproc };
    const t1 = Bun.nanoseconds();
    const p = Bun.spawnSync([bin, "chunk", "--json", file], { stdout: "pipe", stderr: "pipe" });
    const wall = Bun.nanoseconds() - t1;
    if (p.exitCode !== 0) throw new Error(`musicfs chunk exited with ${p.exitCode}: ${p.stderr.toString().trim()}`);
    const report = JSON.parse(p.stdout.toString()) as { total: { bytes: number; chunks: number; bytesPerSecond: number } };
    if (report.total.bytes !== r.size || report.total.chunks !== r.lengths.length) {
      throw new Error(`musicfs chunk disagrees: ${report.total.chunks} chunks / ${report.total.bytes} bytes vs ${r.lengths.length} / ${r.size} in process`);
    }
    return { inproc, cli: mbPerSecond(r.size, wall), "cli-self": report.total.bytesPerSecond / 1e6 };
  },
  teardown({ dir }) {
    fs.rmSync(dir, { recursive: true, force: true });
  },
});
