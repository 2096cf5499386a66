// Content-addressed chunk store on local disk: chunks/aa/bb/<sha256 hex>.
// - Writes are atomic: a temp file in <dir>/tmp (same file system) renamed into place, so a crash
//   leaves a chunk whole or absent. No fsync: this is a cache, every read re-verifies the bytes,
//   and a chunk torn by a power cut is deleted and fetched again.
// - The index (chunk sizes, LRU order, file-block → chunk map) is bun:sqlite in WAL mode. LRU order
//   is a persisted counter, not wall time, so clock jumps cannot reorder it. FUSE workers read the
//   index and the chunk files themselves (ChunkStoreReader, read-only) and report their hits (touch).
// - A size cap evicts least-recently-used chunks after each put (down to 95 % of the cap, so it does
//   not run on every put at the edge).
// - Any write failure (ENOSPC, EIO, read-only disk, a broken index) makes put() return null: the
//   caller serves the bytes uncached. Writes pause briefly after a failure so a full disk is not
//   hammered on every read.
import { Database } from "bun:sqlite";
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { chunkIdInto, toHex } from "../hash/index.ts";
import { chunkIntact, chunkPath, quickSum, readChunkInto } from "./chunk-file.ts";

export interface ChunkStoreOptions {
  dir: string;
  /** Size cap in bytes (sum of chunk sizes). */
  maxBytes: number;
  /** Write hook for fault injection; defaults to fs.writeFileSync. */
  writeFile?: (path: string, data: Uint8Array) => void;
  /** Pause after a failed write before trying again. */
  writePauseMs?: number;
}

export interface StoreStats {
  chunks: number;
  sizeBytes: number;
  maxBytes: number;
  evictions: number;
  evictedBytes: number;
  corrupt: number;
  writeErrors: number;
  lastWriteError?: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

export class ChunkStore {
  readonly dir: string;
  readonly chunksDir: string;
  private readonly tmpDir: string;
  private readonly db: Database;
  private readonly lock: Database;
  private readonly maxBytes: number;
  /** The test hook (ChunkStoreOptions.writeFile), used synchronously by put and putAsync. */
  private readonly writeFileHook?: (path: string, data: Uint8Array) => void;
  /** putAsync writes in progress, by chunk id. */
  private readonly writing = new Map<string, Promise<string | null>>();
  private readonly writePauseMs: number;
  private size = 0;
  private count = 0;
  private clock = 0;
  private tmpSeq = 0;
  /** chunks/aa/bb folders known to exist: a recursive mkdir per put cost ~1.5 ms on a VM. */
  private readonly madeDirs = new Set<string>();
  private writesPausedUntil = 0;
  private readonly idBuf = new Uint8Array(32);
  private readonly s: ReturnType<ChunkStore["prepare"]>;
  readonly counters = { evictions: 0, evictedBytes: 0, corrupt: 0, writeErrors: 0, lastWriteError: undefined as string | undefined };

