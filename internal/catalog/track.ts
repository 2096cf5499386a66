// The Track row as the rest of MusicFS sees it, and the SQL column mapping.
import type { Database } from "bun:sqlite";
import { reapplyOverlay } from "./overlays.ts";
import { DROP_TRIGGERS, FTS_COLUMNS, TRIGGERS, TRIGRAM_COLUMNS } from "./schema.ts";

export interface TrackTags {
  title: string | null;
  artist: string | null;
  album: string | null;
  albumArtist: string | null;
  genre: string | null;
  composer: string | null;
  year: number | null;
  trackNo: number | null;
  discNo: number | null;
  mbRecordingId: string | null;
  mbAlbumId: string | null;
  mbArtistId: string | null;
  mbAlbumArtistId: string | null;
  mbReleaseGroupId: string | null;
}

export interface TrackInput extends TrackTags {
  origin: string;
  /** Absolute path on the origin. */
  path: string;
  size: number;
  mtimeMs: number;
  fingerprint: string | null;
  /** Lowercase file extension: mp3, flac, wav, ... */
  format: string;
  durationMs: number | null;
  /** bits per second */
  bitrate: number | null;
  sampleRate: number | null;
  hasCover: boolean;
  /** Why tags could not be read (the file is still cataloged, untagged). */
  parseError: string | null;
}

export interface Track extends TrackInput {
  /** Stable id: kept across rescans and moves. */
  id: number;
  /** Epoch ms of the first scan that saw the file. */
  addedAt: number;
  updatedAt: number;
}

/** camelCase property → column. */
export const COLUMNS: Record<keyof Track, string> = {
  id: "id",
  origin: "origin",
  path: "path",
  size: "size",
  mtimeMs: "mtime_ms",
  fingerprint: "fingerprint",
  format: "format",
  durationMs: "duration_ms",
  bitrate: "bitrate",
  sampleRate: "sample_rate",
  title: "title",
  artist: "artist",
  album: "album",
  albumArtist: "album_artist",
  genre: "genre",
  composer: "composer",
  year: "year",
  trackNo: "track_no",
  discNo: "disc_no",
  mbRecordingId: "mb_recording_id",
  mbAlbumId: "mb_album_id",
  mbArtistId: "mb_artist_id",
  mbAlbumArtistId: "mb_album_artist_id",
  mbReleaseGroupId: "mb_release_group_id",
  hasCover: "has_cover",
  parseError: "parse_error",
  addedAt: "added_at",
  updatedAt: "updated_at",
};

/** `SELECT` list (for table alias `alias`) producing Track-shaped rows (has_cover still 0/1). */
export function trackSelectList(alias = "tracks"): string {
  return Object.entries(COLUMNS)
    .map(([prop, col]) => `${alias}.${col} AS ${prop}`)
    .join(", ");
}

export function rowToTrack(row: Record<string, unknown>): Track {
  const t = row as unknown as Track;
  t.hasCover = Boolean(row.hasCover);
  return t;
}

const INPUT_PROPS = (Object.keys(COLUMNS) as (keyof Track)[]).filter((k) => k !== "id" && k !== "addedAt" && k !== "updatedAt") as (keyof TrackInput)[];

/** Bind values for an insert/update, in INPUT_PROPS order, then the timestamp. */
function values(t: TrackInput, now: number): (string | number | null)[] {
  const out: (string | number | null)[] = INPUT_PROPS.map((k) => {
    const v = t[k];
    return typeof v === "boolean" ? (v ? 1 : 0) : (v as string | number | null);
  });
  out.push(now);
  return out;
}

/** Prepared write statements for one connection. */
export class TrackWriter {
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly moveStmt;
  private readonly deleteStmt;
  private readonly plainInsertStmt;

  constructor(private readonly db: Database) {
    const cols = INPUT_PROPS.map((k) => COLUMNS[k]);
    this.plainInsertStmt = db.prepare(`INSERT INTO tracks (${cols.join(", ")}, updated_at, added_at) VALUES (${cols.map(() => "?").join(", ")}, ?, ?) RETURNING id`);
    this.insertStmt = db.prepare(
      `INSERT INTO tracks (${cols.join(", ")}, updated_at, added_at) VALUES (${cols.map(() => "?").join(", ")}, ?, ?)
       ON CONFLICT (origin, path) DO UPDATE SET ${cols.map((c) => `${c} = excluded.${c}`).join(", ")}, updated_at = excluded.updated_at
       RETURNING id`,
    );
    this.updateStmt = db.prepare(`UPDATE tracks SET ${cols.map((c) => `${c} = ?`).join(", ")}, updated_at = ? WHERE id = ?`);
    this.moveStmt = db.prepare("UPDATE tracks SET path = ?, mtime_ms = ?, updated_at = ? WHERE id = ?");
    this.deleteStmt = db.prepare("DELETE FROM tracks WHERE id = ?");
  }

