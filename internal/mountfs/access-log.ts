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

/** Rows older than this are dropped at flush time, so a mount running for months stays small. */
const KEEP_MS = 180 * 86_400_000;

export class AccessLog {
  private pending: OpenedEvent[] = [];
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

  /** Writes what is pending; a locked or full catalog keeps the events for the next try. */
  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      const log = this.db.query("INSERT INTO access_log (at, track_id, event) VALUES (?, ?, 'open')");
      // A track deleted by a rescan meanwhile has no row to count against: skip it.
      const play = this.db.query(
        `INSERT INTO plays (track_id, count, last_at) SELECT ?1, 1, ?2 WHERE EXISTS (SELECT 1 FROM tracks WHERE id = ?1)
         ON CONFLICT (track_id) DO UPDATE SET count = count + 1, last_at = max(last_at, excluded.last_at)`,
      );
      this.db.transaction(() => {
        for (const e of batch) {
          log.run(e.at, e.trackId);
          play.run(e.trackId, e.at);
        }
        const now = Date.now();
        if (now - this.lastPrune > 3_600_000) {
          this.lastPrune = now;
          this.db.query("DELETE FROM access_log WHERE at < ?").run(now - KEEP_MS);
        }
      })();
    } catch {
      this.pending = batch.concat(this.pending);
      if (this.pending.length > 100_000) this.pending.splice(0, this.pending.length - 100_000);
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.flush();
  }
}
