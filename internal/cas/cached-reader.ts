// Byte-range reads of tracks through the chunk cache, for the mount.
//
// Why fixed 1 MiB blocks keyed by (track identity, block index) and not FastCDC chunks: a FUSE
// read at offset X must find its chunk without having read the file before X. CDC boundaries are
// only known after reading the file from its start (a whole download on the first access of a
// remote file), while a fixed block is offset/1 MiB: one ranged GET per miss, and 1 MiB is also
// the kernel's largest FUSE read, so a sequential reader costs one origin request per request.
// Blocks are still stored content-addressed (SHA-256 names), which verifies every read from disk
// and shares identical blocks between copies. What is lost is dedup across retagged versions
// (a tag edit shifts every later block); that matters for sync, which uses CDC, not for a cache.
//
// Layers: a small in-memory LRU of recent blocks (the kernel may split a 1 MiB block into 128 KiB
// reads; hashing the block from disk for each would cost 8×), then the disk store, then the origin
// via the router. Concurrent reads of one block share one fetch. Sequential readers trigger
// read-ahead of the next blocks in the background.
import type { SharedChunkStore } from "./shared-store.ts";
import type { ChunkStore } from "./store.ts";

/** A track as the cache needs it; the router's TrackRef fits. */
export interface TrackLike {
  size: number;
}

/**
 * Where blocks come from (the origin router implements this). Kept as an interface so the cache
 * knows nothing about origins.
 */
export interface RangeSource<T extends TrackLike> {
  /** Exactly min(length, size-offset) bytes, or a rejection when no origin can serve them. */
  read(track: T, offset: number, length: number): Promise<Uint8Array>;
  /** Stable cache identity of the track's content. */
  cacheKey(track: T): string;
  /** True when the track is best read directly (a local disk), bypassing the cache. */
  isLocal?(track: T): boolean;
  /**
   * Blocks one read-ahead request should fetch (1..maxBlocks); one without this. The router
   * answers from the origin's measured speed (Router.readAheadBlocks).
   */
  readAheadBlocks?(track: T, blockBytes: number, maxBlocks: number): number;
}

export const BLOCK_SIZE = 1024 * 1024;
/**
 * Blocks waiting for their store write, at most: with a stalled disk, further blocks are served
 * uncached instead of piling up in memory (each holds 1 MiB until written).
 */
export const MAX_PENDING_WRITES = 64;
/**
 * Longest read-ahead request, in blocks. One 4 MiB request instead of four 1 MiB ones: a local
 * S3 server read 365-497 MB/s that way against 90 with four 1 MiB GETs in flight (2026-12-07).
 */
export const MAX_RUN_BLOCKS = 4;

export interface CachedReaderOptions {
  /** Bytes to read ahead for a sequential reader (0 disables). Default 4 MiB. */
  readaheadBytes?: number;
  /** Recent blocks kept in memory. Default 32 (32 MiB). */
  memoryBlocks?: number;
  /** Cache blocks of `local` origins too. Default false: local files are read directly. */
  cacheLocal?: boolean;
  /** Blocks in flight for read-ahead at once (a run of 4 blocks counts 4). Default 4. */
  readaheadConcurrency?: number;
  /** A chunk store shared with other hosts ([cache.shared]): asked before the origin, fed with what the origin served. */
  shared?: SharedChunkStore;
}

export interface CacheStats {
  hits: number;
  misses: number;
  memoryHits: number;
  bytesFromCache: number;
  bytesFromOrigin: number;
  bytesDirect: number;
  readaheads: number;
  uncachedWrites: number;
  /** Blocks read from the shared chunk store instead of an origin, and their bytes. */
  sharedHits: number;
  bytesFromShared: number;
  /** Blocks published to the shared chunk store; its failed and corrupt objects. */
  sharedPublished: number;
  sharedErrors: number;
  evictions: number;
  evictedBytes: number;
  corrupt: number;
  writeErrors: number;
  chunks: number;
  sizeBytes: number;
  maxBytes: number;
}

interface SeqState {
  nextOffset: number;
}

