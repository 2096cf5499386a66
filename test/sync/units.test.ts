// Unit tests of the pieces: path checks, block deltas, and the streaming build past 4 GiB.
import { afterAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import * as fs from "node:fs";
import * as path from "node:path";
import { CHUNK_ID_BYTES, chunkIdInto } from "../../internal/hash/index.ts";
import { buildTemp, FdCache, preadFull } from "../../internal/sync/build.ts";
import { applyDelta, computeDelta, literalBytes, signatures } from "../../internal/sync/delta.ts";
import { relPathProblem } from "../../internal/sync/paths.ts";
import { randomBytes, tempDir } from "./helpers.ts";

const roots: string[] = [];
afterAll(() => {
  for (const d of roots) fs.rmSync(d, { recursive: true, force: true });
});

describe("relPathProblem (manifest paths from a peer)", () => {
  test("accepts ordinary and unicode paths", () => {
    for (const p of ["a.flac", "Artist/Album/01 Track.flac", "Björk/日本語 🎵.mp3", ".hidden/x", "a..b/c...d"]) expect(relPathProblem(p)).toBeNull();
  });
  test("refuses hostile paths", () => {
    const bad = ["", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "a/", "x\0y", "a\\..\\b", "C:\\x", "a/" + "n".repeat(256), "d/".repeat(2100) + "f", ".musicfs-tmp-123", "a/.musicfs-staging/x", "..", "."];
    for (const p of bad) expect(relPathProblem(p)).not.toBeNull();
  });
});

describe("block delta", () => {
  test("rebuilds any target from any base (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 0, max: 3 }), (base, noise, mode) => {
        // Targets related to the base (edits, shifts) and unrelated ones.
        const target = mode === 0 ? noise : mode === 1 ? concat(base.subarray(0, base.length >> 1), noise, base.subarray(base.length >> 1)) : mode === 2 ? concat(noise.subarray(0, 5), base) : base;
        const sig = signatures(base, 16 << (mode % 3));
        const ops = computeDelta(sig, target);
        const out = applyDelta(base, sig.blockSize, ops, target.length, (s, l) => target.subarray(s, s + l));
        expect(Buffer.from(out).equals(Buffer.from(target))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test("a small insertion costs about one block of literal", () => {
    const base = randomBytes(64 << 10, 5);
    const target = concat(base.subarray(0, 1000), new TextEncoder().encode("NEW TITLE"), base.subarray(1000));
    const sig = signatures(base);
    const ops = computeDelta(sig, target);
    expect(literalBytes(ops)).toBeLessThanOrEqual(sig.blockSize + 9);
  });

  test("rejects ops that point outside the base", () => {
    expect(() => applyDelta(new Uint8Array(10), 16, [{ op: "copy", block: 3, length: 16 }], 16, () => new Uint8Array(0))).toThrow("outside");
  });
});

describe("streaming build past 4 GiB (sparse file, fast)", () => {
  test("reads pieces at offsets above 2^32 and verifies them", () => {
    const dir = tempDir();
    roots.push(dir);
    const big = path.join(dir, "sparse.bin");
    fs.writeFileSync(big, "");
    fs.truncateSync(big, 5 * 2 ** 30); // 5 GiB, no blocks used
    const payload = randomBytes(100_000, 9);
    const at = 4.5 * 2 ** 30;
    const fd = fs.openSync(big, "r+");
    fs.writeSync(fd, payload, 0, payload.length, at);
    fs.closeSync(fd);
    const check = new Uint8Array(payload.length);
    const rfd = fs.openSync(big, "r");
    preadFull(rfd, check, 0, check.length, at);
    fs.closeSync(rfd);
    expect(Buffer.from(check).equals(Buffer.from(payload))).toBe(true);
    // Build a file whose two chunks come from beyond 4 GiB in the "destination" file.
    const lengths = [60_000, 40_000];
    const ids = new Uint8Array(2 * CHUNK_ID_BYTES);
    chunkIdInto(payload.subarray(0, 60_000), ids.subarray(0, 32));
    chunkIdInto(payload.subarray(60_000), ids.subarray(32, 64));
    const fds = new FdCache();
    const built = buildTemp({ dir, size: 100_000, mode: 0o644, mtimeMs: 1_600_000_000_000, lengths, ids, segments: [{ file: big, offset: at, length: 100_000 }], fds, source: null });
    fds.closeAll();
    expect(Buffer.from(fs.readFileSync(built.tmp)).equals(Buffer.from(payload))).toBe(true);
    expect(built.sourceBytes).toBe(0);
  });
});

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
