// ID3v2 (2.2, 2.3, 2.4) reading, as far as the overlay needs it, an ID3v1 trailer reader, and the
// ID3v2.4 writer.
//
// Read: the header (length, incl. footer, extended header, unsynchronisation), the frames, the
// managed fields out of them, and the frames to keep (everything else that ID3v2.4 allows, as
// decoded bodies). Written: one ID3v2.4 tag, UTF-8 text frames for the managed fields, then the
// kept frames with fresh v2.4 headers (no flags, no padding).
import { decodeId3Text, decodeLatin1, findNul, nulWidth, Out, readU32be } from "./bytes.ts";
import { OverlayError } from "./errors.ts";
import { fillIn, splitPosition, type OverlayField, type TagValues } from "./tags.ts";

export interface Id3Header {
  major: 2 | 3 | 4;
  flags: number;
  /** Size of what follows the 10-byte header, excluding a footer. */
  bodySize: number;
  /** Whole tag: header + body + footer. */
  total: number;
}

/** Maximum ID3v2 tag body (28-bit synchsafe size). */
const MAX_TAG_BODY = 0x0fffffff;

/**
 * The ID3v2 header at `at`, or null when the bytes there do not start with "ID3". With
 * `strict` false, anything wrong also gives null (used to look for a second, stacked tag: bytes
 * that merely look like "ID3" are audio then).
 */
export function parseId3Header(b: Uint8Array, at: number, fileSize: number, strict = true): Id3Header | null {
  if (at + 10 > b.length || b[at] !== 0x49 || b[at + 1] !== 0x44 || b[at + 2] !== 0x33) return null;
  const fail = (code: "malformed" | "unsupported" | "truncated", msg: string) => {
    if (strict) throw new OverlayError(code, msg);
    return null;
  };
  const major = b[at + 3];
  const revision = b[at + 4];
  if (major === 0xff || revision === 0xff || major < 2) return fail("malformed", `ID3v2 header at ${at}: invalid version 2.${major}.${revision}`);
  if (major > 4) return fail("unsupported", `ID3v2.${major} tag at ${at}: only ID3v2.2, 2.3 and 2.4 are read`);
  if ((b[at + 6] | b[at + 7] | b[at + 8] | b[at + 9]) & 0x80) return fail("malformed", `ID3v2 header at ${at}: the tag size is not synchsafe`);
  const bodySize = (b[at + 6] << 21) | (b[at + 7] << 14) | (b[at + 8] << 7) | b[at + 9];
  const flags = b[at + 5];
  const footer = major === 4 && flags & 0x10 ? 10 : 0;
  const total = 10 + bodySize + footer;
  if (at + total > fileSize) return fail("truncated", `ID3v2 tag at ${at} claims ${total} bytes, past the end of the ${fileSize}-byte file`);
  return { major: major as 2 | 3 | 4, flags, bodySize, total };
}

/** Reverses ID3 unsynchronisation (0xFF 0x00 → 0xFF); returns `b` itself when there is none. */
export function deunsync(b: Uint8Array): Uint8Array {
  // Find the first 0xFF 0x00 pair; without one there is nothing to undo (the common case, no copy).
  let i = b.indexOf(0xff);
  while (i >= 0 && !(i + 1 < b.length && b[i + 1] === 0)) i = b.indexOf(0xff, i + 1);
  if (i < 0) return b;
  const out = new Uint8Array(b.length);
  out.set(b.subarray(0, i + 1));
  let o = i + 1;
  for (let k = i + 2; k < b.length; k++) {
    out[o++] = b[k];
    if (b[k] === 0xff && k + 1 < b.length && b[k + 1] === 0) k++;
  }
  return out.subarray(0, o);
}

export interface Id3Frame {
  /** ID3v2.3/2.4 id (v2.2 ids are mapped where an equivalent is kept). */
  id: string;
  /** The frame's content with unsynchronisation and data length indicator removed. */
  body: Uint8Array;
}

function isIdChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
}

function isFrameId(b: Uint8Array, at: number, len: number): boolean {
  if (at + len > b.length) return false;
  for (let i = 0; i < len; i++) if (!isIdChar(b[at + i])) return false;
  return true;
}

/** v2.2 ids the overlay reads or keeps, as their v2.3/2.4 equivalents. Other v2.2 frames are dropped. */
const V22_IDS: Record<string, string> = {
  TT2: "TIT2",
  TP1: "TPE1",
  TAL: "TALB",
  TP2: "TPE2",
  TCO: "TCON",
  TCM: "TCOM",
  TYE: "TYER",
  TDA: "TDAT",
  TRK: "TRCK",
  TPA: "TPOS",
  TXX: "TXXX",
  UFI: "UFID",
  COM: "COMM",
  ULT: "USLT",
};

/**
 * The frames of the tag `tag` (whole tag, header included). Unreadable frames (compressed,
 * encrypted, grouped, or a v2.2 tag with its compression flag) are left out. A frame whose size
 * runs past the tag is an OverlayError; bytes that are not a frame id end the list (padding, or
 * junk writers leave in it).
 */
export function parseId3Frames(tag: Uint8Array, h: Id3Header): Id3Frame[] {
  let body = tag.subarray(10, 10 + h.bodySize);
  const tagUnsync = (h.flags & 0x80) !== 0;
  if (h.major === 2 && h.flags & 0x40) return []; // v2.2 "compression": no scheme was ever defined
  if (h.major < 4 && tagUnsync) body = deunsync(body);
  let pos = 0;
  if (h.major >= 3 && h.flags & 0x40) {
    if (body.length < 4) throw new OverlayError("malformed", "ID3v2 extended header: cut off");
    const ext = h.major === 3 ? 4 + readU32be(body, 0) : (body[0] << 21) | (body[1] << 14) | (body[2] << 7) | body[3];
    if (ext < 4 || ext > body.length) throw new OverlayError("malformed", `ID3v2 extended header of ${ext} bytes does not fit the ${body.length}-byte tag body`);
    pos = ext;
  }
  const headerLen = h.major === 2 ? 6 : 10;
  const idLen = h.major === 2 ? 3 : 4;
  const frames: Id3Frame[] = [];
  // A frame header and a size either landing on the tag's end, padding or the next frame id.
  const landsWell = (p: number) => p === body.length || (p < body.length && (body[p] === 0 || isFrameId(body, p, idLen)));
  while (pos + headerLen <= body.length) {
    if (!isFrameId(body, pos, idLen)) break; // padding (zeros) or junk: the frames end here
    let id = idLen === 3 ? String.fromCharCode(body[pos], body[pos + 1], body[pos + 2]) : String.fromCharCode(body[pos], body[pos + 1], body[pos + 2], body[pos + 3]);
    let size: number;
    if (h.major === 2) size = (body[pos + 3] << 16) | (body[pos + 4] << 8) | body[pos + 5];
    else if (h.major === 3) size = readU32be(body, pos + 4);
    else {
      const plain = readU32be(body, pos + 4);
      if ((body[pos + 4] | body[pos + 5] | body[pos + 6] | body[pos + 7]) & 0x80) size = plain;
      else {
        size = (body[pos + 4] << 21) | (body[pos + 5] << 14) | (body[pos + 6] << 7) | body[pos + 7];
        // iTunes wrote v2.4 frames with plain 32-bit sizes: when only that reading lands on a frame, take it.
        if (plain !== size && !landsWell(pos + headerLen + size) && landsWell(pos + headerLen + plain)) size = plain;
      }
    }
    const start = pos + headerLen;
    if (start + size > body.length) {
      throw new OverlayError("malformed", `ID3v2.${h.major} frame ${id} at tag offset ${10 + pos} claims ${size} bytes, past the end of the tag`);
    }
    let data = body.subarray(start, start + size);
    const formatFlags = h.major === 2 ? 0 : body[pos + 9]; // byte 8 holds status flags, ignored
    pos = start + size;
    if (h.major === 2) {
      const mapped = V22_IDS[id];
      if (!mapped) continue;
      id = mapped;
    } else if (h.major === 3) {
      if (formatFlags & 0xe0) continue; // compressed, encrypted or grouped
    } else {
      if (formatFlags & 0x4c) continue; // grouped, compressed or encrypted
      if (formatFlags & 0x01) {
        if (data.length < 4) continue;
        data = data.subarray(4); // data length indicator
      }
      if (formatFlags & 0x02 || tagUnsync) data = deunsync(data);
    }
    if (data.length > 0) frames.push({ id, body: data });
  }
  return frames;
}

