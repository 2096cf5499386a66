// FLAC writer: fLaC, STREAMINFO, VORBIS_COMMENT, optional PICTURE, PADDING, then real frames:
// mono 16-bit, fixed 4096-sample blocks, VERBATIM subframes carrying the caller's bytes as
// samples, with correct CRC-8 headers and CRC-16 footers, so decoders accept the stream.
import { concat, encoder, type TrackTags } from "./tags.ts";

export const FLAC_SAMPLE_RATE = 44100;
const BLOCK = 4096;
const PADDING = 1024;

function block(type: number, last: boolean, body: Uint8Array): Uint8Array {
  const h = new Uint8Array([(last ? 0x80 : 0) | type, (body.length >>> 16) & 0xff, (body.length >>> 8) & 0xff, body.length & 0xff]);
  return concat([h, body]);
}

function streamInfo(totalSamples: number, lastBlock: number): Uint8Array {
  const b = new Uint8Array(34);
  const v = new DataView(b.buffer);
  const minBlock = totalSamples <= BLOCK ? Math.max(16, lastBlock) : BLOCK;
  v.setUint16(0, minBlock);
  v.setUint16(2, BLOCK);
  // min/max frame size 0 = unknown (bytes 4..9)
  // 20 bits sample rate, 3 bits channels-1 (0), 5 bits bps-1 (15), 36 bits total samples
  const sr = FLAC_SAMPLE_RATE;
  b[10] = (sr >>> 12) & 0xff;
  b[11] = (sr >>> 4) & 0xff;
  b[12] = ((sr & 0xf) << 4) | (0 << 1) | (15 >>> 4);
  const hi = Math.floor(totalSamples / 2 ** 32) & 0xf;
  b[13] = ((15 & 0xf) << 4) | hi;
  v.setUint32(14, totalSamples >>> 0);
  // MD5 (bytes 18..33) left zero: "not computed" per the format spec.
  return b;
}

/** A Vorbis comment block (vendor + KEY=value list), as FLAC and Ogg Opus/Vorbis carry it. */
export function vorbisComment(tags: TrackTags, extra: string[] = []): Uint8Array {
  const fields: [string, string | number | undefined][] = [
    ["TITLE", tags.title],
    ["ARTIST", tags.artist],
    ["ALBUM", tags.album],
    ["ALBUMARTIST", tags.albumArtist],
    ["GENRE", tags.genre],
    ["COMPOSER", tags.composer],
    ["DATE", tags.year],
    ["TRACKNUMBER", tags.trackNo],
    ["TRACKTOTAL", tags.trackTotal],
    ["DISCNUMBER", tags.discNo],
    ["COMMENT", tags.comment],
    ["MUSICBRAINZ_TRACKID", tags.mbRecordingId],
    ["MUSICBRAINZ_ALBUMID", tags.mbAlbumId],
    ["MUSICBRAINZ_ARTISTID", tags.mbArtistId],
  ];
  const entries = [...fields.filter(([, v]) => v !== undefined && v !== "").map(([k, v]) => `${k}=${v}`), ...extra].map((e) => encoder.encode(e));
  const vendor = encoder.encode("musicfs samplelib");
  const parts: Uint8Array[] = [u32le(vendor.length), vendor, u32le(entries.length)];
  for (const e of entries) parts.push(u32le(e.length), e);
  return concat(parts);
}

function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

/** A FLAC PICTURE block body: front cover (type 3), PNG. Ogg files carry it base64-encoded. */
export function picture(png: Uint8Array): Uint8Array {
  const mime = encoder.encode("image/png");
  return concat([u32be(3), u32be(mime.length), mime, u32be(0), u32be(1), u32be(1), u32be(24), u32be(0), u32be(png.length), png]);
}

