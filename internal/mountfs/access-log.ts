// The mount's access log (FR-18.4): FUSE workers report each open of a track to the main thread
// (one message, off the read path); this batches them and writes every `flushMs` in one
// transaction: a row per open in access_log, and the track's play count and last play in plays.
// Smart collections ("Most Played", "Recently Played") and prefetch read from these tables.
import type { Database } from "bun:sqlite";

/** What a worker sends when a track is opened. */
export interface OpenedEvent {
  op: "opened";
  trackId: number;
  at: number;
}

/** What a worker sends now and then (at a release): the reads it served per track since the last report. */
export interface ReadsEvent {
  op: "reads";
  at: number;
  /** [track id, reads, bytes asked for] */
  tracks: [number, number, number][];
}

/** Counts a FUSE worker's reads per track, to be reported in one message (see ReadsEvent). */
export class ReadCounter {
  private readonly counts = new Map<number, [number, number]>();

  add(trackId: number, bytes: number): void {
    const c = this.counts.get(trackId);
    if (c) {
      c[0]++;
      c[1] += bytes;
    } else this.counts.set(trackId, [1, bytes]);
  }

  /** The report since the last one, or null when there were no reads. */
  take(at = Date.now()): ReadsEvent | null {
    if (this.counts.size === 0) return null;
    const tracks = [...this.counts].map(([id, [n, bytes]]): [number, number, number] => [id, n, bytes]);
    this.counts.clear();
    return { op: "reads", at, tracks };
  }
}

/** Rows older than this are dropped at flush time, so a mount running for months stays small. */
const KEEP_MS = 180 * 86_400_000;

export class AccessLog {
  private pending: OpenedEvent[] = [];
  private pendingReads: ReadsEvent[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastPrune = 0;

  constructor(
    private readonly db: Database,
    flushMs = 2000,
  ) {
    this.timer = setInterval(() => this.flush(), flushMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  record(e: OpenedEvent): void {
    this.pending.push(e);
  }

  recordReads(e: ReadsEvent): void {
    this.pendingReads.push(e);
    if (this.pendingReads.length > 10_000) this.pendingReads.splice(0, this.pendingReads.length - 10_000);
  }

  /** Writes what is pending; a locked or full catalog keeps the events for the next try. */
  flush(): void {
    if (this.pending.length === 0 && this.pendingReads.length === 0) return;
    const batch = this.pending;
    const reads = this.pendingReads;
    this.pending = [];
    this.pendingReads = [];
    try {
      const log = this.db.query("INSERT INTO access_log (at, track_id, event) VALUES (?, ?, 'open')");
      // A track deleted by a rescan meanwhile has no row to count against: skip it.
      const play = this.db.query(
        `INSERT INTO plays (track_id, count, last_at) SELECT ?1, 1, ?2 WHERE EXISTS (SELECT 1 FROM tracks WHERE id = ?1)
         ON CONFLICT (track_id) DO UPDATE SET count = count + 1, last_at = max(last_at, excluded.last_at)`,
      );
      const read = this.db.query("INSERT INTO access_log (at, track_id, event, bytes) VALUES (?, ?, 'read', ?)");
      this.db.transaction(() => {
        for (const e of batch) {
          log.run(e.at, e.trackId);
          play.run(e.trackId, e.at);
        }
        // One row per track and report: the reads themselves are far too many to keep one by one.
        const merged = new Map<number, { at: number; bytes: number }>();
        for (const r of reads) {
          for (const [id, , bytes] of r.tracks) {
            const m = merged.get(id);
            if (m) {
              m.bytes += bytes;
              m.at = Math.max(m.at, r.at);
            } else merged.set(id, { at: r.at, bytes });
          }
        }
        for (const [id, m] of merged) read.run(m.at, id, m.bytes);
        const now = Date.now();
        if (now - this.lastPrune > 3_600_000) {
          this.lastPrune = now;
          this.db.query("DELETE FROM access_log WHERE at < ?").run(now - KEEP_MS);
        }
      })();
    } catch {
      this.pending = batch.concat(this.pending);
      this.pendingReads = reads.concat(this.pendingReads);
      if (this.pending.length > 100_000) this.pending.splice(0, this.pending.length - 100_000);
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.flush();
  }
}