/** The values of a text string list in `body` from `start` (v2.4 separates several with NUL). */
function textValues(body: Uint8Array, encoding = body[0], start = 1): string[] {
  if (start >= body.length) return [];
  const values = decodeId3Text(encoding, body, start, body.length).split("\0");
  const out: string[] = [];
  for (let v of values) {
    if (v.charCodeAt(0) === 0xfeff) v = v.slice(1);
    if (v !== "") out.push(v);
  }
  return out;
}

/** A TXXX frame's description, and where its value starts (-1: no value). */
function txxxDescription(body: Uint8Array): { description: string; valueAt: number } {
  if (body.length < 2) return { description: "", valueAt: -1 };
  const enc = body[0];
  const end = findNul(body, 1, enc);
  let description = decodeId3Text(enc, body, 1, end < 0 ? body.length : end);
  if (description.charCodeAt(0) === 0xfeff) description = description.slice(1);
  return { description, valueAt: end < 0 ? -1 : end + nulWidth(enc) };
}

/** Picard's TXXX descriptions for the MusicBrainz ids (the recording id is a UFID frame). */
const MB_TXXX: [string, OverlayField][] = [
  ["MusicBrainz Release Track Id", "mbReleaseTrackId"],
  ["MusicBrainz Album Id", "mbAlbumId"],
  ["MusicBrainz Artist Id", "mbArtistId"],
  ["MusicBrainz Album Artist Id", "mbAlbumArtistId"],
  ["MusicBrainz Release Group Id", "mbReleaseGroupId"],
];
const MB_TXXX_BY_DESC = new Map(MB_TXXX.map(([d, f]) => [d.toLowerCase(), f]));
const MB_UFID_OWNER = "http://musicbrainz.org";

const TEXT_FRAMES: Record<string, OverlayField> = {
  TIT2: "title",
  TPE1: "artist",
  TALB: "album",
  TPE2: "albumArtist",
  TCON: "genre",
  TCOM: "composer",
  TDRC: "date",
};

/** Frames the overlay writes itself (their originals are replaced). */
const MANAGED = new Set(["TIT2", "TPE1", "TALB", "TPE2", "TCON", "TCOM", "TDRC", "TRCK", "TPOS"]);
/**
 * Frames never copied: v2.3 ones ID3v2.4 dropped (the date is rebuilt from TYER/TDAT), and ones
 * holding byte offsets into the file that the new header would make wrong.
 */
const NOT_COPIED = new Set(["TYER", "TDAT", "TIME", "TRDA", "TORY", "TSIZ", "IPLS", "RVAD", "EQUA", "SEEK", "ASPI", "RBUF"]);

export interface Id3Read {
  values: TagValues;
  /** Frames to copy into the new tag, in their original order (APIC, COMM, USLT, other TXXX, ...). */
  kept: Id3Frame[];
  hasComment: boolean;
}

