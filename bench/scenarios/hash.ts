// Hash throughput over one 64 KB buffer hashed many times (the predecessor's 64 KB x 10 000):
// xxHash64 (the predecessor's chunk hash), xxHash3 (our fingerprint), SHA-256 (our chunk id).
// Through the product's own functions in internal/hash, so wrapper costs are included.
import { defineScenario } from "../../internal/bench/index.ts";
import { chunkIdInto, CHUNK_ID_BYTES, fingerprint, xxhash64 } from "../../internal/hash/index.ts";
import { lcgBytes, mbPerSecond } from "./data.ts";

const BLOCK = 64 * 1024;

export const hash = defineScenario({
  id: "hash",
  description: "xxHash64, xxHash3 (fingerprint) and SHA-256 (chunk id) of a 64 KiB block, repeated",
  metrics: [
    { id: "xxhash64", unit: "MB/s", better: "higher", reference: "memcpy.throughput" },
    { id: "xxhash3", unit: "MB/s", better: "higher", reference: "memcpy.throughput" },
    { id: "sha256", unit: "MB/s", better: "higher", reference: "memcpy.throughput" },
  ],
  size: { full: 10_000, quick: 2_000, unit: "blocks" },
  repeat: { full: 10, quick: 5 },
  warmup: { full: 2, quick: 1 },
  setup() {
    return { block: lcgBytes(BLOCK), out: new Uint8Array(CHUNK_ID_BYTES) };
  },
  run({ block, out }, ctx) {
    const n = ctx.size;
    // XOR results into a sink that is checked, so no hash call can be optimised away.
    let sink = 0n;
    let t0 = Bun.nanoseconds();
    for (let i = 0; i < n; i++) sink ^= xxhash64(block);
    const x64 = Bun.nanoseconds() - t0;
    t0 = Bun.nanoseconds();
    for (let i = 0; i < n; i++) sink ^= fingerprint(block);
    const x3 = Bun.nanoseconds() - t0;
    let s = 0;
    t0 = Bun.nanoseconds();
    for (let i = 0; i < n; i++) s ^= chunkIdInto(block, out)[0];
    const sha = Bun.nanoseconds() - t0;
    if (sink === 1n && s === 256) throw new Error("unreachable");
    return { xxhash64: mbPerSecond(BLOCK * n, x64), xxhash3: mbPerSecond(BLOCK * n, x3), sha256: mbPerSecond(BLOCK * n, sha) };
  },
});
