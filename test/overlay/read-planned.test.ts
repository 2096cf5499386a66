// readPlanned serves any byte range of the virtual file: random plans and ranges must equal a
// slice of header + original[audioOffset .. audioOffset + audio length], and the original is never
// read outside the audio section.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { OverlayError, planOverlay, plannedSegments, readPlanned, type OverlayPlan } from "../../internal/overlay/index.ts";
import { encodeTrack, Prng } from "../../internal/samplelib/index.ts";
import { concat, equalBytes, memOrigin, virtualFile } from "./helpers.ts";

function planOf(header: Uint8Array, fileSize: number, audioOffset: number, audioEnd: number): OverlayPlan {
  return { format: "mp3", header, audioOffset, audioEnd, size: header.length + audioEnd - audioOffset, tags: {} };
}

const arbCase = fc
  .record({
    header: fc.uint8Array({ minLength: 0, maxLength: 300 }),
    original: fc.uint8Array({ minLength: 0, maxLength: 600 }),
    a: fc.nat(),
    b: fc.nat(),
  })
  .map(({ header, original, a, b }) => {
    const x = original.length === 0 ? 0 : a % (original.length + 1);
    const y = original.length === 0 ? 0 : b % (original.length + 1);
    return { header, original, audioOffset: Math.min(x, y), audioEnd: Math.max(x, y) };
  });

describe("readPlanned", () => {
  test("equals slicing the concatenation, for random plans and ranges", () => {
    fc.assert(
      fc.property(arbCase, fc.nat({ max: 1200 }), fc.nat({ max: 1200 }), ({ header, original, audioOffset, audioEnd }, offset, length) => {
        const plan = planOf(header, original.length, audioOffset, audioEnd);
        const whole = concat([header, original.subarray(audioOffset, audioEnd)]);
        const reads: [number, number][] = [];
        const got = readPlanned(plan, offset, length, (o, n) => {
          reads.push([o, n]);
          if (o < audioOffset || o + n > audioEnd || n <= 0) throw new Error(`read outside the audio: ${o}+${n}`);
          return original.subarray(o, o + n);
        });
        expect(equalBytes(got, whole.subarray(offset, offset + length))).toBe(true);
        expect(reads.length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 2000 },
    );
  });

  test("segments tile the requested range", () => {
    fc.assert(
      fc.property(arbCase, fc.nat({ max: 1200 }), fc.nat({ max: 1200 }), ({ header, original, audioOffset, audioEnd }, offset, length) => {
        const plan = planOf(header, original.length, audioOffset, audioEnd);
        const s = plannedSegments(plan, offset, length);
        const want = Math.max(0, Math.min(plan.size, offset + length) - offset);
        expect(s.headerEnd - s.headerStart + s.originalLength).toBe(want);
        if (s.originalLength > 0) {
          expect(s.originalOffset).toBeGreaterThanOrEqual(audioOffset);
          expect(s.originalOffset + s.originalLength).toBeLessThanOrEqual(audioEnd);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test("over a real plan: random ranges of a FLAC and an MP3 with ID3v1", async () => {
    for (const [format, kind] of [
      ["flac", "flac"],
      ["mp3-id3v24+v1", "mp3"],
    ] as const) {
      const file = encodeTrack(format, { title: "T", artist: "A", year: 2000, trackNo: 1 }, new Prng(9).bytes(30_000));
      const o = memOrigin(file);
      const plan = (await planOverlay(kind, o.readRange, file.length, { title: "Edited" }))!;
      const whole = virtualFile(plan, file);
      const rng = new Prng(11);
      for (let i = 0; i < 500; i++) {
        const offset = rng.int(plan.size + 100);
        const length = rng.int(70_000);
        expect(equalBytes(readPlanned(plan, offset, length, o.readSync), whole.subarray(offset, offset + length))).toBe(true);
      }
    }
  });

  test("a short read of the original gives a short result, never stale bytes", () => {
    const plan = planOf(new Uint8Array([1, 2, 3]), 10, 2, 10);
    const got = readPlanned(plan, 1, 8, (o, n) => new Uint8Array(Math.min(n, 2)).fill(9));
    expect([...got]).toEqual([2, 3, 9, 9]);
  });

  test("bad ranges are an OverlayError", () => {
    const plan = planOf(new Uint8Array(3), 10, 0, 10);
    for (const [o, n] of [
      [-1, 1],
      [0, -1],
      [0.5, 1],
      [Number.NaN, 1],
    ]) {
      expect(() => readPlanned(plan, o, n, () => new Uint8Array(0))).toThrow(OverlayError);
    }
  });
});