export class CachedReader<T extends TrackLike> {
  private readonly memory = new Map<string, Uint8Array>();
  /** How many blocks in `memory` view each buffer, and those buffers' bytes (remember()). */
  private readonly retained = new Map<ArrayBufferLike, number>();
  private retainedBytes = 0;
  private readonly inflight = new Map<string, Promise<Uint8Array>>();
  private readonly seq = new Map<string, SeqState>();
  private readonly readaheadBytes: number;
  private readonly memoryBlocks: number;
  private readonly cacheLocal: boolean;
  private readonly raConcurrency: number;
  /** Blocks of the read-ahead jobs running now. */
  private raActive = 0;
  private pendingWrites = 0;
  private readonly storeQueue: Array<() => void> = [];
  private storing = false;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly raQueue: Array<{ ids: string[]; run: () => void; dropped: () => void }> = [];
  private readonly raQueued = new Set<string>();
  private readonly c = { hits: 0, misses: 0, memoryHits: 0, bytesFromCache: 0, bytesFromOrigin: 0, bytesDirect: 0, readaheads: 0, uncachedWrites: 0, sharedHits: 0, bytesFromShared: 0 };
  private readonly shared: SharedChunkStore | null;

  constructor(
    private readonly source: RangeSource<T>,
    private readonly store: ChunkStore | null,
    opts: CachedReaderOptions = {},
  ) {
    this.readaheadBytes = opts.readaheadBytes ?? 4 * BLOCK_SIZE;
    this.memoryBlocks = Math.max(1, opts.memoryBlocks ?? 32);
    this.cacheLocal = opts.cacheLocal ?? false;
    // 4 blocks in flight: with 2 single blocks, a local S3 server sat idle between requests (cold
    // reads 62-67 MB/s with 2; 86-88 with 4 and 8 MiB read-ahead). Now that is one run of 4.
    this.raConcurrency = Math.max(1, opts.readaheadConcurrency ?? 4);
    this.shared = opts.shared ?? null;
  }

