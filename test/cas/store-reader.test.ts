// The FUSE workers' read-only side of the chunk store: hits verified like ChunkStore.get, every
// problem a miss (null) that leaves the store untouched, hits reported back in batches.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CachedReader } from "../../internal/cas/cached-reader.ts";
import { HitBatch, isCacheHitsReport, type CacheHitsReport } from "../../internal/cas/hit-batch.ts";
import { ChunkStore } from "../../internal/cas/store.ts";
import { ChunkStoreReader } from "../../internal/cas/store-reader.ts";
import { LocalOrigin } from "../../internal/origins/local.ts";
import { Router, trackCacheKey, type TrackRef } from "../../internal/origins/router.ts";

const MiB = 1024 * 1024;
let tmp: string;
let n = 0;
const freshDir = () => path.join(tmp, `store${++n}`);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-cas-reader-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function block(seed: number, len = MiB): Uint8Array {
  const b = new Uint8Array(len);
  for (let off = 0; off < len; off += 65536) crypto.getRandomValues(b.subarray(off, Math.min(len, off + 65536)));
  b[0] = seed;
  return b;
}

/** A store holding `blocks` as blocks 0.. of file key "k". */
function filled(blocks: Uint8Array[], maxBytes = 100 * MiB): { store: ChunkStore; hexes: string[] } {
  const store = new ChunkStore({ dir: freshDir(), maxBytes });
  const hexes = blocks.map((b, i) => {
    const hex = store.put(b)!;
    store.mapBlock("k", i, hex);
    return hex;
  });
  return { store, hexes };
}

