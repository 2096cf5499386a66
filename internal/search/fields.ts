// Query fields and how each maps to the catalog.

export type FieldKind = "fts" | "path" | "format" | "mbid" | "number" | "flag";

export interface FieldDef {
  name: string;
  kind: FieldKind;
  /** tracks column (fts/number/flag). */
  column: string;
  /** number fields: column units per query unit (bitrate kbit/s → bit/s, duration s → ms). */
  scale: number;
  /** number fields computed from a column instead of read from it (SQL over `t`); evaluated per query. */
  expr?: () => string;
}

const def = (name: string, kind: FieldKind, column = name, scale = 1): FieldDef => ({ name, kind, column, scale });

export const FIELDS: Record<string, FieldDef> = {
  title: def("title", "fts"),
  artist: def("artist", "fts"),
  album: def("album", "fts"),
  albumartist: def("albumartist", "fts", "album_artist"),
  genre: def("genre", "fts"),
  composer: def("composer", "fts"),
  path: def("path", "path"),
  format: def("format", "format"),
  mbid: def("mbid", "mbid"),
  year: def("year", "number"),
  track: def("track", "number", "track_no"),
  disc: def("disc", "number", "disc_no"),
  bitrate: def("bitrate", "number", "bitrate", 1000),
  samplerate: def("samplerate", "number", "sample_rate"),
  duration: def("duration", "number", "duration_ms", 1000),
  size: def("size", "number"),
  id: def("id", "number"),
  cover: def("cover", "flag", "has_cover"),
  // Whole days since the track entered the catalog: `age:..29` = added in the last 30 days.
  age: { name: "age", kind: "number", column: "added_at", scale: 1, expr: () => `((${Date.now()} - t.added_at) / 86400000)` },
};

/** Other spellings people type. */
export const ALIASES: Record<string, string> = {
  album_artist: "albumartist",
  albumartists: "albumartist",
  tracknumber: "track",
  trackno: "track",
  discnumber: "disc",
  disk: "disc",
  date: "year",
  sample_rate: "samplerate",
  ext: "format",
  musicbrainz: "mbid",
  added: "age",
};

export function lookupField(name: string): FieldDef | null {
  const n = name.toLowerCase();
  return FIELDS[n] ?? FIELDS[ALIASES[n] ?? ""] ?? null;
}

export const FIELD_NAMES = Object.keys(FIELDS);
