import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { chunkStream, cutPoints, DEFAULT_PARAMS, FastCdc, validateParams, type CdcParams } from "../../internal/cdc/fastcdc.ts";
import { GEAR } from "../../internal/cdc/gear.ts";
import { lcgBytes } from "../helpers.ts";

// Small parameters so that property tests see many chunks in little data.
const SMALL: CdcParams = { min: 256, avg: 1024, max: 4096 };

function streamed(data: Uint8Array, params: CdcParams, readSize: (i: number) => number): number[] {
  let pos = 0;
  let calls = 0;
  const ends: number[] = [];
  chunkStream(
    (buf, off, len) => {
      const n = Math.min(len, data.length - pos, Math.max(1, readSize(calls++)));
      buf.set(data.subarray(pos, pos + n), off);
      pos += n;
      return n;
    },
    (offset, length) => ends.push(offset + length),
    params,
  );
  return ends;
}

const bytesArb = fc.uint8Array({ minLength: 0, maxLength: 40_000 });

describe("FastCDC", () => {
  test("the Gear table is fixed: 256 words with a known checksum", () => {
    expect(GEAR.length).toBe(256);
    // Changing the table changes every chunk ID ever stored; this pins it.
    expect(Bun.hash.xxHash3(new Uint8Array(GEAR.buffer)).toString(16)).toBe("39954493bbb7c442");
    expect(GEAR[0]).toBe(0x6c7231b5);
    expect(GEAR[255]).toBe(0xac52896e);
  });

  test("parameters are validated with a clear message", () => {
    expect(() => validateParams({ min: 1000, avg: 3000, max: 8000 })).toThrow(/power of two/);
    expect(() => validateParams({ min: 8192, avg: 4096, max: 16384 })).toThrow(/min <= avg <= max/);
    expect(() => validateParams({ min: 0, avg: 4096, max: 16384 })).toThrow(/positive integer/);
    expect(() => new FastCdc(DEFAULT_PARAMS)).not.toThrow();
  });

  test("empty input has no chunks; input up to min is one chunk", () => {
    expect(cutPoints(new Uint8Array(0), SMALL)).toEqual([]);
    expect(cutPoints(new Uint8Array(SMALL.min), SMALL)).toEqual([SMALL.min]);
    expect(cutPoints(new Uint8Array(10), SMALL)).toEqual([10]);
  });

  test("constant data cuts at max (no cut point inside)", () => {
    const zeros = new Uint8Array(SMALL.max * 3 + 5);
    const ends = cutPoints(zeros, SMALL);
    // Gear of a constant byte may or may not hit the mask; either way every chunk respects the bounds.
    let prev = 0;
    for (const e of ends.slice(0, -1)) {
      expect(e - prev).toBeGreaterThanOrEqual(SMALL.min);
      expect(e - prev).toBeLessThanOrEqual(SMALL.max);
      prev = e;
    }
    expect(ends[ends.length - 1]).toBe(zeros.length);
  });

  test("property: deterministic, bounded sizes, chunks tile the input", () => {
    fc.assert(
      fc.property(bytesArb, (data) => {
        const a = cutPoints(data, SMALL);
        expect(cutPoints(data, SMALL)).toEqual(a);
        let prev = 0;
        a.forEach((end, i) => {
          const len = end - prev;
          expect(len).toBeGreaterThan(0);
          expect(len).toBeLessThanOrEqual(SMALL.max);
          if (i < a.length - 1) expect(len).toBeGreaterThanOrEqual(SMALL.min);
          prev = end;
        });
        expect(prev).toBe(data.length);
      }),
      { numRuns: 200 },
    );
  });

  test("property: streamed cut points equal in-memory ones for any read sizes", () => {
    fc.assert(
      fc.property(bytesArb, fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 20 }), (data, sizes) => {
        expect(streamed(data, SMALL, (i) => sizes[i % sizes.length])).toEqual(cutPoints(data, SMALL));
      }),
      { numRuns: 150 },
    );
  });

  test("streaming with default parameters over 3 MiB, 1-byte to 1 MiB reads", () => {
    const data = lcgBytes(3 << 20);
    const ref = cutPoints(data);
    for (const r of [1, 4095, 65536, 1 << 20]) {
      expect(streamed(data, DEFAULT_PARAMS, () => r)).toEqual(ref);
    }
  });

  test("property: an insertion or deletion changes only the chunks around it", () => {
    const base = lcgBytes(200_000, 777n);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: base.length }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.boolean(),
        (at, insert, isDelete) => {
          const edited = isDelete
            ? new Uint8Array([...base.subarray(0, at), ...base.subarray(Math.min(base.length, at + insert.length))])
            : new Uint8Array([...base.subarray(0, at), ...insert, ...base.subarray(at)]);
          const delta = edited.length - base.length;
          const a = cutPoints(base, SMALL);
          const b = cutPoints(edited, SMALL);
          // Cuts well before the edit are identical.
          const before = (ends: number[]) => ends.filter((e) => e < at - SMALL.max);
          expect(before(b)).toEqual(before(a));
          // Cuts well after it are the old ones, shifted by the size change: the chunker resynchronises.
          const horizon = at + Math.abs(delta) + 3 * SMALL.max;
          const afterA = a.filter((e) => e > horizon).map((e) => e + delta);
          const afterB = new Set(b.filter((e) => e > horizon + Math.max(0, delta)));
          const shared = afterA.filter((e) => afterB.has(e)).length;
          expect(shared).toBeGreaterThanOrEqual(afterA.length - 2);
        },
      ),
      { numRuns: 100 },
    );
  });

  test("average chunk size is near the target on random data", () => {
    const data = lcgBytes(8 << 20, 99n);
    const ends = cutPoints(data);
    const avg = data.length / ends.length;
    // Normalized chunking keeps the mean within ~[0.75, 1.5] x avg for min = avg/4.
    expect(avg).toBeGreaterThan(0.75 * DEFAULT_PARAMS.avg);
    expect(avg).toBeLessThan(1.5 * DEFAULT_PARAMS.avg);
  });
});
