// Album prefetch (FR-19): when a track on a remote origin is opened, the start of the next track
// of its album is read into the chunk cache in the background, so the player's next open is a
// cache hit instead of a round trip to S3 or SFTP. Runs on the main thread with the access log's
// events; local tracks are not prefetched (the disk is already fast).
import type { Database } from "bun:sqlite";
import type { CachedReader } from "../cas/cached-reader.ts";
import { rowToTrack, trackSelectList, type Track } from "../catalog/index.ts";
import type { TrackRef } from "../origins/index.ts";
import { groupCopies, type Locations } from "./locations.ts";

export interface PrefetchStats {
  /** Tracks whose start was requested ahead of the player. */
  prefetched: number;
  bytes: number;
}

export class Prefetcher {
  readonly stats: PrefetchStats = { prefetched: 0, bytes: 0 };
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

  onOpened(trackId: number): void {
    let next: Track | null;
    try {
      const row = this.db.query(`SELECT ${trackSelectList("t")} FROM tracks t WHERE t.id = ?`).get(trackId) as Record<string, unknown> | null;
      next = row ? this.nextOnAlbum(rowToTrack(row)) : null;
    } catch {
      return; // a busy catalog: skip this hint
    }
    if (!next || this.recent.has(next.id)) return;
    const copies = next.fingerprint
      ? (this.db.query(`SELECT ${trackSelectList("t")} FROM tracks t WHERE t.fingerprint = ? AND t.size = ?`).all(next.fingerprint, next.size) as Record<string, unknown>[]).map(rowToTrack)
      : [next];
    const group = groupCopies(copies, this.loc)[0];
    if (!group || this.loc.direct(group[0])) return;
    this.recent.add(next.id);
    if (this.recent.size > 1000) this.recent.delete(this.recent.values().next().value!);
    const want = Math.min(this.bytes, next.size);
    this.stats.prefetched++;
    this.stats.bytes += want;
    this.reader.read(this.loc.trackRef(group), 0, want).catch(() => {
      this.recent.delete(next!.id); // try again on the next hint
    });
  }
}
