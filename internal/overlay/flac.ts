// FLAC: walk the metadata blocks, read the managed fields out of VORBIS_COMMENT, and write the new
// metadata: "fLaC", STREAMINFO, a new VORBIS_COMMENT, then every other block of the original
// (SEEKTABLE, APPLICATION, PICTURE, CUESHEET, ...) byte for byte in its order. PADDING is dropped:
// nobody writes to the virtual file. The audio starts at the first frame, right after the last
// metadata block.
import { type Head, decodeUtf8, encoder, Out, readU32le } from "./bytes.ts";
import { OverlayError } from "./errors.ts";
import { parseId3Header } from "./id3.ts";
import { fillIn, splitPosition, type OverlayField, type TagValues } from "./tags.ts";

const STREAMINFO = 0;
const PADDING = 1;
const VORBIS_COMMENT = 4;
/** A metadata block's body is at most 2^24 - 1 bytes. */
const MAX_BLOCK = 0xffffff;

export interface FlacBlock {
  type: number;
  /** Body (without the 4-byte block header). */
  body: Uint8Array;
}

export interface FlacRead {
  /** Where "fLaC" is (0, or after an ID3v2 tag some taggers put in front). */
  start: number;
  /** All metadata blocks in order. */
  blocks: FlacBlock[];
  /** Offset of the first audio frame. */
  audioOffset: number;
}

/** Walks the metadata blocks; every length is checked against the file before it is read. */
export async function readFlac(head: Head): Promise<FlacRead> {
  const size = head.fileSize;
  let b = head.has(Math.min(size, 10)) ? head.bytes : await head.need(Math.min(size, 10), "the FLAC stream marker");
  let start = 0;
  const id3 = parseId3Header(b, 0, size);
  if (id3) start = id3.total;
  b = head.has(Math.min(size, start + 4)) ? head.bytes : await head.need(Math.min(size, start + 4), "the FLAC stream marker");
  if (start + 4 > size || b[start] !== 0x66 || b[start + 1] !== 0x4c || b[start + 2] !== 0x61 || b[start + 3] !== 0x43) {
    throw new OverlayError("malformed", `not a FLAC stream: no "fLaC" marker at byte ${start}`);
  }
  const blocks: FlacBlock[] = [];
  let at = start + 4;
  for (;;) {
    if (at + 4 > size) throw new OverlayError("truncated", `FLAC metadata block header at ${at} is past the end of the ${size}-byte file (no last-block flag before EOF)`);
    b = head.has(at + 4) ? head.bytes : await head.need(at + 4, "a FLAC metadata block header");
    const last = (b[at] & 0x80) !== 0;
    const type = b[at] & 0x7f;
    const len = (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
    if (type === 127) throw new OverlayError("malformed", `FLAC metadata block at ${at} has the invalid type 127`);
    if (blocks.length === 0 && (type !== STREAMINFO || len !== 34)) {
      throw new OverlayError("malformed", `the first FLAC metadata block must be a 34-byte STREAMINFO, found type ${type} of ${len} bytes`);
    }
    if (at + 4 + len > size) throw new OverlayError("truncated", `FLAC metadata block (type ${type}) at ${at} claims ${len} bytes, past the end of the ${size}-byte file`);
    b = head.has(at + 4 + len) ? head.bytes : await head.need(at + 4 + len, "a FLAC metadata block");
    blocks.push({ type, body: b.subarray(at + 4, at + 4 + len) });
    at += 4 + len;
    if (last) break;
  }
  // The first frame must follow: a wrong block length lands anywhere else.
  if (at < size) {
    b = head.has(Math.min(size, at + 2)) ? head.bytes : await head.need(Math.min(size, at + 2), "the first FLAC frame");
    if (at + 2 > size || b[at] !== 0xff || (b[at + 1] & 0xfe) !== 0xf8) {
      throw new OverlayError("malformed", `no FLAC frame sync after the metadata at byte ${at} (a wrong block length?)`);
    }
  }
  // Block bodies are views of the head buffer of their time: still valid after it regrows (a copy).
  return { start, blocks, audioOffset: at };
}

/** Picard's Vorbis comment names; aliases other taggers use are read, and replaced on write. */
const VORBIS_KEYS: [string, OverlayField, string[]][] = [
  ["TITLE", "title", []],
  ["ARTIST", "artist", []],
  ["ALBUM", "album", []],
  ["ALBUMARTIST", "albumArtist", ["ALBUM ARTIST", "ALBUM_ARTIST"]],
  ["GENRE", "genre", []],
  ["COMPOSER", "composer", []],
  ["DATE", "date", ["YEAR"]],
  ["TRACKNUMBER", "trackNo", []],
  ["TRACKTOTAL", "trackTotal", ["TOTALTRACKS"]],
  ["DISCNUMBER", "discNo", []],
  ["DISCTOTAL", "discTotal", ["TOTALDISCS"]],
  ["MUSICBRAINZ_TRACKID", "mbRecordingId", []],
  ["MUSICBRAINZ_RELEASETRACKID", "mbReleaseTrackId", []],
  ["MUSICBRAINZ_ALBUMID", "mbAlbumId", []],
  ["MUSICBRAINZ_ARTISTID", "mbArtistId", []],
  ["MUSICBRAINZ_ALBUMARTISTID", "mbAlbumArtistId", []],
  ["MUSICBRAINZ_RELEASEGROUPID", "mbReleaseGroupId", []],
];
/** Upper-case key → [field, is the primary key]. */
const KEY_FIELD = new Map<string, [OverlayField, boolean]>();
for (const [key, field, aliases] of VORBIS_KEYS) {
  KEY_FIELD.set(key, [field, true]);
  for (const a of aliases) KEY_FIELD.set(a, [field, false]);
}

export interface VorbisRead {
  vendor: Uint8Array;
  values: TagValues;
  /** Entries the overlay does not manage, raw ("KEY=value" bytes), in order. */
  kept: Uint8Array[];
}

/** Parses a VORBIS_COMMENT block body; every length is checked against the block. */
export function readVorbisComment(body: Uint8Array): VorbisRead {
  const bad = (what: string) => new OverlayError("malformed", `FLAC VORBIS_COMMENT: ${what}`);
  if (body.length < 8) throw bad("block too short");
  const vendorLen = readU32le(body, 0);
  if (4 + vendorLen + 4 > body.length) throw bad(`vendor string of ${vendorLen} bytes overruns the ${body.length}-byte block`);
  const vendor = body.subarray(4, 4 + vendorLen);
  let at = 4 + vendorLen;
  const count = readU32le(body, at);
  at += 4;
  if (count > (body.length - at) / 4) throw bad(`${count} entries cannot fit the ${body.length}-byte block`);
  const primary: Partial<Record<OverlayField, string[]>> = {};
  const alias: Partial<Record<OverlayField, string[]>> = {};
  const kept: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 4 > body.length) throw bad(`entry ${i} of ${count} is past the end of the block`);
    const len = readU32le(body, at);
    at += 4;
    if (at + len > body.length) throw bad(`entry ${i} of ${len} bytes overruns the block`);
    const entry = body.subarray(at, at + len);
    at += len;
    const eq = entry.indexOf(0x3d);
    if (eq <= 0) continue; // no "KEY=": not a comment, dropped
    let key = "";
    for (let k = 0; k < eq; k++) {
      const c = entry[k];
      key += String.fromCharCode(c >= 0x61 && c <= 0x7a ? c - 32 : c);
    }
    const known = KEY_FIELD.get(key);
    if (!known) {
      kept.push(entry);
      continue;
    }
    const [field, isPrimary] = known;
    const into = isPrimary ? primary : alias;
    (into[field] ??= []).push(decodeUtf8(entry, eq + 1));
  }
  const values: TagValues = {};
  // TRACKNUMBER / DISCNUMBER written as "n/N" carry the total too.
  for (const [field, total] of [
    ["trackNo", "trackTotal"],
    ["discNo", "discTotal"],
  ] as const) {
    const v = primary[field]?.[0];
    if (v !== undefined && v.includes("/")) {
      const [no, of] = splitPosition(v);
      primary[field] = [no];
      if (!primary[total] && of !== "") primary[total] = [of];
    }
  }
  for (const [, field] of VORBIS_KEYS) {
    fillIn(values, field, primary[field] ?? []);
    fillIn(values, field, alias[field] ?? []);
  }
  return { vendor, values, kept };
}

