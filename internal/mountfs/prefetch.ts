// Prefetch (FR-19): when a track on a remote origin is opened, the start of the next track of its
// album, and of the tracks that followed it most often before (learned from the access log), is
// read into the chunk cache in the background, so the player's next open is a cache hit instead
// of a round trip to S3 or SFTP. Runs on the main thread with the access log's events; local
// tracks are not prefetched (the disk is already fast). Explicit hints (the Prefetch RPC) fetch
// whole tracks.
import type { Database } from "bun:sqlite";
import type { CachedReader } from "../cas/cached-reader.ts";
import { rowToTrack, trackSelectList, type Track } from "../catalog/track.ts";
import type { TrackRef } from "../origins/index.ts";
import { groupCopies, type Locations } from "./locations.ts";

export interface PrefetchStats {
  /** Tracks whose start was requested ahead of the player. */
  prefetched: number;
  bytes: number;
  /** Of those, chosen from learned sequences rather than album order. */
  learned: number;
  /** Fetches running now. */
  inFlight: number;
}

/** A learned transition counts once it was seen this often. */
const MIN_SEEN = 2;
/** Two opens further apart than this are not one listening session. */
const SESSION_GAP_MS = 30 * 60_000;

/**
 * The tracks most often opened right after `trackId` (in one listening session), most frequent
 * first: sequences the access log has seen at least MIN_SEEN times. Also /.prefetch/hint_<id>.
 */
export function predictNext(db: Database, trackId: number, limit = 5): { id: number; seen: number }[] {
  return db
    .query(
        `SELECT next_id AS id, count(*) AS seen FROM (
           SELECT (SELECT b.track_id FROM access_log b
                    WHERE b.rowid > a.rowid AND b.event = 'open' AND b.track_id != a.track_id AND b.at - a.at < ?2
                    ORDER BY b.rowid LIMIT 1) AS next_id
           FROM access_log a WHERE a.track_id = ?1 AND a.event = 'open' ORDER BY a.rowid DESC LIMIT 500)
         WHERE next_id IS NOT NULL GROUP BY next_id HAVING count(*) >= ?3 ORDER BY seen DESC, next_id LIMIT ?4`,
      )
      .all(trackId, SESSION_GAP_MS, MIN_SEEN, limit) as { id: number; seen: number }[];
}

/** Tracks opened in the last 7 days, most recent first: the /.prefetch/ hint files. */
export function recentlyPlayed(db: Database, limit = 10): number[] {
  return (db.query("SELECT track_id FROM plays WHERE last_at > ? ORDER BY last_at DESC LIMIT ?").all(Date.now() - 7 * 86_400_000, limit) as { track_id: number }[]).map((r) => r.track_id);
}

export class Prefetcher {
  readonly stats: PrefetchStats = { prefetched: 0, bytes: 0, learned: 0, inFlight: 0 };
  /** Recently prefetched track ids, so replays and seeks do not fetch the same start again. */
  private readonly recent = new Set<number>();

  constructor(
    private readonly db: Database,
    private readonly loc: Locations,
    private readonly reader: CachedReader<TrackRef>,
    /** Bytes of the next track to fetch (default 4 MiB: the first seconds of play, and the tags). */
    private readonly bytes = 4 << 20,
  ) {}

  /** The track that follows `t` on its album (disc, then track number), if any. */
  nextOnAlbum(t: Track): Track | null {
    if (!t.album || t.trackNo === null) return null;
    const row = this.db
      .query(
        `SELECT ${trackSelectList("t")} FROM tracks t
         WHERE t.album = ?1 AND COALESCE(t.album_artist, t.artist, '') = ?2
           AND (COALESCE(t.disc_no, 1) > ?3 OR (COALESCE(t.disc_no, 1) = ?3 AND t.track_no > ?4))
         ORDER BY COALESCE(t.disc_no, 1), t.track_no LIMIT 1`,
      )
      .get(t.album, t.albumArtist ?? t.artist ?? "", t.discNo ?? 1, t.trackNo) as Record<string, unknown> | null;
    return row ? rowToTrack(row) : null;
  }

