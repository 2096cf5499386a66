// NFR-6.4 (delta sync saves > 90 % of bandwidth): chunk 2 MiB of LCG data, change 100 bytes in
// the middle, chunk again, and count how much of the new version the old chunks already cover
// (the predecessor measured 107/108 chunks, 99.1 %). Deterministic: every repetition gives the
// same numbers; it repeats only so the runner's machinery is the same as for timings.
import { defineScenario } from "../../internal/bench/index.ts";
import { cutPoints } from "../../internal/cdc/fastcdc.ts";
import { chunkId, toHex } from "../../internal/hash/index.ts";
import { lcgBytes, MiB } from "./data.ts";

const EDIT = 100;
/** The predecessor's test parameters for this case (4/16/64 KiB): its 107/108 figure used them. */
const SEED_PARAMS = { min: 4096, avg: 16384, max: 65536 };

function chunkIds(data: Uint8Array): { id: string; length: number }[] {
  let start = 0;
  return cutPoints(data, SEED_PARAMS).map((end) => {
    const c = { id: toHex(chunkId(data.subarray(start, end))), length: end - start };
    start = end;
    return c;
  });
}

export interface Reuse {
  totalChunks: number;
  reusedChunks: number;
  totalBytes: number;
  reusedBytes: number;
}

/** How much of `edited` is made of chunks that `original` already has (anywhere, as sync reuses them). */
export function measureReuse(original: Uint8Array, edited: Uint8Array): Reuse {
  const have = new Set(chunkIds(original).map((c) => c.id));
  const now = chunkIds(edited);
  const reused = now.filter((c) => have.has(c.id));
  return {
    totalChunks: now.length,
    reusedChunks: reused.length,
    totalBytes: edited.length,
    reusedBytes: reused.reduce((a, c) => a + c.length, 0),
  };
}

export const reuse = defineScenario({
  id: "reuse",
  description: "Chunk reuse after a 100-byte edit in the middle of 2 MiB of LCG data (the predecessor\'s 4/16/64 KiB params)",
  metrics: [
    { id: "bytes", unit: "%", better: "higher", description: "share of the edited file's bytes in reused chunks (bandwidth saved)" },
    { id: "chunks", unit: "%", better: "higher", description: "share of the edited file's chunks that are reused" },
  ],
  size: { full: 2, quick: 2, unit: "MiB" },
  repeat: { full: 3, quick: 3 },
  warmup: { full: 0, quick: 0 },
  setup(ctx) {
    const original = lcgBytes(ctx.size * MiB);
    const edited = original.slice();
    const at = (edited.length >> 1) - EDIT / 2;
    for (let i = at; i < at + EDIT; i++) edited[i] ^= 0xff; // every one of the 100 bytes differs
    return { original, edited };
  },
  run({ original, edited }, ctx) {
    const r = measureReuse(original, edited);
    ctx.note(`reused ${r.reusedChunks}/${r.totalChunks} chunks, ${r.reusedBytes}/${r.totalBytes} bytes`);
    return { bytes: (100 * r.reusedBytes) / r.totalBytes, chunks: (100 * r.reusedChunks) / r.totalChunks };
  },
});