/** The managed values and the frames to keep, from an ID3v2 tag's frames (the first of a kind wins). */
export function readId3Frames(frames: Id3Frame[]): Id3Read {
  const values: TagValues = {};
  const kept: Id3Frame[] = [];
  let year = "";
  let ddmm = "";
  let hasComment = false;
  for (const f of frames) {
    const field = TEXT_FRAMES[f.id];
    if (field) fillIn(values, field, textValues(f.body));
    else if (f.id === "TRCK" || f.id === "TPOS") {
      const [no, of] = splitPosition(textValues(f.body)[0] ?? "");
      fillIn(values, f.id === "TRCK" ? "trackNo" : "discNo", [no]);
      fillIn(values, f.id === "TRCK" ? "trackTotal" : "discTotal", [of]);
    } else if (f.id === "TYER") year ||= textValues(f.body)[0] ?? "";
    else if (f.id === "TDAT") ddmm ||= textValues(f.body)[0] ?? "";
    else if (f.id === "TXXX") {
      const t = txxxDescription(f.body);
      const mb = MB_TXXX_BY_DESC.get(t.description.toLowerCase());
      if (mb) fillIn(values, mb, t.valueAt < 0 ? [] : textValues(f.body, f.body[0], t.valueAt));
      else kept.push(f);
    } else if (f.id === "UFID") {
      const end = f.body.indexOf(0);
      if (end >= 0 && decodeLatin1(f.body, 0, end) === MB_UFID_OWNER) fillIn(values, "mbRecordingId", [decodeLatin1(f.body, end + 1)]);
      else kept.push(f);
    } else if (!MANAGED.has(f.id) && !NOT_COPIED.has(f.id)) {
      if (f.id === "COMM") hasComment = true;
      kept.push(f);
    }
  }
  // ID3v2.3's TYER (yyyy) and TDAT (DDMM) are TDRC (yyyy-MM-dd) in 2.4.
  if (!values.date && /^\d{4}$/.test(year)) values.date = [/^\d{4}$/.test(ddmm) ? `${year}-${ddmm.slice(2)}-${ddmm.slice(0, 2)}` : year];
  return { values, kept, hasComment };
}

// ---------------------------------------------------------------------------------------------
// ID3v1

export const ID3V1_BYTES = 128;
/** "TAG+" (Enhanced TAG) block that may sit before an ID3v1 tag. */
export const ID3V1_ENHANCED_BYTES = 227;

export function isId3v1(b: Uint8Array, at: number): boolean {
  return at >= 0 && at + 3 <= b.length && b[at] === 0x54 && b[at + 1] === 0x41 && b[at + 2] === 0x47;
}

function v1Text(b: Uint8Array): string {
  const end = b.indexOf(0);
  return decodeLatin1(b, 0, end < 0 ? b.length : end).trimEnd();
}

/** The fields of a 128-byte ID3v1(.1) tag; the genre as its numeric ID3v1 code (which ID3v2 allows). */
export function readId3v1(b: Uint8Array): { values: TagValues; comment: string } {
  const values: TagValues = {};
  fillIn(values, "title", [v1Text(b.subarray(3, 33))]);
  fillIn(values, "artist", [v1Text(b.subarray(33, 63))]);
  fillIn(values, "album", [v1Text(b.subarray(63, 93))]);
  const year = v1Text(b.subarray(93, 97));
  if (/^\d{4}$/.test(year) && year !== "0000") values.date = [year];
  const v11 = b[125] === 0 && b[126] !== 0;
  if (v11) values.trackNo = [String(b[126])];
  if (b[127] !== 255) values.genre = [String(b[127])];
  return { values, comment: v1Text(b.subarray(97, v11 ? 125 : 127)) };
}

// ---------------------------------------------------------------------------------------------
// ID3v2.4 writer

const UTF8 = 3;

/** Starts a v2.4 frame; returns where its size goes (back-patched by endFrame). */
function startFrame(o: Out, id: string): number {
  o.u8(id.charCodeAt(0));
  o.u8(id.charCodeAt(1));
  o.u8(id.charCodeAt(2));
  o.u8(id.charCodeAt(3));
  const at = o.skip(6);
  o.buf[at + 4] = 0; // status flags
  o.buf[at + 5] = 0; // format flags: none (no unsynchronisation, compression, length indicator)
  return at;
}