  predictNext(trackId: number, limit = 5): { id: number; seen: number }[] {
    return predictNext(this.db, trackId, limit);
  }

  onOpened(trackId: number): void {
    let next: Track | null;
    let learned: { id: number }[];
    try {
      const row = this.trackById(trackId);
      next = row ? this.nextOnAlbum(row) : null;
      learned = this.predictNext(trackId, 2);
    } catch {
      return; // a busy catalog: skip this hint
    }
    if (next) this.fetchStart(next, false);
    for (const l of learned) {
      const t = l.id === next?.id ? null : this.trackById(l.id);
      if (t) this.fetchStart(t, true);
    }
  }

  private trackById(id: number): Track | null {
    const row = this.db.query(`SELECT ${trackSelectList("t")} FROM tracks t WHERE t.id = ?`).get(id) as Record<string, unknown> | null;
    return row ? rowToTrack(row) : null;
  }

  /** Every copy of `t`, grouped as the mount groups them; null for a track read from a local disk. */
  private refOf(t: Track): TrackRef | null {
    const copies = t.fingerprint
      ? (this.db.query(`SELECT ${trackSelectList("t")} FROM tracks t WHERE t.fingerprint = ? AND t.size = ?`).all(t.fingerprint, t.size) as Record<string, unknown>[]).map(rowToTrack)
      : [t];
    const group = groupCopies(copies, this.loc).find((g) => g.some((c) => c.id === t.id));
    return group && !this.loc.direct(group[0]) ? this.loc.trackRef(group) : null;
  }

  private fetchStart(t: Track, learned: boolean): void {
    if (this.recent.has(t.id)) return;
    const ref = this.refOf(t);
    if (!ref) return;
    this.recent.add(t.id);
    if (this.recent.size > 1000) this.recent.delete(this.recent.values().next().value!);
    const want = Math.min(this.bytes, t.size);
    this.stats.prefetched++;
    this.stats.bytes += want;
    if (learned) this.stats.learned++;
    this.stats.inFlight++;
    this.reader
      .warm(ref, 0, want)
      .catch(() => this.recent.delete(t.id)) // try again on the next hint
      .finally(() => this.stats.inFlight--);
  }

  /**
   * Whole tracks into the cache (the Prefetch RPC): one progress report per track. A track on a
   * local disk counts as done without a fetch; an unknown path or a failing origin is reported in
   * `error` and the rest go on.
   */
  async *prefetchTracks(ids: readonly (number | null)[], names: readonly string[]): AsyncGenerator<{ path: string; completed: number; total: number; bytes: number; error?: string }> {
    let bytes = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const t = id === null ? null : this.trackById(id);
      let error: string | undefined;
      if (!t) error = "no such track";
      else {
        const ref = this.refOf(t);
        this.stats.inFlight++;
        try {
          for (let off = 0; ref && off < t.size; off += 4 << 20) bytes += await this.reader.warm(ref, off, Math.min(4 << 20, t.size - off));
        } catch (e) {
          error = (e as Error).message;
        } finally {
          this.stats.inFlight--;
        }
      }
      yield { path: names[i], completed: i + 1, total: ids.length, bytes, error };
    }
  }

  /** /.prefetch/status: what the engine did, in the predecessor's text form. */
  statusText(): string {
    const top = this.db.query("SELECT track_id FROM plays ORDER BY count DESC, last_at DESC LIMIT 5").all() as { track_id: number }[];
    const s = this.stats;
    return [
      "MusicFS Prefetch Status",
      "running: true",
      `in_flight: ${s.inFlight}`,
      `prefetched: ${s.prefetched} tracks, ${s.bytes} bytes (${s.learned} from learned sequences)`,
      `most_played: [${top.map((r) => r.track_id).join(", ")}]`,
      "",
    ].join("\n");
  }
}