describe("ChunkStoreReader", () => {
  test("hit: the block's bytes and chunk, verified, while the owner keeps writing", () => {
    const blocks = [block(1), block(2, 1000)];
    const { store, hexes } = filled(blocks);
    const r = ChunkStoreReader.open(store.dir)!;
    expect(r).not.toBeNull();
    expect(r.lookupBlock("k", 0)).toBe(hexes[0]);
    const a = r.readBlock("k", 0, MiB)!;
    expect(a.hex).toBe(hexes[0]);
    expect(same(a.data, blocks[0])).toBe(true);
    expect(same(r.readBlock("k", 1, 1000)!.data, blocks[1])).toBe(true);
    // The owner writes on while a reader is open, and the reader sees the new block.
    const c = block(3);
    store.mapBlock("k", 2, store.put(c)!);
    expect(same(r.readBlock("k", 2, MiB)!.data, c)).toBe(true);
    // The reader took no ownership: a second owner is still refused, and only that.
    expect(ChunkStore.tryOpen({ dir: store.dir, maxBytes: MiB })).toBeNull();
    r.close();
    store.close();
  });

  test("miss: unknown block, or a size other than expected", () => {
    const { store } = filled([block(1)]);
    const r = ChunkStoreReader.open(store.dir)!;
    expect(r.readBlock("k", 1, MiB)).toBeNull();
    expect(r.readBlock("other", 0, MiB)).toBeNull();
    expect(r.lookupBlock("other", 0)).toBeUndefined();
    expect(r.readBlock("k", 0, MiB - 1)).toBeNull();
    r.close();
    store.close();
  });

  test("a corrupt, grown or missing chunk is a miss and is left as it is (the owner's get deletes it)", () => {
    const blocks = [block(1), block(2), block(3), block(4)];
    const { store, hexes } = filled(blocks);
    const r = ChunkStoreReader.open(store.dir)!;
    const kept = r.readBlock("k", 3, MiB)!; // a hit the caller keeps, across later misses
    // Corrupt: same size, one byte flipped.
    const bad = Buffer.from(blocks[0]);
    bad[12345] ^= 0xff;
    fs.writeFileSync(store.pathOf(hexes[0]), bad);
    expect(r.readBlock("k", 0, MiB)).toBeNull();
    expect(same(fs.readFileSync(store.pathOf(hexes[0])), bad)).toBe(true);
    expect(store.has(hexes[0])).toBe(true);
    expect(r.lookupBlock("k", 0)).toBe(hexes[0]);
    // Grown by a byte.
    fs.appendFileSync(store.pathOf(hexes[1]), "x");
    expect(r.readBlock("k", 1, MiB)).toBeNull();
    expect(fs.statSync(store.pathOf(hexes[1])).size).toBe(MiB + 1);
    // Missing.
    fs.rmSync(store.pathOf(hexes[2]));
    expect(r.readBlock("k", 2, MiB)).toBeNull();
    expect(store.has(hexes[2])).toBe(true);
    // The buffer of a miss is reused, never one a caller holds.
    expect(same(kept.data, blocks[3])).toBe(true);
    expect(same(r.readBlock("k", 3, MiB)!.data, blocks[3])).toBe(true);
    expect(same(kept.data, blocks[3])).toBe(true);
    // The owner finds the corrupt chunk and drops it.
    expect(store.get(hexes[0])).toBeNull();
    expect(fs.existsSync(store.pathOf(hexes[0]))).toBe(false);
    expect(store.stats().corrupt).toBe(1);
    r.close();
    store.close();
  });

  test("readBlockInto: a hit lands in the caller's buffer; corrupt, grown, shrunk, missing or a short buffer is a miss", () => {
    const blocks = [block(5), block(6), block(7), block(8), block(9, 1000)];
    const { store, hexes } = filled(blocks);
    const r = ChunkStoreReader.open(store.dir)!;
    const dst = new Uint8Array(MiB);
    expect(r.readBlockInto("k", 0, MiB, dst)).toBe(hexes[0]);
    expect(same(dst, blocks[0])).toBe(true);
    // A short last block fills only its bytes.
    expect(r.readBlockInto("k", 4, 1000, dst)).toBe(hexes[4]);
    expect(same(dst.subarray(0, 1000), blocks[4])).toBe(true);
    expect(r.readBlockInto("k", 0, MiB, new Uint8Array(MiB - 1))).toBeNull();
    expect(r.readBlockInto("k", 0, MiB - 1, dst)).toBeNull(); // the index says another size
    const bad = Buffer.from(blocks[1]);
    bad[777] ^= 1;
    fs.writeFileSync(store.pathOf(hexes[1]), bad);
    expect(r.readBlockInto("k", 1, MiB, dst)).toBeNull();
    fs.appendFileSync(store.pathOf(hexes[2]), "x");
    expect(r.readBlockInto("k", 2, MiB, dst)).toBeNull();
    fs.truncateSync(store.pathOf(hexes[3]), MiB - 10);
    expect(r.readBlockInto("k", 3, MiB, dst)).toBeNull();
    fs.rmSync(store.pathOf(hexes[0]));
    expect(r.readBlockInto("k", 0, MiB, dst)).toBeNull();
    expect(r.readBlockInto("nope", 0, MiB, dst)).toBeNull();
    r.close();
    store.close();
  });

  test("a chunk written before xxHash3 was recorded is checked by SHA-256", () => {
    const blocks = [block(1)];
    const { store, hexes } = filled(blocks);
    store.close();
    const db = new Database(path.join(store.dir, "index.sqlite"));
    db.exec("UPDATE chunks SET xxh = NULL");
    db.close();
    const r = ChunkStoreReader.open(store.dir)!;
    expect(same(r.readBlock("k", 0, MiB)!.data, blocks[0])).toBe(true);
    const bad = Buffer.from(blocks[0]);
    bad[7] ^= 1;
    fs.writeFileSync(path.join(store.dir, "chunks", hexes[0].slice(0, 2), hexes[0].slice(2, 4), hexes[0]), bad);
    expect(r.readBlock("k", 0, MiB)).toBeNull();
    r.close();
  });

  test("no index, or a locked one, is a miss", () => {
    expect(ChunkStoreReader.open(path.join(tmp, "nowhere"))).toBeNull();
    const { store } = filled([block(1)]);
    store.close();
    // Another connection holds the index exclusively (an open WAL reader would keep it from that).
    const locker = new Database(path.join(store.dir, "index.sqlite"));
    locker.exec("PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;");
    const r = ChunkStoreReader.open(store.dir, { busyTimeoutMs: 20, retryAfterMs: 100 })!;
    expect(r).not.toBeNull();
    let t0 = performance.now();
    expect(r.readBlock("k", 0, MiB)).toBeNull();
    expect(performance.now() - t0).toBeLessThan(1000);
    // Meanwhile misses come at once, without waiting for the lock again.
    t0 = performance.now();
    expect(r.readBlock("k", 0, MiB)).toBeNull();
    expect(performance.now() - t0).toBeLessThan(15);
    locker.exec("COMMIT");
    locker.close();
    Bun.sleepSync(150);
    expect(r.readBlock("k", 0, MiB)).not.toBeNull();
    r.close();
  });

  test("the worker's key is the cache's key: blocks the CachedReader stored are found", async () => {
    const data = block(9, 3 * MiB + 555);
    fs.mkdirSync(path.join(tmp, "origin"), { recursive: true });
    fs.writeFileSync(path.join(tmp, "origin", "t.flac"), data);
    const router = new Router();
    router.add(new LocalOrigin({ id: "remote", root: path.join(tmp, "origin") }), 1);
    const track: TrackRef = { fingerprint: "0123456789abcdef", size: data.length, locations: [{ originId: "remote", path: "/t.flac" }] };
    expect(trackCacheKey(track)).toBe(router.cacheKey(track));
    const store = new ChunkStore({ dir: freshDir(), maxBytes: 100 * MiB });
    const reader = new CachedReader(router, store, { readaheadBytes: 0, cacheLocal: true });
    await reader.read(track, 0, data.length);
    await reader.flush();
    const r = ChunkStoreReader.open(store.dir)!;
    const key = trackCacheKey(track);
    for (let i = 0; i * MiB < data.length; i++) {
      const want = Math.min(MiB, data.length - i * MiB);
      expect(same(r.readBlock(key, i, want)!.data, data.subarray(i * MiB, i * MiB + want))).toBe(true);
    }
    r.close();
    store.close();
  });
});