  constructor(opts: ChunkStoreOptions) {
    this.dir = nodePath.resolve(opts.dir);
    this.chunksDir = nodePath.join(this.dir, "chunks");
    this.tmpDir = nodePath.join(this.dir, "tmp");
    this.maxBytes = opts.maxBytes;
    this.writeFileHook = opts.writeFile;
    this.writePauseMs = opts.writePauseMs ?? 5000;
    fs.mkdirSync(this.chunksDir, { recursive: true });
    this.lock = takeOwnership(this.dir);
    // Shared WAL locking (not EXCLUSIVE, which the owner lock replaces): the workers' readers must
    // be able to read it. They never write, so a wait here is rare and short.
    try {
      this.db = new Database(nodePath.join(this.dir, "index.sqlite"), { create: true });
      this.db.exec("PRAGMA busy_timeout=200; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
    } catch (e) {
      this.lock.close();
      throw e;
    }
    fs.rmSync(this.tmpDir, { recursive: true, force: true });
    fs.mkdirSync(this.tmpDir, { recursive: true });
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS chunks (hash TEXT PRIMARY KEY, size INTEGER NOT NULL, atime INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS chunks_atime ON chunks(atime);
      CREATE TABLE IF NOT EXISTS blocks (file_key TEXT NOT NULL, idx INTEGER NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (file_key, idx)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS blocks_hash ON blocks(hash);`);
    // xxHash3 of each chunk, for the check on every read (SHA-256 at ~1.4 GB/s would cap a cache
    // hit below the disk's speed; the SHA-256 name was checked when the chunk was written).
    const cols = this.db.query<{ name: string }, []>("PRAGMA table_info(chunks)").all();
    if (!cols.some((c) => c.name === "xxh")) this.db.exec("ALTER TABLE chunks ADD COLUMN xxh TEXT");
    this.s = this.prepare();
    this.reconcile();
  }

  /**
   * Opens a store, or returns null (with the reason passed to `warn`) when the cache directory is
   * unusable: full, read-only, locked by another process. The reader then serves uncached.
   */
  static tryOpen(opts: ChunkStoreOptions, warn: (message: string) => void = () => {}): ChunkStore | null {
    try {
      return new ChunkStore(opts);
    } catch (e) {
      warn(`chunk cache disabled: ${(e as Error).message}`);
      return null;
    }
  }

  private prepare() {
    const db = this.db;
    const touch = db.query("UPDATE chunks SET atime = ? WHERE hash = ?");
    return {
      get: db.query<{ size: number; xxh: string | null }, [string]>("SELECT size, xxh FROM chunks WHERE hash = ?"),
      setXxh: db.query("UPDATE chunks SET xxh = ? WHERE hash = ?"),
      touch,
      touchAll: db.transaction((hexes: readonly string[]) => {
        for (const h of hexes) touch.run(++this.clock, h);
      }),
      insert: db.query("INSERT OR REPLACE INTO chunks (hash, size, atime, xxh) VALUES (?, ?, ?, ?)"),
      del: db.query("DELETE FROM chunks WHERE hash = ?"),
      delBlocks: db.query("DELETE FROM blocks WHERE hash = ?"),
      oldest: db.query<{ hash: string; size: number }, [number]>("SELECT hash, size FROM chunks ORDER BY atime LIMIT ?"),
      mapBlock: db.query("INSERT OR REPLACE INTO blocks (file_key, idx, hash) VALUES (?, ?, ?)"),
      lookupBlock: db.query<{ hash: string }, [string, number]>("SELECT hash FROM blocks WHERE file_key = ? AND idx = ?"),
    };
  }

  /** Makes index and disk agree: drops rows without files and files without rows; recomputes totals. */
  reconcile(): void {
    const onDisk = new Map<string, number>();
    for (const a of safeReaddir(this.chunksDir)) {
      for (const b of safeReaddir(nodePath.join(this.chunksDir, a))) {
        const d = nodePath.join(this.chunksDir, a, b);
        for (const name of safeReaddir(d)) {
          const p = nodePath.join(d, name);
          if (!HEX64.test(name) || name.slice(0, 2) !== a || name.slice(2, 4) !== b) {
            fs.rmSync(p, { force: true, recursive: true });
            continue;
          }
          try {
            onDisk.set(name, fs.statSync(p).size);
          } catch {
            /* vanished */
          }
        }
      }
    }
    const rows = this.db.query<{ hash: string; size: number }, []>("SELECT hash, size FROM chunks").all();
    const tx = this.db.transaction(() => {
      for (const r of rows) {
        if (onDisk.get(r.hash) !== r.size) {
          this.s.del.run(r.hash);
          this.s.delBlocks.run(r.hash);
          if (onDisk.has(r.hash)) fs.rmSync(this.pathOf(r.hash), { force: true });
        }
        onDisk.delete(r.hash);
      }
    });
    tx();
    // Files the index never heard of (a crash between rename and insert): remove them.
    for (const h of onDisk.keys()) fs.rmSync(this.pathOf(h), { force: true });
    const t = this.db.query<{ n: number; s: number | null; m: number | null }, []>("SELECT COUNT(*) AS n, SUM(size) AS s, MAX(atime) AS m FROM chunks").get()!;
    this.count = t.n;
    this.size = t.s ?? 0;
    this.clock = t.m ?? 0;
  }

  pathOf(hex: string): string {
    return chunkPath(this.chunksDir, hex);
  }

  has(hex: string): boolean {
    return this.s.get.get(hex) !== null;
  }

  /**
   * Stores `data`; returns its SHA-256 hex, or null when it could not be stored (the caller serves
   * the bytes anyway). Existing chunks are only touched.
   */
  put(data: Uint8Array): string | null {
    const hex = toHex(chunkIdInto(data, this.idBuf));
    const tmp = this.begin(hex, data);
    if (typeof tmp !== "string") return tmp.result;
    try {
      if (this.writeFileHook) this.writeFileHook(tmp, data);
      else fs.writeFileSync(tmp, data);
    } catch (e) {
      return this.failed(tmp, e);
    }
    return this.finish(tmp, hex, data);
  }

  /**
   * put() with the file write on Bun's I/O threads: the copy into the page cache was a quarter of
   * the mount's main thread in a cold read. `data` must not change until the promise settles;
   * concurrent puts of one chunk write it once.
   */
  putAsync(data: Uint8Array): Promise<string | null> {
    const hex = toHex(chunkIdInto(data, this.idBuf));
    const running = this.writing.get(hex);
    if (running) return running;
    const p = this.writeAsync(hex, data).finally(() => this.writing.delete(hex));
    this.writing.set(hex, p);
    return p;
  }

  private async writeAsync(hex: string, data: Uint8Array): Promise<string | null> {
    const tmp = this.begin(hex, data);
    if (typeof tmp !== "string") return tmp.result;
    try {
      if (this.writeFileHook) this.writeFileHook(tmp, data);
      else await fs.promises.writeFile(tmp, data);
    } catch (e) {
      return this.failed(tmp, e);
    }
    return this.finish(tmp, hex, data);
  }

  /** A temp path to write a new chunk to, or the answer when there is nothing to write. */
  private begin(hex: string, data: Uint8Array): string | { result: string | null } {
    try {
      if (this.known(hex)) return { result: hex };
    } catch (e) {
      this.noteWriteError(e);
      return { result: null };
    }
    return this.mayWrite(data) ? this.tmpPath() : { result: null };
  }

  /** Installs and indexes a written temp file. */
  private finish(tmp: string, hex: string, data: Uint8Array): string | null {
    try {
      // Stored meanwhile by a put() (putAsync awaited its write): that copy stays, counted once.
      if (this.known(hex)) {
        fs.rmSync(tmp, { force: true });
        return hex;
      }
      this.install(tmp, hex);
      this.adopt(hex, data);
      return hex;
    } catch (e) {
      return this.failed(tmp, e);
    }
  }

  private failed(tmp: string, e: unknown): null {
    fs.rmSync(tmp, { force: true });
    this.noteWriteError(e);
    return null;
  }

  /** True (and the chunk made recent) when it is stored already. */
  private known(hex: string): boolean {
    if (!this.s.get.get(hex)) return false;
    this.s.touch.run(++this.clock, hex);
    return true;
  }

  private mayWrite(data: Uint8Array): boolean {
    return data.length <= this.maxBytes && Date.now() >= this.writesPausedUntil;
  }

  private tmpPath(): string {
    return nodePath.join(this.tmpDir, `${process.pid}.${++this.tmpSeq}`);
  }

  /** Renames a written temp file to the chunk's place. */
  private install(tmp: string, hex: string): void {
    const final = this.pathOf(hex);
    const dir = nodePath.dirname(final);
    if (!this.madeDirs.has(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    try {
      fs.renameSync(tmp, final);
    } catch (e) {
      // The folder went away (cleared by hand): make it again, once.
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      fs.mkdirSync(dir, { recursive: true });
      fs.renameSync(tmp, final);
    }
  }

  /** Indexes an installed chunk and evicts down to the cap. */
  private adopt(hex: string, data: Uint8Array): void {
    this.s.insert.run(hex, data.length, ++this.clock, quickSum(data));
    this.size += data.length;
    this.count++;
    if (this.size > this.maxBytes) this.evictTo(Math.floor(this.maxBytes * 0.95));
  }

  private noteWriteError(e: unknown): void {
    this.counters.writeErrors++;
    this.counters.lastWriteError = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    this.writesPausedUntil = Date.now() + this.writePauseMs;
  }

  /**
   * The chunk's bytes after checking them (xxHash3 recorded at write; SHA-256 for chunks written
   * before that column existed), or null when absent. A corrupt chunk (wrong sum, wrong size,
   * unreadable) is deleted and reported as absent, so the caller re-fetches just that range.
   */
  get(hex: string): Uint8Array | null {
    const row = this.s.get.get(hex);
    if (!row) return null;
    let data: Uint8Array;
    try {
      // One byte more than expected, to notice a file that grew.
      const buf = new Uint8Array(row.size + 1);
      data = buf.subarray(0, readChunkInto(this.pathOf(hex), buf));
    } catch {
      this.drop(hex, row.size, true);
      return null;
    }
    if (!chunkIntact(data, hex, row.size, row.xxh, this.idBuf)) {
      this.drop(hex, row.size, true);
      return null;
    }
    if (row.xxh === null) safeRun(() => this.s.setXxh.run(quickSum(data), hex));
    try {
      this.s.touch.run(++this.clock, hex);
    } catch {
      /* LRU order is best effort; the read succeeded */
    }
    return data;
  }

  /**
   * Marks chunks as just used, in this order (LRU): the hits a FUSE worker served from its own
   * ChunkStoreReader, reported in batches. Unknown (evicted meanwhile) hashes are ignored.
   */
  touch(hexes: readonly string[]): void {
    safeRun(() => this.s.touchAll(hexes));
  }

  private drop(hex: string, size: number, corrupt: boolean): void {
    if (corrupt) this.counters.corrupt++;
    try {
      fs.rmSync(this.pathOf(hex), { force: true });
      this.s.del.run(hex);
      this.s.delBlocks.run(hex);
      this.size -= size;
      this.count--;
    } catch {
      /* the next reconcile cleans up */
    }
  }

  delete(hex: string): void {
    const row = this.s.get.get(hex);
    if (row) this.drop(hex, row.size, false);
  }

  /** Evicts least-recently-used chunks until the store holds at most `target` bytes. */
  evictTo(target: number): void {
    while (this.size > target) {
      const victims = this.s.oldest.all(64);
      if (victims.length === 0) break;
      for (const v of victims) {
        if (this.size <= target) break;
        this.drop(v.hash, v.size, false);
        this.counters.evictions++;
        this.counters.evictedBytes += v.size;
      }
    }
  }

  mapBlock(fileKey: string, idx: number, hex: string): void {
    try {
      this.s.mapBlock.run(fileKey, idx, hex);
    } catch {
      /* unmapped blocks are just misses later */
    }
  }

  lookupBlock(fileKey: string, idx: number): string | undefined {
    return this.s.lookupBlock.get(fileKey, idx)?.hash;
  }

  clear(): void {
    this.db.exec("DELETE FROM chunks; DELETE FROM blocks;");
    fs.rmSync(this.chunksDir, { recursive: true, force: true });
    fs.mkdirSync(this.chunksDir, { recursive: true });
    this.madeDirs.clear();
    this.size = 0;
    this.count = 0;
    this.writesPausedUntil = 0;
  }

  stats(): StoreStats {
    return {
      chunks: this.count, sizeBytes: this.size, maxBytes: this.maxBytes, evictions: this.counters.evictions,
      evictedBytes: this.counters.evictedBytes, corrupt: this.counters.corrupt, writeErrors: this.counters.writeErrors,
      lastWriteError: this.counters.lastWriteError,
    };
  }

  close(): void {
    this.db.close();
    this.lock.close();
  }
}

function safeReaddir(p: string): string[] {
  try {
    return fs.readdirSync(p);
  } catch {
    return [];
  }
}

/**
 * One owner per cache directory: an exclusive SQLite lock on `<dir>/owner.lock`, taken now and held
 * until the returned handle is closed (SQLite's locks also exclude connections in this process). A
 * second process (or store) fails here instead of wiping the first one's temp files. A file of its
 * own, because the index must stay readable by the FUSE workers' ChunkStoreReaders.
 */
function takeOwnership(dir: string): Database {
  const lock = new Database(nodePath.join(dir, "owner.lock"), { create: true });
  try {
    lock.exec("PRAGMA busy_timeout=0; PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;");
  } catch (e) {
    lock.close();
    throw new Error(`chunk cache ${dir} is in use by another process (${(e as Error).message})`);
  }
  return lock;
}

function safeRun(f: () => unknown): void {
  try {
    f();
  } catch {
    /* best effort */
  }
}
