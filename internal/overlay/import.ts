// Bulk tag edits from a CSV or JSON file (ImportMetadata, `musicfs metadata import`): each row
// names a track (file id, path, or MusicBrainz recording id) and carries the fields to change.
// Parsing only; matching rows to tracks and storing the edits is the catalog's business.
import { parse as parseCsv } from "csv-parse/sync";
import { OverlayError } from "./errors.ts";
import { validateOverlayTags, type OverlayTags } from "./tags.ts";

/** How a row names its track. */
export type ImportKey = { fileId: number } | { path: string } | { mbRecordingId: string };

export interface ImportRow {
  /** 1-based line (CSV, the header is line 1) or array index + 1 (JSON), for error messages. */
  row: number;
  key: ImportKey;
  tags: OverlayTags;
}

export interface ImportProblem {
  row: number;
  message: string;
}

/** Column names accepted for each field (lowercase, `-`/space read as `_`). */
const COLUMN_FIELDS: Record<string, keyof OverlayTags> = {
  title: "title",
  artist: "artist",
  album: "album",
  album_artist: "albumArtist",
  albumartist: "albumArtist",
  genre: "genre",
  composer: "composer",
  date: "date",
  year: "date",
  track: "trackNo",
  track_number: "trackNo",
  trackno: "trackNo",
  track_total: "trackTotal",
  disc: "discNo",
  disc_number: "discNo",
  discno: "discNo",
  disc_total: "discTotal",
  mb_release_track_id: "mbReleaseTrackId",
  mb_album_id: "mbAlbumId",
  mb_artist_id: "mbArtistId",
  mb_album_artist_id: "mbAlbumArtistId",
  mb_release_group_id: "mbReleaseGroupId",
};
const KEY_COLUMNS = new Set(["file_id", "id", "path", "virtual_path", "mb_recording_id"]);
const NUMBER_FIELDS = new Set<keyof OverlayTags>(["trackNo", "trackTotal", "discNo", "discTotal"]);

/** At most this many rows per import: a bound on one request's work. */
export const MAX_IMPORT_ROWS = 100_000;

const norm = (name: string) => name.trim().toLowerCase().replace(/[-\s]+/g, "_");

/** "csv" or "json" from an explicit format or the file name's extension. */
export function importFormat(format: string | undefined, fileName: string): "csv" | "json" {
  const f = (format ?? fileName.split(".").pop() ?? "").trim().toLowerCase();
  if (f === "csv" || f === "json") return f;
  throw new OverlayError("invalid-tags", `import format must be csv or json (from --format or the file's extension), got ${JSON.stringify(f)}`);
}

/**
 * Rows of an import file. A row with a bad key or value becomes a problem (with its row number)
 * and the others still import; a file that cannot be parsed at all throws OverlayError.
 * In CSV an empty cell means "leave as is" (spreadsheets leave cells empty); in JSON null removes.
 */
export function parseImport(text: string, format: "csv" | "json"): { rows: ImportRow[]; problems: ImportProblem[] } {
  const records = format === "csv" ? csvRecords(text) : jsonRecords(text);
  if (records.length > MAX_IMPORT_ROWS) throw new OverlayError("too-large", `${records.length} rows, more than the ${MAX_IMPORT_ROWS} one import takes`);
  const rows: ImportRow[] = [];
  const problems: ImportProblem[] = [];
  records.forEach((rec, i) => {
    const row = format === "csv" ? i + 2 : i + 1;
    try {
      rows.push({ row, ...toRow(rec, format === "csv") });
    } catch (e) {
      problems.push({ row, message: (e as Error).message });
    }
  });
  return { rows, problems };
}

function csvRecords(text: string): Record<string, unknown>[] {
  try {
    return parseCsv(text, { columns: true, skip_empty_lines: true, bom: true, trim: true, max_record_size: 1 << 20 }) as Record<string, unknown>[];
  } catch (e) {
    throw new OverlayError("malformed", `CSV: ${(e as Error).message}`);
  }
}

function jsonRecords(text: string): Record<string, unknown>[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new OverlayError("malformed", `JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(v)) throw new OverlayError("malformed", "JSON: expected an array of objects, one per track");
  return v.map((x) => (typeof x === "object" && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : { __invalid: x }));
}

function toRow(rec: Record<string, unknown>, csv: boolean): { key: ImportKey; tags: OverlayTags } {
  if ("__invalid" in rec) throw new Error("not an object");
  let key: ImportKey | null = null;
  const fields: Record<string, unknown> = {};
  for (const [rawName, raw] of Object.entries(rec)) {
    const name = norm(rawName);
    if (!KEY_COLUMNS.has(name)) {
      if (!(csv && raw === "")) fields[rawName] = raw;
      continue;
    }
    if (raw === "" || raw === null || raw === undefined) continue;
    if (key) throw new Error("names its track twice (use one of file_id, path, mb_recording_id)");
    key = keyOf(name, raw);
  }
  if (!key) throw new Error("no file_id, path or mb_recording_id to find its track by");
  return { key, tags: tagsFromColumns(fields) };
}

/**
 * An edit record from column names and values (CSV cells, `musicfs metadata set` KEY=VALUE
 * pairs): names as in COLUMN_FIELDS, numbers from text ("3/12" counts as 3), "" removes a text
 * tag. Throws an Error naming the column for an unknown one or a bad value.
 */
export function tagsFromColumns(rec: Record<string, unknown>): OverlayTags {
  const tags: Record<string, unknown> = {};
  for (const [rawName, raw] of Object.entries(rec)) {
    const field = COLUMN_FIELDS[norm(rawName)];
    if (!field) throw new Error(`unknown field "${rawName}" (known: ${[...new Set(Object.keys(COLUMN_FIELDS))].join(", ")})`);
    tags[field] = NUMBER_FIELDS.has(field) && typeof raw === "string" ? (raw === "" ? null : numberOf(rawName, raw)) : raw;
  }
  if (Object.keys(tags).length === 0) throw new Error("changes nothing");
  validateOverlayTags(tags); // a bad value is reported now, with its field
  return tags as OverlayTags;
}

function keyOf(name: string, raw: unknown): ImportKey {
  const s = String(raw).trim();
  if (name === "file_id" || name === "id") {
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`file_id must be a positive integer, got ${JSON.stringify(s)}`);
    return { fileId: n };
  }
  if (name === "mb_recording_id") return { mbRecordingId: s };
  return { path: s };
}

function numberOf(column: string, s: string): number {
  // "3/12" (track/total, as taggers export it) counts as 3.
  const n = Number(s.split("/")[0].trim());
  if (!Number.isInteger(n)) throw new Error(`${column} must be an integer, got ${JSON.stringify(s)}`);
  return n;
}