  /**
   * Up to `size` bytes at `offset` (short only at EOF). Cache problems never surface; an origin
   * error only when no copy can be read. The bytes may be a view of a cached block: copy, do not
   * modify (readInto copies into the caller's buffer).
   */
  async read(track: T, offset: number, size: number, opts: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const p = this.readInner(track, offset, size);
    const signal = opts.signal;
    if (!signal) return p;
    // An interrupted reader stops waiting; shared fetches go on for the others and the cache.
    return new Promise<Uint8Array>((resolve, reject) => {
      const onAbort = () => reject(Object.assign(new Error("read interrupted"), { code: "EINTR" }));
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  private async readInner(track: T, offset: number, size: number): Promise<Uint8Array> {
    const end = Math.min(track.size, offset + size);
    if (offset >= end) return new Uint8Array(0);
    if (!this.cacheLocal && this.source.isLocal?.(track)) {
      const d = await this.source.read(track, offset, end - offset);
      this.c.bytesDirect += d.length;
      return d;
    }
    const key = this.source.cacheKey(track);
    const first = Math.floor(offset / BLOCK_SIZE);
    const last = Math.floor((end - 1) / BLOCK_SIZE);
    const sequential = this.noteSequential(key, offset, end, first);
    const runLen = sequential && this.readaheadBytes > 0 ? this.runLength(track) : 1;
    // A sequential reader's miss starts the whole run its block is in: the kernel's own read-ahead
    // sends the reads of the next blocks at the same moment, and they join it.
    if (runLen > 1) this.startRunAt(track, key, first, runLen, Math.ceil(track.size / BLOCK_SIZE) - 1);
    // The reader's own blocks are asked for before the read-ahead, so their requests go first.
    if (first === last) {
      const pending = this.block(track, key, first, false);
      if (sequential) this.readAhead(track, key, end, last, runLen);
      const b = await pending;
      const from = offset - first * BLOCK_SIZE;
      return b.subarray(from, from + (end - offset));
    }
    const out = new Uint8Array(end - offset);
    const pending = Promise.all(Array.from({ length: last - first + 1 }, (_, i) => this.block(track, key, first + i, false)));
    if (sequential) this.readAhead(track, key, end, last, runLen);
    const blocks = await pending;
    blocks.forEach((b, i) => {
      const bStart = (first + i) * BLOCK_SIZE;
      const s = Math.max(offset, bStart);
      const e = Math.min(end, bStart + b.length);
      out.set(b.subarray(s - bStart, e - bStart), s - offset);
    });
    return out;
  }

  /**
   * Brings [offset, offset+size) into the cache without handing the bytes to anyone (prefetch):
   * no copy into a fresh buffer, no read-ahead beyond the range. Its fetches queue with the
   * read-ahead (runs, the same in-flight bound), behind readers' own misses, which go first: a
   * prefetch must not slow down what is being played. Resolves with the byte count.
   */
  async warm(track: T, offset: number, size: number): Promise<number> {
    const end = Math.min(track.size, offset + size);
    if (offset >= end || (!this.cacheLocal && this.source.isLocal?.(track))) return Math.max(0, end - offset);
    const key = this.source.cacheKey(track);
    const first = Math.floor(offset / BLOCK_SIZE);
    const last = Math.floor((end - 1) / BLOCK_SIZE);
    const runLen = this.runLength(track);
    const queued: Promise<void>[] = [];
    for (let i = first; i <= last; ) {
      if (this.known(key, i) || this.stored(key, i)) {
        i++;
        continue;
      }
      const j = stretchEnd(i, last, runLen, (b) => !this.known(key, b) && !this.stored(key, b));
      queued.push(this.scheduleAhead(track, key, i, j, false));
      i = j + 1;
    }
    await Promise.all(queued);
    // Whatever the queue dropped, or was queued by a reader before, is fetched or awaited here.
    await Promise.all(Array.from({ length: last - first + 1 }, (_, i) => this.block(track, key, first + i, true)));
    return end - offset;
  }

  /** Like read(), into `dst` (e.g. a FUSE reply buffer); returns the byte count. */
  async readInto(track: T, offset: number, dst: Uint8Array, opts: { signal?: AbortSignal } = {}): Promise<number> {
    const d = await this.read(track, offset, dst.length, opts);
    dst.set(d);
    return d.length;
  }

  /** Records a read of [offset, end) of `key` (from block `first`); true when it continues a sequential reader. */
  private noteSequential(key: string, offset: number, end: number, first: number): boolean {
    const st = this.seq.get(key);
    // A reader that skipped ahead within the read-ahead window is still sequential: FUSE workers
    // serve cache hits themselves, so this reader sees only the misses of a sequential read. For
    // the same reason a first miss right after a cached block (the start prefetch warmed) is one.
    const sequential =
      offset === 0 ||
      (st !== undefined && offset >= st.nextOffset && offset <= st.nextOffset + this.readaheadBytes) ||
      (st === undefined && offset === first * BLOCK_SIZE && (this.loading(key, first - 1) || this.stored(key, first - 1)));
    // Map order = recency; keep the table bounded.
    this.seq.delete(key);
    this.seq.set(key, { nextOffset: end });
    if (this.seq.size > 1024) this.seq.delete(this.seq.keys().next().value!);
    return sequential;
  }

  /** Blocks per origin request for this track's read-ahead (1..MAX_RUN_BLOCKS). */
  private runLength(track: T): number {
    // With a shared store each block is asked there first, one by one: no runs.
    if (this.shared) return 1;
    return Math.max(1, Math.min(MAX_RUN_BLOCKS, Math.floor(this.source.readAheadBlocks?.(track, BLOCK_SIZE, MAX_RUN_BLOCKS) ?? 1)));
  }

  /**
   * Fetches block `idx` and the rest of its run (up to the next multiple of runLen, at most block
   * `limit`) in one request, when that block is neither cached nor coming.
   */
  private startRunAt(track: T, key: string, idx: number, runLen: number, limit: number): void {
    const runEnd = Math.min(limit, (Math.floor(idx / runLen) + 1) * runLen - 1);
    // Blocks merely queued for read-ahead are taken: their job finds them coming and skips them.
    if (this.loading(key, idx) || this.stored(key, idx)) return;
    const j = stretchEnd(idx, runEnd, runLen, (b) => !this.loading(key, b) && !this.stored(key, b));
    if (j > idx) void this.loadRun(track, key, idx, j);
  }

  /** Schedules read-ahead after block `lastBlock` for a sequential reader now at `end`. */
  private readAhead(track: T, key: string, end: number, lastBlock: number, runLen: number): void {
    if (this.readaheadBytes <= 0) return;
    const lastInFile = Math.ceil(track.size / BLOCK_SIZE) - 1;
    // Rounded up to a whole run: the window slides one block per read, and a run may only start
    // at a multiple of runLen, or every run after the first would be one block long.
    // Block by block, no more than can run at once is scheduled: the next read may know the
    // origin's speed (none is measured before the first read of a mount) and ask for runs.
    const window = runLen > 1 ? this.readaheadBytes : Math.min(this.readaheadBytes, this.raConcurrency * BLOCK_SIZE);
    const windowLast = Math.floor((Math.min(track.size, end + window) - 1) / BLOCK_SIZE);
    const raLast = Math.min(lastInFile, (Math.floor(windowLast / runLen) + 1) * runLen - 1);
    for (let i = lastBlock + 1; i <= raLast; ) {
      if (this.known(key, i)) {
        i++;
        continue;
      }
      const j = stretchEnd(i, raLast, runLen, (b) => !this.known(key, b));
      this.scheduleAhead(track, key, i, j);
      i = j + 1;
    }
  }

  /** Block `idx` is in memory, being fetched, or queued for read-ahead. */
  private known(key: string, idx: number): boolean {
    return this.loading(key, idx) || this.raQueued.has(`${key}#${idx}`);
  }

  /** Block `idx` is in memory or being fetched. */
  private loading(key: string, idx: number): boolean {
    const id = `${key}#${idx}`;
    return this.memory.has(id) || this.inflight.has(id);
  }

  /**
   * Queues a fetch of blocks first..last behind the read-ahead in flight; resolves when it is
   * done, or dropped (the queue keeps the newest 64). `ahead`: a reader's read-ahead (counted, and
   * it may grow to its run's end); else a prefetch's range, fetched as it is.
   */
  private scheduleAhead(track: T, key: string, first: number, last: number, ahead = true): Promise<void> {
    const ids: string[] = [];
    for (let i = first; i <= last; i++) ids.push(`${key}#${i}`);
    for (const id of ids) this.raQueued.add(id);
    if (ahead) this.c.readaheads += ids.length;
    return new Promise<void>((settled) => {
      const run = () => {
        for (const id of ids) this.raQueued.delete(id);
        this.raActive += ids.length;
        this.fetchAhead(track, key, first, last, ahead).finally(() => {
          this.raActive -= ids.length;
          settled();
          this.startQueued();
        });
      };
      if (this.raActive === 0 || this.raActive + ids.length <= this.raConcurrency) run();
      else {
        this.raQueue.push({ ids, run, dropped: settled });
        // Old read-ahead requests are worth less than new ones: drop the oldest beyond a bound.
        while (this.raQueue.length > 64) {
          const old = this.raQueue.shift()!;
          for (const id of old.ids) this.raQueued.delete(id);
          old.dropped();
        }
      }
    });
  }

  private startQueued(): void {
    while (this.raQueue.length > 0 && (this.raActive === 0 || this.raActive + this.raQueue[0].ids.length <= this.raConcurrency)) this.raQueue.shift()!.run();
  }

  /**
   * Read-ahead of blocks first..last, when its turn comes. Blocks in memory or coming are skipped
   * (not waited for); blocks the disk store holds go the one-block way (block()); each stretch of
   * the others is one origin request. If the origin has been measured since this was queued (the
   * first reads of a mount), the job grows to the end of its run.
   */
  private async fetchAhead(track: T, key: string, first: number, last: number, grow: boolean): Promise<void> {
    const runLen = this.runLength(track);
    if (grow && runLen > 1) last = Math.max(last, Math.min(Math.ceil(track.size / BLOCK_SIZE) - 1, (Math.floor(last / runLen) + 1) * runLen - 1));
    const jobs: Promise<unknown>[] = [];
    for (let i = first; i <= last; ) {
      if (this.loading(key, i)) {
        i++;
        continue;
      }
      const j = this.stored(key, i) ? i : stretchEnd(i, last, Infinity, (b) => !this.loading(key, b) && !this.stored(key, b));
      jobs.push(j === i ? this.block(track, key, i, true) : this.loadRun(track, key, i, j));
      i = j + 1;
    }
    await Promise.allSettled(jobs);
  }

  private stored(key: string, idx: number): boolean {
    return this.store !== null && safe(() => this.store!.lookupBlock(key, idx)) != null;
  }

  /**
   * Blocks first..last in one origin request; each block is its own in-flight entry, as a view of
   * the answer. When the request fails (after the router's retries), each block is asked for on its
   * own, so a run never fails a read that single blocks would have served.
   */
  private loadRun(track: T, key: string, first: number, last: number): Promise<unknown> {
    const start = first * BLOCK_SIZE;
    const answer = this.source.read(track, start, Math.min(track.size, (last + 1) * BLOCK_SIZE) - start);
    const blocks: Promise<Uint8Array>[] = [];
    for (let i = first; i <= last; i++) {
      const id = `${key}#${i}`;
      const from = (i - first) * BLOCK_SIZE;
      const want = Math.min(BLOCK_SIZE, track.size - i * BLOCK_SIZE);
      const p = answer
        .then(
          (data) => {
            // Short (the copy changed size since the catalog saw it): this block on its own.
            if (data.length < from + want) return this.load(track, key, i, true);
            const b = data.subarray(from, from + want);
            this.c.misses++;
            this.c.bytesFromOrigin += b.length;
            this.remember(id, b);
            this.storeLater(key, i, b, true);
            return b;
          },
          () => this.load(track, key, i, true),
        )
        .finally(() => this.inflight.delete(id));
      this.inflight.set(id, p);
      blocks.push(p);
    }
    return Promise.allSettled(blocks);
  }

  /**
   * Keeps block `id` in the memory LRU. The bound is in blocks and in the bytes of the buffers the
   * blocks keep alive: a block of a run is a view of its whole answer (up to 4 MiB), so blocks
   * counted alone could hold 4x the memory meant (a hit keeps one block of a run recent).
   */
  private remember(id: string, b: Uint8Array): void {
    const old = this.memory.get(id);
    if (old) {
      this.memory.delete(id);
      this.unretain(old);
    }
    this.memory.set(id, b);
    const n = this.retained.get(b.buffer) ?? 0;
    if (n === 0) this.retainedBytes += b.buffer.byteLength;
    this.retained.set(b.buffer, n + 1);
    // (BLOCK_SIZE + 1: a block read from disk comes in a buffer one byte longer, see ChunkStore.get.)
    while (this.memory.size > 1 && (this.memory.size > this.memoryBlocks || this.retainedBytes > this.memoryBlocks * (BLOCK_SIZE + 1))) {
      const [oldest, v] = this.memory.entries().next().value!;
      this.memory.delete(oldest);
      this.unretain(v);
    }
  }

  private unretain(b: Uint8Array): void {
    const n = this.retained.get(b.buffer) ?? 1;
    if (n > 1) return void this.retained.set(b.buffer, n - 1);
    this.retained.delete(b.buffer);
    this.retainedBytes -= b.buffer.byteLength;
  }

  private forgetMemory(): void {
    this.memory.clear();
    this.retained.clear();
    this.retainedBytes = 0;
  }

  /** Bytes of the buffers the memory LRU keeps alive, counted afresh (tests). */
  memoryBytes(): number {
    const seen = new Set<ArrayBufferLike>();
    let n = 0;
    for (const b of this.memory.values()) {
      if (seen.has(b.buffer)) continue;
      seen.add(b.buffer);
      n += b.buffer.byteLength;
    }
    return n;
  }

  private block(track: T, key: string, idx: number, ahead: boolean): Promise<Uint8Array> {
    const id = `${key}#${idx}`;
    const mem = this.memory.get(id);
    if (mem) {
      this.remember(id, mem);
      if (!ahead) {
        this.c.hits++;
        this.c.memoryHits++;
        this.c.bytesFromCache += mem.length;
      }
      return Promise.resolve(mem);
    }
    const running = this.inflight.get(id);
    if (running) return running;
    const p = this.load(track, key, idx, ahead).finally(() => this.inflight.delete(id));
    this.inflight.set(id, p);
    return p;
  }

  private async load(track: T, key: string, idx: number, ahead: boolean): Promise<Uint8Array> {
    const id = `${key}#${idx}`;
    const start = idx * BLOCK_SIZE;
    const want = Math.min(BLOCK_SIZE, track.size - start);
    if (this.store) {
      let hex: string | undefined;
      try {
        hex = this.store.lookupBlock(key, idx);
      } catch {
        hex = undefined; // a broken index is a miss, not an error
      }
      if (hex) {
        const data = safe(() => this.store!.get(hex!));
        if (data && data.length === want) {
          if (!ahead) {
            this.c.hits++;
            this.c.bytesFromCache += data.length;
          }
          this.remember(id, data);
          return data;
        }
      }
    }
    const fromShared = this.shared ? await this.shared.getBlock(key, idx, want) : null;
    if (fromShared) {
      this.c.sharedHits++;
      this.c.bytesFromShared += fromShared.length;
      this.remember(id, fromShared);
      this.storeLater(key, idx, fromShared, false);
      return fromShared;
    }
    const data = await this.source.read(track, start, want);
    this.c.misses++;
    this.c.bytesFromOrigin += data.length;
    this.remember(id, data);
    this.storeLater(key, idx, data, true);
    return data;
  }

  /** Stores a block after the reply (and publishes one an origin served to the shared store). */
  private storeLater(key: string, idx: number, data: Uint8Array, publish: boolean): void {
    if (!this.store) return;
    if (this.pendingWrites >= MAX_PENDING_WRITES) return void this.c.uncachedWrites++;
    // Store after the reply: hashing and writing 1 MiB takes ~1-2 ms the reader need not wait
    // for; the file write itself runs on Bun's I/O threads (putAsync).
    const store = this.store;
    this.pendingWrites++;
    this.storeQueue.push(() => {
      const stored = safe(() => store.putAsync(data)) ?? Promise.resolve(null);
      void stored
        .then((hex) => {
          if (!hex) return void this.c.uncachedWrites++;
          store.mapBlock(key, idx, hex);
          if (publish) this.shared?.publish(key, idx, data, hex);
        })
        .catch(() => this.c.uncachedWrites++)
        .finally(() => {
          this.pendingWrites--;
          if (this.pendingWrites === 0) for (const f of this.idleWaiters.splice(0)) f();
        });
    });
    if (!this.storing) {
      this.storing = true;
      setImmediate(this.storeNext);
    }
  }

  /**
   * One queued store per turn of the event loop: a run of blocks queued at once would otherwise
   * hash back to back (~0.6 ms per MiB of SHA-256), and the FUSE workers' requests would wait
   * behind them (measured: 19 ms p50 latency of worker messages, 0.35 ms one per turn).
   */
  private readonly storeNext = (): void => {
    this.storeQueue.shift()?.();
    if (this.storeQueue.length > 0) setImmediate(this.storeNext);
    else this.storing = false;
  };

  /**
   * Hits served from this reader's store by someone else (FUSE workers reading chunk files with a
   * ChunkStoreReader, reported with each read): counted as this reader's hits, their chunks made recent.
   */
  noteHits(hexes: readonly string[], bytes: number): void {
    this.c.hits += hexes.length;
    this.c.bytesFromCache += bytes;
    if (hexes.length > 0) this.store?.touch(hexes);
  }

  /** Resolves when every fetched block has been written to the store (tests, shutdown). */
  flush(): Promise<void> {
    if (this.pendingWrites === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  getCacheStats(): CacheStats {
    const s = this.store?.stats();
    return {
      ...this.c,
      sharedPublished: this.shared?.stats.published ?? 0, sharedErrors: (this.shared?.stats.errors ?? 0) + (this.shared?.stats.corrupt ?? 0),
      evictions: s?.evictions ?? 0, evictedBytes: s?.evictedBytes ?? 0, corrupt: s?.corrupt ?? 0,
      writeErrors: s?.writeErrors ?? 0, chunks: s?.chunks ?? 0, sizeBytes: s?.sizeBytes ?? 0, maxBytes: s?.maxBytes ?? 0,
    };
  }

  /** Drops every cached block, on disk and in memory. */
  clearCache(): void {
    this.forgetMemory();
    // Blocks waiting for their store write would come back right after the clear.
    this.pendingWrites -= this.storeQueue.length;
    this.storeQueue.length = 0;
    if (this.pendingWrites === 0) for (const f of this.idleWaiters.splice(0)) f();
    this.store?.clear();
  }

  /** Forgets the in-memory blocks only (tests, and memory pressure). */
  dropMemory(): void {
    this.forgetMemory();
  }
}

/**
 * The last block of the stretch that starts at block `i`: it goes on while the next block is
 * `free`, up to `last`, and never past the end of a run (a multiple of runLen).
 */
function stretchEnd(i: number, last: number, runLen: number, free: (block: number) => boolean): number {
  let j = i;
  while (j < last && (j + 1) % runLen !== 0 && free(j + 1)) j++;
  return j;
}

function safe<T>(f: () => T): T | null {
  try {
    return f();
  } catch {
    return null;
  }
}