const CRC8 = new Uint8Array(256);
const CRC16 = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
  CRC8[i] = c;
  let d = i << 8;
  for (let k = 0; k < 8; k++) d = d & 0x8000 ? ((d << 1) ^ 0x8005) & 0xffff : (d << 1) & 0xffff;
  CRC16[i] = d;
}

/** FLAC's UTF-8-like coding of the frame number (up to 31 bits here). */
function codedNumber(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x800) return [0xc0 | (n >>> 6), 0x80 | (n & 0x3f)];
  if (n < 0x10000) return [0xe0 | (n >>> 12), 0x80 | ((n >>> 6) & 0x3f), 0x80 | (n & 0x3f)];
  return [0xf0 | (n >>> 18), 0x80 | ((n >>> 12) & 0x3f), 0x80 | ((n >>> 6) & 0x3f), 0x80 | (n & 0x3f)];
}

function frames(audio: Uint8Array): { bytes: Uint8Array; samples: number; lastBlock: number } {
  const samples = Math.max(1, Math.ceil(audio.length / 2));
  const pcm = new Uint8Array(samples * 2);
  pcm.set(audio);
  const out: Uint8Array[] = [];
  let lastBlock = BLOCK;
  for (let n = 0, s = 0; s < samples; n++, s += BLOCK) {
    const len = Math.min(BLOCK, samples - s);
    lastBlock = len;
    // sync 0xFFF8 (fixed block size); block size code 7 (16-bit size-1 follows); rate code 9 (44.1 kHz);
    // channels 0 (mono); sample size code 4 (16 bits).
    const header = [0xff, 0xf8, 0x79, 0x08, ...codedNumber(n), ((len - 1) >>> 8) & 0xff, (len - 1) & 0xff];
    let crc8 = 0;
    for (const x of header) crc8 = CRC8[crc8 ^ x];
    header.push(crc8);
    const f = new Uint8Array(header.length + 1 + len * 2 + 2);
    f.set(header);
    f[header.length] = 0x02; // VERBATIM subframe, no wasted bits
    f.set(pcm.subarray(s * 2, (s + len) * 2), header.length + 1);
    let crc16 = 0;
    for (let i = 0; i < f.length - 2; i++) crc16 = ((crc16 << 8) & 0xffff) ^ CRC16[(crc16 >>> 8) ^ f[i]];
    f[f.length - 2] = crc16 >>> 8;
    f[f.length - 1] = crc16 & 0xff;
    out.push(f);
  }
  return { bytes: concat(out), samples, lastBlock };
}

export function encodeFlac(tags: TrackTags, audio: Uint8Array): Uint8Array {
  const f = frames(audio);
  return concat([flacHeader(tags, streamInfo(f.samples, f.lastBlock)), f.bytes]);
}

/** "fLaC" and all metadata blocks, given an existing STREAMINFO body (retag keeps it). */
export function flacHeader(tags: TrackTags, streamInfoBody: Uint8Array): Uint8Array {
  const blocks = [block(0, false, streamInfoBody), block(4, false, vorbisComment(tags))];
  if (tags.cover) blocks.push(block(6, false, picture(tags.cover)));
  blocks.push(block(1, true, new Uint8Array(PADDING)));
  return concat([encoder.encode("fLaC"), ...blocks]);
}

/** STREAMINFO body and the offset of the first audio frame, or null if this is not FLAC. */
export function flacLayout(file: Uint8Array): { streamInfo: Uint8Array; audioOffset: number } | null {
  if (file.length < 42 || String.fromCharCode(file[0], file[1], file[2], file[3]) !== "fLaC" || (file[4] & 0x7f) !== 0) return null;
  const streamInfo = file.slice(8, 8 + 34);
  let at = 4;
  while (at + 4 <= file.length) {
    const last = (file[at] & 0x80) !== 0;
    const len = (file[at + 1] << 16) | (file[at + 2] << 8) | file[at + 3];
    at += 4 + len;
    if (last) return at <= file.length ? { streamInfo, audioOffset: at } : null;
  }
  return null;
}