  /** Inserts, or updates the row with the same (origin, path); returns the id. A user's tag edits stay over the file's tags. */
  upsert(t: TrackInput, now = Date.now()): number {
    const row = this.insertStmt.get(...values(t, now), now) as { id: number };
    reapplyOverlay(this.db, row.id, t, now);
    return row.id;
  }

  /** Rewrites every field of row `id` (used for moved and modified files: the id is kept), edits kept over it. */
  update(id: number, t: TrackInput, now = Date.now()): void {
    this.updateStmt.run(...values(t, now), id);
    reapplyOverlay(this.db, id, t, now);
  }

  move(id: number, newPath: string, mtimeMs: number, now = Date.now()): void {
    this.moveStmt.run(newPath, mtimeMs, now, id);
  }

  delete(id: number): void {
    this.deleteStmt.run(id);
  }

  /**
   * Inserts rows whose (origin, path) is not in the catalog yet, inside the caller's transaction
   * (batch()). The word and substring indexes are filled with one INSERT ... SELECT each instead
   * of by the per-row triggers: measured 38 µs instead of 119 µs per row. The triggers are dropped
   * and recreated within the same transaction, so no committed state ever lacks them. Throws (and
   * the transaction must roll back) if a path already exists; use upsert() then.
   */
  insertNew(rows: readonly TrackInput[], now = Date.now()): void {
    if (rows.length < 16) {
      for (const t of rows) this.upsert(t, now);
      return;
    }
    this.db.run(DROP_TRIGGERS);
    let first = -1;
    for (const t of rows) {
      const id = (this.plainInsertStmt.get(...values(t, now), now) as { id: number }).id;
      if (first < 0) first = id;
    }
    // New rowids are larger than every existing one (max + 1) and no other writer can run inside
    // this transaction, so `id >= first` is exactly the rows just inserted.
    const fts = FTS_COLUMNS.join(", ");
    const tri = TRIGRAM_COLUMNS.join(", ");
    this.db.run(`INSERT INTO tracks_fts(rowid, ${fts}) SELECT id, ${fts} FROM tracks WHERE id >= ?`, [first]);
    this.db.run(`INSERT INTO tracks_tri(rowid, ${tri}) SELECT id, ${tri} FROM tracks WHERE id >= ?`, [first]);
    this.db.run(TRIGGERS);
  }

  /** Runs `fn` in one transaction (much faster than one per row; all-or-nothing on a crash). */
  batch<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}

/** From this many rows on, upsertTracks indexes in bulk (rebuild) instead of row by row. */
export const BULK_ROWS = 10_000;

/**
 * Insert/upsert in one transaction; returns the ids. Large loads drop the FTS triggers, write the
 * rows and rebuild both indexes, all in the same transaction (about 3x faster at 100k rows, and
 * still all-or-nothing).
 */
export function upsertTracks(db: Database, tracks: readonly TrackInput[]): number[] {
  const w = new TrackWriter(db);
  const now = Date.now();
  if (tracks.length < BULK_ROWS) return w.batch(() => tracks.map((t) => w.upsert(t, now)));
  return w.batch(() => {
    db.run(DROP_TRIGGERS);
    const ids = tracks.map((t) => w.upsert(t, now));
    db.run("INSERT INTO tracks_fts(tracks_fts) VALUES ('rebuild')");
    db.run("INSERT INTO tracks_tri(tracks_tri) VALUES ('rebuild')");
    db.run(TRIGGERS);
    return ids;
  });
}

export function getTrack(db: Database, id: number): Track | null {
  const row = db.query(`SELECT ${trackSelectList()} FROM tracks WHERE id = ?`).get(id) as Record<string, unknown> | null;
  return row ? rowToTrack(row) : null;
}

export function getTrackByPath(db: Database, path: string, origin = "local"): Track | null {
  const row = db.query(`SELECT ${trackSelectList()} FROM tracks WHERE origin = ? AND path = ?`).get(origin, path) as Record<string, unknown> | null;
  return row ? rowToTrack(row) : null;
}

export function trackCount(db: Database): number {
  return (db.query("SELECT count(*) AS n FROM tracks").get() as { n: number }).n;
}

/** Every track, in id order (for building the VFS tree). */
export function allTracks(db: Database): Track[] {
  return (db.query(`SELECT ${trackSelectList()} FROM tracks ORDER BY id`).all() as Record<string, unknown>[]).map(rowToTrack);
}