function blockHeader(o: Out, type: number, last: boolean, len: number): void {
  if (len > MAX_BLOCK) throw new OverlayError("too-large", `the FLAC metadata block (type ${type}) would be ${len} bytes, more than the format's 16 MiB`);
  o.u8((last ? 0x80 : 0) | type);
  o.u8((len >>> 16) & 0xff);
  o.u8((len >>> 8) & 0xff);
  o.u8(len & 0xff);
}

const DEFAULT_VENDOR = encoder.encode("musicfs overlay");

/** "fLaC" + STREAMINFO + new VORBIS_COMMENT + the other kept blocks; the last one flagged. */
export function writeFlacHeader(read: FlacRead, tags: TagValues, vorbis: VorbisRead | null): Uint8Array {
  const keep = read.blocks.filter((b) => b.type !== STREAMINFO && b.type !== VORBIS_COMMENT && b.type !== PADDING);
  let capacity = 1024 + 42;
  for (const b of keep) capacity += 4 + b.body.length;
  for (const k of vorbis?.kept ?? []) capacity += 4 + k.length;
  const o = new Out(capacity);
  o.bytes(FLAC_MARKER);
  blockHeader(o, STREAMINFO, false, read.blocks[0].body.length);
  o.bytes(read.blocks[0].body);

  // VORBIS_COMMENT: vendor, count, then length-prefixed "KEY=value" entries (lengths back-patched).
  const headerAt = o.skip(4);
  const vendor = vorbis?.vendor ?? DEFAULT_VENDOR;
  o.u32le(vendor.length, o.skip(4));
  o.bytes(vendor);
  const countAt = o.skip(4);
  let count = 0;
  for (const [key, field] of VORBIS_KEYS) {
    for (const v of tags[field] ?? []) {
      const lenAt = o.skip(4);
      o.utf8(key);
      o.u8(0x3d);
      o.utf8(v);
      o.u32le(o.pos - lenAt - 4, lenAt);
      count++;
    }
  }
  for (const k of vorbis?.kept ?? []) {
    o.u32le(k.length, o.skip(4));
    o.bytes(k);
    count++;
  }
  o.u32le(count, countAt);
  const commentLen = o.pos - headerAt - 4;
  const end = o.pos;
  o.pos = headerAt;
  blockHeader(o, VORBIS_COMMENT, keep.length === 0, commentLen);
  o.pos = end;

  keep.forEach((b, i) => {
    blockHeader(o, b.type, i === keep.length - 1, b.body.length);
    o.bytes(b.body);
  });
  return o.result();
}

const FLAC_MARKER = encoder.encode("fLaC");
