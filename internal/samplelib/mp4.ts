// M4A writer (ISO BMFF / QuickTime): ftyp, moov (one AAC track with its sample tables, then
// udta/meta/ilst with iTunes-style tags), mdat. moov comes before mdat ("fast start"), as
// streaming encoders write it. Samples are the caller's bytes in fixed-size pieces: the
// structure and the tables are right (1024 samples per AAC frame at 44.1 kHz), the audio is noise.
import { concat, encoder, type TrackTags } from "./tags.ts";

export const M4A_RATE = 44100;
const FRAME_SAMPLES = 1024;
const FRAME_BYTES = 372; // ~128 kbit/s at 44.1 kHz

function u8(...b: number[]): Uint8Array {
  return new Uint8Array(b);
}

function u16(n: number): Uint8Array {
  return u8((n >>> 8) & 0xff, n & 0xff);
}

function u32(n: number): Uint8Array {
  return u8((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

function zeros(n: number): Uint8Array {
  return new Uint8Array(n);
}

/** A box: 32-bit size, four-character type (© is byte 0xA9, as Latin-1), body. */
function box(type: string, ...body: Uint8Array[]): Uint8Array {
  const t = new Uint8Array(4);
  for (let i = 0; i < 4; i++) t[i] = type.charCodeAt(i) & 0xff;
  const content = concat(body);
  return concat([u32(8 + content.length), t, content]);
}

/** A full box: version and flags come first. */
function fullBox(type: string, version: number, flags: number, ...body: Uint8Array[]): Uint8Array {
  return box(type, u8(version, (flags >>> 16) & 0xff, (flags >>> 8) & 0xff, flags & 0xff), ...body);
}

const MATRIX = concat([u32(0x00010000), u32(0), u32(0), u32(0), u32(0x00010000), u32(0), u32(0), u32(0), u32(0x40000000)]);

/** MPEG-4 descriptor: tag, length (one byte is enough here), body. */
function descriptor(tag: number, ...body: Uint8Array[]): Uint8Array {
  const content = concat(body);
  return concat([u8(tag, content.length), content]);
}

function esds(): Uint8Array {
  // AudioSpecificConfig: object type 2 (AAC LC), frequency index 4 (44.1 kHz), 1 channel.
  const asc = u8((2 << 3) | (4 >>> 1), ((4 & 1) << 7) | (1 << 3));
  const decoderConfig = descriptor(0x04, u8(0x40, 0x15), u8(0, 0x18, 0), u32(128000), u32(128000), descriptor(0x05, asc));
  return fullBox("esds", 0, 0, descriptor(0x03, u16(1), u8(0), decoderConfig, descriptor(0x06, u8(0x02))));
}

function sampleTables(frameSizes: number[], mdatDataOffset: number): Uint8Array {
  const mp4a = box("mp4a", zeros(6), u16(1), zeros(8), u16(1), u16(16), u16(0), u16(0), u32(M4A_RATE << 16), esds());
  return box(
    "stbl",
    fullBox("stsd", 0, 0, u32(1), mp4a),
    fullBox("stts", 0, 0, u32(1), u32(frameSizes.length), u32(FRAME_SAMPLES)),
    fullBox("stsc", 0, 0, u32(1), u32(1), u32(frameSizes.length), u32(1)),
    fullBox("stsz", 0, 0, u32(0), u32(frameSizes.length), ...frameSizes.map(u32)),
    fullBox("stco", 0, 0, u32(1), u32(mdatDataOffset)),
  );
}

function track(frameSizes: number[], duration: number, mdatDataOffset: number): Uint8Array {
  const tkhd = fullBox("tkhd", 0, 7, u32(0), u32(0), u32(1), u32(0), u32(duration), zeros(8), u16(0), u16(0), u16(0x0100), u16(0), MATRIX, u32(0), u32(0));
  const mdhd = fullBox("mdhd", 0, 0, u32(0), u32(0), u32(M4A_RATE), u32(duration), u16(0x55c4 /* "und" */), u16(0));
  const hdlr = fullBox("hdlr", 0, 0, u32(0), encoder.encode("soun"), zeros(12), encoder.encode("SoundHandler\0"));
  const dinf = box("dinf", fullBox("dref", 0, 0, u32(1), fullBox("url ", 0, 1)));
  const minf = box("minf", fullBox("smhd", 0, 0, u16(0), u16(0)), dinf, sampleTables(frameSizes, mdatDataOffset));
  return box("trak", tkhd, box("mdia", mdhd, hdlr, minf));
}

/** An ilst item: the value in a `data` box with its type (1 UTF-8, 0 binary, 14 PNG). */
function item(type: string, dataType: number, value: Uint8Array): Uint8Array {
  return box(type, fullBox("data", 0, dataType, u32(0), value));
}

/** A "----" (freeform) item, how iTunes-style files carry MusicBrainz ids. */
function freeform(name: string, value: string): Uint8Array {
  return box("----", fullBox("mean", 0, 0, encoder.encode("com.apple.iTunes")), fullBox("name", 0, 0, encoder.encode(name)), fullBox("data", 0, 1, u32(0), encoder.encode(value)));
}

function ilst(tags: TrackTags): Uint8Array {
  const items: Uint8Array[] = [];
  const text = (type: string, v: string | number | undefined) => {
    if (v !== undefined && v !== "") items.push(item(type, 1, encoder.encode(String(v))));
  };
  text("\xa9nam", tags.title);
  text("\xa9ART", tags.artist);
  text("\xa9alb", tags.album);
  text("aART", tags.albumArtist);
  text("\xa9day", tags.year);
  text("\xa9gen", tags.genre);
  text("\xa9wrt", tags.composer);
  text("\xa9cmt", tags.comment);
  if (tags.trackNo !== undefined) items.push(item("trkn", 0, concat([u16(0), u16(tags.trackNo), u16(tags.trackTotal ?? 0), u16(0)])));
  if (tags.discNo !== undefined) items.push(item("disk", 0, concat([u16(0), u16(tags.discNo), u16(0)])));
  if (tags.mbRecordingId) items.push(freeform("MusicBrainz Track Id", tags.mbRecordingId));
  if (tags.mbAlbumId) items.push(freeform("MusicBrainz Album Id", tags.mbAlbumId));
  if (tags.mbArtistId) items.push(freeform("MusicBrainz Artist Id", tags.mbArtistId));
  if (tags.cover) items.push(item("covr", 14, tags.cover));
  const hdlr = fullBox("hdlr", 0, 0, u32(0), encoder.encode("mdir"), encoder.encode("appl"), zeros(8), u8(0));
  return box("udta", fullBox("meta", 0, 0, hdlr, box("ilst", ...items)));
}

export function encodeM4a(tags: TrackTags, audio: Uint8Array): Uint8Array {
  const frameSizes: number[] = [];
  for (let at = 0; at < Math.max(1, audio.length); at += FRAME_BYTES) frameSizes.push(Math.min(FRAME_BYTES, Math.max(1, audio.length - at)));
  const payload = new Uint8Array(frameSizes.reduce((a, b) => a + b, 0));
  payload.set(audio.subarray(0, payload.length));
  const duration = frameSizes.length * FRAME_SAMPLES;
  const ftyp = box("ftyp", encoder.encode("M4A "), u32(0), encoder.encode("M4A "), encoder.encode("mp42"), encoder.encode("isom"));
  const moov = (dataOffset: number) => box("moov", fullBox("mvhd", 0, 0, u32(0), u32(0), u32(M4A_RATE), u32(duration), u32(0x00010000), u16(0x0100), zeros(10), MATRIX, zeros(24), u32(2)), track(frameSizes, duration, dataOffset), ilst(tags));
  // The chunk offset points into mdat, after moov; moov's size does not depend on the offset's value.
  const offset = ftyp.length + moov(0).length + 8;
  return concat([ftyp, moov(offset), box("mdat", payload)]);
}
