// The fields the overlay manages, the edit record users send, its validation, and the merge of
// edits over the original file's values.
//
// Values travel as text in the file's own form ("03" stays "03", a date "2001-05-03" stays one),
// a list per field because ID3v2.4 and Vorbis comments both carry several values (two artists).
import { OverlayError } from "./errors.ts";

export const TEXT_FIELDS = ["title", "artist", "album", "albumArtist", "genre", "composer"] as const;
export const NUMBER_FIELDS = ["trackNo", "trackTotal", "discNo", "discTotal"] as const;
/** MusicBrainz ids (Picard's tags: see id3.ts and flac.ts for the names in each format). */
export const MB_FIELDS = ["mbRecordingId", "mbReleaseTrackId", "mbAlbumId", "mbArtistId", "mbAlbumArtistId", "mbReleaseGroupId"] as const;
/** MusicBrainz ids that may carry several values (a track by two artists). */
const MB_MULTI = new Set<string>(["mbArtistId", "mbAlbumArtistId"]);

export type OverlayField = (typeof TEXT_FIELDS)[number] | "date" | (typeof NUMBER_FIELDS)[number] | (typeof MB_FIELDS)[number];

/** Every managed field, in the order headers list them. */
export const OVERLAY_FIELDS: readonly OverlayField[] = [...TEXT_FIELDS, "date", ...NUMBER_FIELDS, ...MB_FIELDS];

type Text = string | readonly string[] | null;

/**
 * A user's edits: a partial record. An absent (or undefined) field keeps the original's value;
 * null, "" or [] removes the tag; a value replaces all the original's values of that field.
 */
export interface OverlayTags {
  title?: Text;
  artist?: Text;
  album?: Text;
  albumArtist?: Text;
  genre?: Text;
  composer?: Text;
  /** ISO 8601: "2001", "2001-05", "2001-05-03", optionally with a time ("2001-05-03T20:15"); a number is a year. */
  date?: string | number | null;
  trackNo?: number | null;
  trackTotal?: number | null;
  discNo?: number | null;
  discTotal?: number | null;
  /** Picard: UFID "http://musicbrainz.org" (ID3), MUSICBRAINZ_TRACKID (Vorbis). At most 64 bytes. */
  mbRecordingId?: string | null;
  /** MUSICBRAINZ_RELEASETRACKID / TXXX "MusicBrainz Release Track Id". */
  mbReleaseTrackId?: string | null;
  mbAlbumId?: string | null;
  mbArtistId?: Text;
  mbAlbumArtistId?: Text;
  mbReleaseGroupId?: string | null;
}

/** Tag values as a header carries them: field → values (absent = no tag). */
export type TagValues = Partial<Record<OverlayField, string[]>>;

/** Validated edits: field → new values, or null to remove. Absent fields are not edited. */
export type Edits = Partial<Record<OverlayField, string[] | null>>;

/** One value may take at most this many bytes of UTF-8 (hostile or pasted text is rejected, not cut). */
export const MAX_VALUE_BYTES = 64 * 1024;
/** At most this many values per field. */
export const MAX_VALUES = 64;
/** All edited text together (a bound on the header the edits can produce). */
export const MAX_EDIT_BYTES = 1024 * 1024;
/** Track and disc numbers and totals. */
const MAX_NUMBER = 65535;
/** UFID identifiers are at most 64 bytes (ID3v2.4 frames spec, 4.1). */
const MAX_UFID_BYTES = 64;
const ISO_DATE = /^\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2})?)?)?)?)?$/;

const FIELD_SET = new Set<string>(OVERLAY_FIELDS);

function invalid(message: string): never {
  throw new OverlayError("invalid-tags", message);
}

/** UTF-8 length of a string without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function checkText(field: string, v: unknown, budget: { bytes: number }): string {
  if (typeof v !== "string") invalid(`${field}: expected text, got ${v === null ? "null" : typeof v}`);
  if (v.includes("\0")) invalid(`${field}: contains a NUL character`);
  if (!v.isWellFormed()) invalid(`${field}: contains a lone UTF-16 surrogate`);
  const bytes = utf8Length(v);
  if (bytes > MAX_VALUE_BYTES) invalid(`${field}: ${bytes} bytes of UTF-8, more than the ${MAX_VALUE_BYTES} allowed per value`);
  budget.bytes += bytes;
  return v;
}

function textValues(field: string, v: unknown, multi: boolean, budget: { bytes: number }): string[] | null {
  if (v === null || v === "") return null;
  if (Array.isArray(v)) {
    if (!multi) invalid(`${field}: takes one value, got a list`);
    if (v.length > MAX_VALUES) invalid(`${field}: ${v.length} values, more than the ${MAX_VALUES} allowed`);
    const out = v.map((x) => checkText(field, x, budget)).filter((x) => x !== "");
    return out.length > 0 ? out : null;
  }
  return [checkText(field, v, budget)];
}

/**
 * Checks a user's edit record and returns it in normalised form. Throws OverlayError
 * ("invalid-tags") with a message naming the field. The API should call this when it accepts an
 * edit, so a bad value is refused then rather than when a file is read.
 */
