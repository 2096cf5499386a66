// The metadata overlay's storage (FR-5.3): a user's tag edits per track, kept in the catalog and
// never written to the origin file. The tracks row carries the effective tags (the file's, with
// the edits over them), so search, collections and the tree by tags follow an edit; the overlay
// row keeps the edits (what the mount's synthesised header is built from) and the file's own
// tags as the last scan read them (what ClearOverlay restores). A rescan that reads a changed file
// refreshes `original` and applies the edits again (TrackWriter calls reapplyOverlay).
import type { Database } from "bun:sqlite";
import { validateOverlayTags, type Edits, type OverlayTags } from "../overlay/index.ts";
import { CatalogError } from "./db.ts";
import { COLUMNS, getTrack, type TrackTags } from "./track.ts";

/** The catalog columns an overlay can change. */
export const TAG_PROPS: readonly (keyof TrackTags)[] = [
  "title", "artist", "album", "albumArtist", "genre", "composer", "year", "trackNo", "discNo",
  "mbRecordingId", "mbAlbumId", "mbArtistId", "mbAlbumArtistId", "mbReleaseGroupId",
];

export interface OverlayRecord {
  trackId: number;
  /** Validated edits: field → values, or null for a removed tag. */
  edits: Edits;
  /** The file's own tags in catalog form, as the last scan read them. */
  original: TrackTags;
  /** Grows with every change of this track's edits. */
  version: number;
  updatedAt: number;
}

/** Several values become one catalog text the way the scan stores them ("A; B"). */
const joined = (v: string[] | null): string | null => (v === null ? null : v.join("; "));
const first = (v: string[] | null): string | null => (v === null ? null : v[0]);
const integer = (v: string | null): number | null => {
  const n = v === null ? NaN : Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : null;
};

/** The catalog's view of `original` with `edits` over it (absent keeps, null removes). */
export function applyEdits(original: TrackTags, edits: Edits): TrackTags {
  const out: TrackTags = { ...original };
  const e = edits;
  if (e.title !== undefined) out.title = joined(e.title);
  if (e.artist !== undefined) out.artist = joined(e.artist);
  if (e.album !== undefined) out.album = joined(e.album);
  if (e.albumArtist !== undefined) out.albumArtist = joined(e.albumArtist);
  if (e.genre !== undefined) out.genre = joined(e.genre);
  if (e.composer !== undefined) out.composer = joined(e.composer);
  // The catalog keeps the year of a date ("2001-05-03" → 2001).
  if (e.date !== undefined) out.year = integer(first(e.date)?.slice(0, 4) ?? null);
  if (e.trackNo !== undefined) out.trackNo = integer(first(e.trackNo));
  if (e.discNo !== undefined) out.discNo = integer(first(e.discNo));
  // The scan keeps the first MusicBrainz id of a list; so does the overlay.
  if (e.mbRecordingId !== undefined) out.mbRecordingId = first(e.mbRecordingId);
  if (e.mbAlbumId !== undefined) out.mbAlbumId = first(e.mbAlbumId);
  if (e.mbArtistId !== undefined) out.mbArtistId = first(e.mbArtistId);
  if (e.mbAlbumArtistId !== undefined) out.mbAlbumArtistId = first(e.mbAlbumArtistId);
  if (e.mbReleaseGroupId !== undefined) out.mbReleaseGroupId = first(e.mbReleaseGroupId);
  return out;
}

function pickTags(t: TrackTags): TrackTags {
  const out = {} as Record<keyof TrackTags, unknown>;
  for (const k of TAG_PROPS) out[k] = t[k] ?? null;
  return out as TrackTags;
}

function writeTags(db: Database, id: number, tags: TrackTags, now: number): void {
  const set = TAG_PROPS.map((k) => `${COLUMNS[k]} = ?`).join(", ");
  db.query(`UPDATE tracks SET ${set}, updated_at = ? WHERE id = ?`).run(...TAG_PROPS.map((k) => tags[k]), now, id);
}

interface OverlayRow {
  track_id: number;
  edits: string;
  original: string;
  version: number;
  updated_at: number;
}

const toRecord = (r: OverlayRow): OverlayRecord => ({ trackId: r.track_id, edits: JSON.parse(r.edits) as Edits, original: JSON.parse(r.original) as TrackTags, version: r.version, updatedAt: r.updated_at });

export function getOverlay(db: Database, trackId: number): OverlayRecord | null {
  const r = db.query("SELECT * FROM overlays WHERE track_id = ?").get(trackId) as OverlayRow | null;
  return r ? toRecord(r) : null;
}

/** Every track with edits and the version of its edits (the mount keys its headers by them). */
export function overlayVersions(db: Database): Map<number, number> {
  const rows = db.query("SELECT track_id, version FROM overlays").all() as { track_id: number; version: number }[];
  return new Map(rows.map((r) => [r.track_id, r.version]));
}

/**
 * Merges `tags` into track `trackId`'s edits (merge semantics: fields given change, others stay)
 * and updates the catalog's tags. Throws OverlayError ("invalid-tags") for a bad value before
 * anything is stored, CatalogError for an unknown track.
 */
export function setOverlay(db: Database, trackId: number, tags: OverlayTags, now = Date.now()): OverlayRecord {
  const add = validateOverlayTags(tags);
  return db.transaction((): OverlayRecord => {
    const t = getTrack(db, trackId);
    if (!t) throw new CatalogError(`no track with id ${trackId}`);
    const cur = getOverlay(db, trackId);
    const rec: OverlayRecord = {
      trackId,
      edits: { ...(cur?.edits ?? {}), ...add },
      // Before the first edit the row's tags are the file's own.
      original: cur?.original ?? pickTags(t),
      version: (cur?.version ?? 0) + 1,
      updatedAt: now,
    };
    db.query("INSERT INTO overlays (track_id, edits, original, version, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (track_id) DO UPDATE SET edits = excluded.edits, version = excluded.version, updated_at = excluded.updated_at").run(
      trackId,
      JSON.stringify(rec.edits),
      JSON.stringify(rec.original),
      rec.version,
      now,
    );
    writeTags(db, trackId, applyEdits(rec.original, rec.edits), now);
    return rec;
  })();
}

/** Drops track `trackId`'s edits and puts the file's own tags back; false when it had none. */
export function clearOverlay(db: Database, trackId: number, now = Date.now()): boolean {
  return db.transaction((): boolean => {
    const cur = getOverlay(db, trackId);
    if (!cur) return false;
    writeTags(db, trackId, cur.original, now);
    db.query("DELETE FROM overlays WHERE track_id = ?").run(trackId);
    return true;
  })();
}

/**
 * A scan just wrote the file's tags `scanned` into row `id`: if the track has edits, remember
 * those tags as the original and put the edits back over them (same transaction as the write).
 */
export function reapplyOverlay(db: Database, id: number, scanned: TrackTags, now: number): void {
  const r = db.query("SELECT edits FROM overlays WHERE track_id = ?").get(id) as { edits: string } | null;
  if (!r) return;
  const original = pickTags(scanned);
  db.query("UPDATE overlays SET original = ? WHERE track_id = ?").run(JSON.stringify(original), id);
  writeTags(db, id, applyEdits(original, JSON.parse(r.edits) as Edits), now);
}