describe("read-ahead with blocks served elsewhere", () => {
  test("a reader that skipped blocks within the read-ahead window is still sequential", async () => {
    const data = block(7, 12 * MiB);
    fs.mkdirSync(path.join(tmp, "origin2"), { recursive: true });
    fs.writeFileSync(path.join(tmp, "origin2", "t.flac"), data);
    const router = new Router();
    router.add(new LocalOrigin({ id: "remote", root: path.join(tmp, "origin2") }), 1);
    const track: TrackRef = { fingerprint: "fedcba9876543210", size: data.length, locations: [{ originId: "remote", path: "/t.flac" }] };
    const store = new ChunkStore({ dir: freshDir(), maxBytes: 100 * MiB });
    const reader = new CachedReader(router, store, { readaheadBytes: 2 * MiB, cacheLocal: true });
    await reader.read(track, 0, MiB);
    expect(reader.getCacheStats().readaheads).toBe(2);
    // Blocks 1 and 2 were served by a FUSE worker from the cache; this reader sees block 3 next.
    expect(same(await reader.read(track, 3 * MiB, MiB), data.subarray(3 * MiB, 4 * MiB))).toBe(true);
    // Blocks 4 and 5, rounded up to a whole run of read-ahead (4..7: the origin is fast).
    const ahead = reader.getCacheStats().readaheads;
    expect(ahead).toBeGreaterThanOrEqual(4);
    // A jump past the window is a seek: no read-ahead.
    await reader.read(track, 10 * MiB, MiB);
    expect(reader.getCacheStats().readaheads).toBe(ahead);
    await reader.flush();
    store.close();
  });
});

describe("hit reports", () => {
  test("HitBatch sends when full and on flush, never an empty report", () => {
    const sent: CacheHitsReport[] = [];
    const batch = new HitBatch((r) => sent.push(r), 64);
    for (let i = 0; i < 64; i++) batch.add(`h${i}`, 10);
    expect(sent.length).toBe(1);
    expect(sent[0]).toEqual({ op: "cache-hits", hexes: Array.from({ length: 64 }, (_, i) => `h${i}`), bytes: 640 });
    expect(isCacheHitsReport(sent[0])).toBe(true);
    batch.add("a", 1);
    batch.add("b", 2);
    expect(batch.size).toBe(2);
    batch.flush();
    expect(sent[1]).toEqual({ op: "cache-hits", hexes: ["a", "b"], bytes: 3 });
    batch.flush();
    expect(sent.length).toBe(2);
    expect(isCacheHitsReport({ op: "read" })).toBe(false);
  });

  test("CachedReader.noteHits counts the hits and makes their chunks recent (LRU eviction)", () => {
    const blocks = [block(0), block(1), block(2), block(3)];
    const { store, hexes } = filled(blocks, 4 * MiB);
    const reader = new CachedReader(new Router(), store);
    reader.noteHits([hexes[0]], MiB);
    expect(reader.getCacheStats()).toMatchObject({ hits: 1, misses: 0, bytesFromCache: MiB });
    store.put(block(4)); // over the cap: the least recently used go
    expect(store.has(hexes[0])).toBe(true);
    expect(store.has(hexes[1])).toBe(false);
    expect(store.has(hexes[3])).toBe(true);
    reader.noteHits([hexes[1], "f".repeat(64)], 0); // evicted or unknown chunks are just counted
    expect(reader.getCacheStats().hits).toBe(3);
    store.close();
  });
});
