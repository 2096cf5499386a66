// A read-only view of a ChunkStore directory, for FUSE workers: a cache hit is served on the
// worker's own thread (an index lookup, one file read, xxHash3) instead of a round trip through the
// main thread, which owns the store and was the bottleneck of cached reads.
//
// It never writes or deletes, and any problem (no index, a locked or broken index, a missing,
// short, grown or corrupt chunk) is a miss (null), never an error: the caller then asks the main
// thread, whose ChunkStore.get deletes a corrupt chunk and the block is fetched again. Hits must be
// reported to the owner (CachedReader.noteHits, see HitBatch) for the stats and the LRU order.
import { Database, type Statement } from "bun:sqlite";
import * as nodePath from "node:path";
import { chunkIntact, chunkPath, readChunkExact, readChunkInto } from "./chunk-file.ts";

export interface ChunkStoreReaderOptions {
  /** Longest wait for a lock on the index per lookup. Default 20 ms. */
  busyTimeoutMs?: number;
  /** After an index error, lookups are skipped (misses) for this long. Default 1000 ms. */
  retryAfterMs?: number;
}

/** A block served from the store: its chunk (for the hit report) and its bytes, owned by the caller. */
export interface StoredBlock {
  hex: string;
  data: Uint8Array;
}

interface Row {
  hash: string;
  size: number;
  xxh: string | null;
}

export class ChunkStoreReader {
  readonly dir: string;
  private readonly chunksDir: string;
  private readonly retryAfterMs: number;
  private readonly idBuf = new Uint8Array(32);
  private find: Statement<Row, [string, number]> | null = null;
  private skipUntil = 0;
  /** The buffer of a read that turned out a miss: the next read fills it instead of a new one. */
  private spare: Uint8Array | null = null;

  private constructor(
    dir: string,
    private readonly db: Database,
    opts: ChunkStoreReaderOptions,
  ) {
    this.dir = dir;
    this.chunksDir = nodePath.join(dir, "chunks");
    this.retryAfterMs = opts.retryAfterMs ?? 1000;
  }

  /** Opens the store in `dir` read-only; null when its index cannot be opened (then every read is a miss elsewhere). */
  static open(dir: string, opts: ChunkStoreReaderOptions = {}): ChunkStoreReader | null {
    const abs = nodePath.resolve(dir);
    let db: Database | null = null;
    try {
      db = new Database(nodePath.join(abs, "index.sqlite"), { readonly: true });
      db.exec(`PRAGMA busy_timeout=${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 20))}`);
      return new ChunkStoreReader(abs, db, opts);
    } catch {
      db?.close();
      return null;
    }
  }

  /** The chunk (SHA-256 hex) holding block `idx` of `fileKey`, or undefined (also on any index problem). */
  lookupBlock(fileKey: string, idx: number): string | undefined {
    return this.row(fileKey, idx)?.hash;
  }

  /**
   * Block `idx` of `fileKey`, verified exactly as ChunkStore.get verifies it, when the store holds
   * it with `size` bytes; else null. The bytes are read into `into` when it has room for size + 1
   * bytes (a buffer the caller recycles: fresh 1 MiB buffers cost page faults and garbage
   * collections), else into a new buffer (or the one of an earlier miss); the caller keeps them.
   */
  readBlock(fileKey: string, idx: number, size: number, into?: Uint8Array): StoredBlock | null {
    const row = this.row(fileKey, idx);
    if (!row || row.size !== size) return null;
    // One byte more than expected, to notice a file that grew (as ChunkStore.get does).
    const borrowed = into !== undefined && into.length >= size + 1;
    let buf: Uint8Array;
    if (borrowed) buf = into.subarray(0, size + 1);
    else {
      buf = this.spare !== null && this.spare.length === size + 1 ? this.spare : new Uint8Array(size + 1);
      this.spare = null;
    }
    let n: number;
    try {
      n = readChunkInto(chunkPath(this.chunksDir, row.hash), buf);
    } catch {
      if (!borrowed) this.spare = buf; // missing or unreadable: the owner's get decides
      return null;
    }
    const data = buf.subarray(0, n);
    if (!chunkIntact(data, row.hash, row.size, row.xxh, this.idBuf)) {
      if (!borrowed) this.spare = buf; // corrupt: left for the owner's get, which deletes and re-fetches it
      return null;
    }
    return { hex: row.hash, data };
  }

  /**
   * Block `idx` of `fileKey` read and verified straight into dst[0, size) (a FUSE reply buffer:
   * no buffer of our own, no copy); returns its chunk's id, or null on a miss, in which case dst
   * holds garbage and the caller falls back to readBlock or the owner.
   */
  readBlockInto(fileKey: string, idx: number, size: number, dst: Uint8Array): string | null {
    if (dst.length < size) return null;
    const row = this.row(fileKey, idx);
    if (!row || row.size !== size) return null;
    try {
      if (!readChunkExact(chunkPath(this.chunksDir, row.hash), dst, size)) return null;
    } catch {
      return null;
    }
    return chunkIntact(dst.subarray(0, size), row.hash, row.size, row.xxh, this.idBuf) ? row.hash : null;
  }

  close(): void {
    this.find = null;
    this.db.close();
  }

  private row(fileKey: string, idx: number): Row | null {
    if (this.skipUntil !== 0) {
      if (Date.now() < this.skipUntil) return null;
      this.skipUntil = 0;
    }
    try {
      // Prepared on first use: the owner may still be creating the schema when a worker starts.
      this.find ??= this.db.query<Row, [string, number]>(
        "SELECT c.hash AS hash, c.size AS size, c.xxh AS xxh FROM blocks b JOIN chunks c ON c.hash = b.hash WHERE b.file_key = ? AND b.idx = ?",
      );
      return this.find.get(fileKey, idx);
    } catch {
      // Locked or broken: do not pay the busy timeout on every block meanwhile.
      this.skipUntil = Date.now() + this.retryAfterMs;
      return null;
    }
  }
}
