// Hits a FUSE worker served from its ChunkStoreReader, reported to the store's owner: the owner
// counts them (GetCacheStats) and moves their chunks to the front of the LRU order. The worker
// sends a batch per FUSE read, before its reply: a worker's event loop only turns while it has
// async replies outstanding, so a batch kept for a timer could wait unsent for as long as the
// worker sleeps in poll, and the stats would lag behind what readers were served.

/** The message a worker posts (WorkerInfo.callMain) and the main thread hands to CachedReader.noteHits. */
export interface CacheHitsReport {
  op: "cache-hits";
  /** Chunk hashes in the order they were read (the LRU order to apply). */
  hexes: string[];
  /** Bytes served by these hits. */
  bytes: number;
}

export function isCacheHitsReport(v: unknown): v is CacheHitsReport {
  const r = v as CacheHitsReport;
  return r?.op === "cache-hits" && Array.isArray(r.hexes) && typeof r.bytes === "number";
}

export class HitBatch {
  private hexes: string[] = [];
  private bytes = 0;

  constructor(
    private readonly send: (report: CacheHitsReport) => void,
    /** Sent at once when this many hits are waiting (one message stays small). */
    private readonly maxHits = 64,
  ) {}

  get size(): number {
    return this.hexes.length;
  }

  add(hex: string, bytes: number): void {
    this.hexes.push(hex);
    this.bytes += bytes;
    if (this.hexes.length >= this.maxHits) this.flush();
  }

  /** Sends the waiting hits, if any. */
  flush(): void {
    if (this.hexes.length === 0) return;
    const report: CacheHitsReport = { op: "cache-hits", hexes: this.hexes, bytes: this.bytes };
    this.hexes = [];
    this.bytes = 0;
    this.send(report);
  }
}