function endFrame(o: Out, sizeAt: number, id: string): void {
  const size = o.pos - sizeAt - 6;
  if (size > MAX_TAG_BODY) throw new OverlayError("too-large", `ID3v2 frame ${id} of ${size} bytes exceeds the format's 256 MiB limit`);
  o.buf[sizeAt] = (size >>> 21) & 0x7f;
  o.buf[sizeAt + 1] = (size >>> 14) & 0x7f;
  o.buf[sizeAt + 2] = (size >>> 7) & 0x7f;
  o.buf[sizeAt + 3] = size & 0x7f;
}

/** A UTF-8 text frame; several values are NUL-separated (ID3v2.4). */
function putText(o: Out, id: string, values: readonly string[] | undefined): void {
  if (!values || values.length === 0) return;
  const at = startFrame(o, id);
  o.u8(UTF8);
  for (let i = 0; i < values.length; i++) {
    if (i > 0) o.u8(0);
    o.utf8(values[i]);
  }
  endFrame(o, at, id);
}

function position(no: string[] | undefined, of: string[] | undefined): string[] | undefined {
  // "n/N"; a total without a number has no ID3 form and is not written.
  if (!no) return undefined;
  return [of ? `${no[0]}/${of[0]}` : no[0]];
}

/**
 * A complete ID3v2.4 tag: the managed fields, then `kept` frames (bodies copied as they are), then
 * `comment` as a COMM frame when given. No padding: nobody writes to the virtual file.
 */
export function writeId3v24(tags: TagValues, kept: Id3Frame[], comment?: string): Uint8Array {
  let capacity = 1024;
  for (const f of kept) capacity += 10 + f.body.length;
  const o = new Out(capacity);
  o.skip(10); // header, filled in below
  putText(o, "TIT2", tags.title);
  putText(o, "TPE1", tags.artist);
  putText(o, "TALB", tags.album);
  putText(o, "TPE2", tags.albumArtist);
  putText(o, "TCON", tags.genre);
  putText(o, "TCOM", tags.composer);
  putText(o, "TDRC", tags.date);
  putText(o, "TRCK", position(tags.trackNo, tags.trackTotal));
  putText(o, "TPOS", position(tags.discNo, tags.discTotal));
  for (const [description, field] of MB_TXXX) {
    const v = tags[field];
    if (!v || v.length === 0) continue;
    const at = startFrame(o, "TXXX");
    o.u8(UTF8);
    o.utf8(description);
    for (const x of v) {
      o.u8(0);
      o.utf8(x);
    }
    endFrame(o, at, "TXXX");
  }
  if (tags.mbRecordingId) {
    const at = startFrame(o, "UFID");
    o.utf8(MB_UFID_OWNER);
    o.u8(0);
    o.utf8(tags.mbRecordingId[0]);
    endFrame(o, at, "UFID");
  }
  for (const f of kept) {
    const at = startFrame(o, f.id);
    o.bytes(f.body);
    endFrame(o, at, f.id);
  }
  if (comment) {
    const at = startFrame(o, "COMM");
    o.u8(UTF8);
    o.utf8("eng");
    o.u8(0);
    o.utf8(comment);
    endFrame(o, at, "COMM");
  }
  const size = o.pos - 10;
  if (size > MAX_TAG_BODY) throw new OverlayError("too-large", `the ID3v2.4 tag would be ${size} bytes, more than the format's 256 MiB`);
  o.buf.set([0x49, 0x44, 0x33, 4, 0, 0, (size >>> 21) & 0x7f, (size >>> 14) & 0x7f, (size >>> 7) & 0x7f, size & 0x7f], 0);
  return o.result();
}
