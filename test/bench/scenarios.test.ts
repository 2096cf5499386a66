// The built-in scenarios' correctness (not their speed): data generation, reuse counting,
// end-to-end chunking agreeing with the in-memory chunker.
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { lcgBytes } from "../../bench/scenarios/data.ts";
import { chunkPipelined } from "../../internal/manifest/index.ts";
import { measureReuse } from "../../bench/scenarios/reuse.ts";
import { cutPoints, DEFAULT_PARAMS } from "../../internal/cdc/fastcdc.ts";
import { lcgBytes as lcgBigInt, tempDir } from "../helpers.ts";

const work = tempDir("musicfs-bench-sc-");
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("bench scenarios", () => {
  test("the fast LCG equals the BigInt definition (seed 12345 and another seed)", () => {
    expect(lcgBytes(50_000)).toEqual(lcgBigInt(50_000));
    expect(lcgBytes(5_000, 0xfedcba9876543210n)).toEqual(lcgBigInt(5_000, 0xfedcba9876543210n));
  });

  test("the chunk-file scenario's pipeline streams to the same chunks as cutPoints", async () => {
    const data = lcgBytes(3_000_000);
    const file = path.join(work, "f.bin");
    fs.writeFileSync(file, data);
    const r = await chunkPipelined(file, DEFAULT_PARAMS);
    if (r instanceof Error) throw r;
    expect(r.size).toBe(data.length);
    expect(r.lengths.length).toBe(cutPoints(data).length);
  });

  test("measureReuse: identical data reuses everything; a mid-file edit loses only nearby chunks", () => {
    const a = lcgBytes(1 << 21);
    expect(measureReuse(a, a)).toMatchObject({ reusedBytes: a.length, totalBytes: a.length });
    const b = a.slice();
    for (let i = 1 << 20; i < (1 << 20) + 100; i++) b[i] ^= 0xff;
    const r = measureReuse(a, b);
    expect(r.totalChunks - r.reusedChunks).toBeGreaterThanOrEqual(1);
    expect(r.totalChunks - r.reusedChunks).toBeLessThanOrEqual(2);
  });
});