export function validateOverlayTags(tags: unknown): Edits {
  if (typeof tags !== "object" || tags === null || Array.isArray(tags)) invalid("edits must be an object of field: value");
  const out: Edits = {};
  const budget = { bytes: 0 };
  for (const [field, v] of Object.entries(tags)) {
    if (!FIELD_SET.has(field)) invalid(`unknown field "${field}" (known: ${OVERLAY_FIELDS.join(", ")})`);
    if (v === undefined) continue;
    const f = field as OverlayField;
    if ((NUMBER_FIELDS as readonly string[]).includes(f)) {
      if (v === null) out[f] = null;
      else if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > MAX_NUMBER) invalid(`${field}: expected an integer 0..${MAX_NUMBER}, got ${JSON.stringify(v)}`);
      else out[f] = [String(v)];
    } else if (f === "date") {
      if (v === null || v === "") out.date = null;
      else if (typeof v === "number") {
        if (!Number.isInteger(v) || v < 0 || v > 9999) invalid(`date: a year must be an integer 0..9999, got ${v}`);
        out.date = [String(v).padStart(4, "0")];
      } else if (typeof v === "string") {
        if (!ISO_DATE.test(v)) invalid(`date: expected ISO 8601 (yyyy, yyyy-MM, yyyy-MM-dd, optional THH:mm:ss), got ${JSON.stringify(v.slice(0, 40))}`);
        out.date = [v];
      } else invalid(`date: expected text or a year number, got ${typeof v}`);
    } else {
      const multi = (TEXT_FIELDS as readonly string[]).includes(f) || MB_MULTI.has(f);
      const values = textValues(field, v, multi, budget);
      if (f === "mbRecordingId" && values && utf8Length(values[0]) > MAX_UFID_BYTES) invalid(`mbRecordingId: more than ${MAX_UFID_BYTES} bytes (an ID3 UFID limit)`);
      out[f] = values;
    }
  }
  if (budget.bytes > MAX_EDIT_BYTES) invalid(`edits carry ${budget.bytes} bytes of text, more than the ${MAX_EDIT_BYTES} allowed`);
  return out;
}

/** Edits over the original's values: absent keeps, null removes, a value replaces. */
export function mergeTags(original: TagValues, edits: Edits): TagValues {
  const out: TagValues = {};
  for (const f of OVERLAY_FIELDS) {
    const e = edits[f];
    if (e === undefined) {
      const o = original[f];
      if (o && o.length > 0) out[f] = o;
    } else if (e !== null) out[f] = e;
  }
  return out;
}

/** Sets `field` in `into` unless it already has values (the first source wins). */
export function fillIn(into: TagValues, field: OverlayField, values: string[]): void {
  const v = values.filter((x) => x !== "");
  if (v.length > 0 && !into[field]) into[field] = v;
}

/** Splits "n/N" (track or disc) into its two parts, trimmed; missing parts are "". */
export function splitPosition(s: string): [string, string] {
  const i = s.indexOf("/");
  return i < 0 ? [s.trim(), ""] : [s.slice(0, i).trim(), s.slice(i + 1).trim()];
}

/**
 * Stored edits (the normalised form validateOverlayTags returns) back in the form it takes, so a
 * stored record can be planned again: numbers as numbers, one-value fields as one text.
 */
export function toOverlayTags(edits: Edits): OverlayTags {
  const out: Record<string, unknown> = {};
  for (const f of OVERLAY_FIELDS) {
    const v = edits[f];
    if (v === undefined) continue;
    if (v === null) out[f] = null;
    else if ((NUMBER_FIELDS as readonly string[]).includes(f)) out[f] = Number(v[0]);
    else if ((TEXT_FIELDS as readonly string[]).includes(f) || MB_MULTI.has(f)) out[f] = v;
    else out[f] = v[0];
  }
  return out as OverlayTags;
}
