// MP3 writer: an ID3v2.4 (UTF-8) or ID3v2.3 (UTF-16) tag followed by MPEG-1 Layer III frames,
// optionally an ID3v1.1 trailer (id3v1.ts).
// Each frame has a correct 128 kbit/s, 44.1 kHz header and zeroed side info (so decoders play
// silence: part2_3_length = 0); the rest of the frame carries the caller's bytes as ancillary data.
import { concat, encoder, type TrackTags } from "./tags.ts";

const FRAME_HEADER = [0xff, 0xfb, 0x90, 0x04]; // MPEG-1, Layer III, no CRC, 128 kbit/s, 44.1 kHz, stereo, original
const FRAME_BYTES = 417; // floor(144 * 128000 / 44100), no padding bit
const SIDE_INFO_BYTES = 32; // MPEG-1 stereo
export const MP3_PAYLOAD_PER_FRAME = FRAME_BYTES - FRAME_HEADER.length - SIDE_INFO_BYTES;
const TAG_PADDING = 0; // music-metadata warns about zero padding frames; real taggers vary anyway

function synchsafe(n: number): number[] {
  return [(n >>> 21) & 0x7f, (n >>> 14) & 0x7f, (n >>> 7) & 0x7f, n & 0x7f];
}

/**
 * What differs between the two ID3v2 versions writers use: v2.4 has UTF-8 (encoding 3) and
 * synchsafe frame sizes; v2.3 knows only Latin-1 and UTF-16, so text goes as UTF-16 with a BOM
 * (encoding 1, what most v2.3 taggers write), frame sizes are plain 32-bit, the year is TYER.
 */
interface Id3Dialect {
  version: 3 | 4;
  encodingByte: number;
  text(s: string): Uint8Array;
  /** Terminator after an encoded string that is followed by more fields. */
  nul: Uint8Array;
  yearFrame: string;
}

const V24: Id3Dialect = { version: 4, encodingByte: 3, text: (s) => encoder.encode(s), nul: new Uint8Array([0]), yearFrame: "TDRC" };
const V23: Id3Dialect = {
  version: 3,
  encodingByte: 1,
  text: (s) => concat([new Uint8Array([0xff, 0xfe]), new Uint8Array(Buffer.from(s, "utf16le"))]),
  nul: new Uint8Array([0, 0]),
  yearFrame: "TYER",
};

const NUL = new Uint8Array([0]);

function id3v2(tags: TrackTags, d: Id3Dialect): Uint8Array {
  const frame = (id: string, body: Uint8Array) => {
    const size = d.version === 4 ? synchsafe(body.length) : [(body.length >>> 24) & 0xff, (body.length >>> 16) & 0xff, (body.length >>> 8) & 0xff, body.length & 0xff];
    return concat([encoder.encode(id), new Uint8Array([...size, 0, 0]), body]);
  };
  const enc = new Uint8Array([d.encodingByte]);
  const frames: Uint8Array[] = [];
  const text = (id: string, v: string | number | undefined) => {
    if (v !== undefined && v !== "") frames.push(frame(id, concat([enc, d.text(String(v))])));
  };
  const txxx = (description: string, value: string) => frames.push(frame("TXXX", concat([enc, d.text(description), d.nul, d.text(value)])));
  text("TIT2", tags.title);
  text("TPE1", tags.artist);
  text("TALB", tags.album);
  text("TPE2", tags.albumArtist);
  text("TCON", tags.genre);
  text("TCOM", tags.composer);
  text(d.yearFrame, tags.year);
  if (tags.trackNo !== undefined) text("TRCK", tags.trackTotal ? `${tags.trackNo}/${tags.trackTotal}` : tags.trackNo);
  text("TPOS", tags.discNo);
  if (tags.comment) frames.push(frame("COMM", concat([enc, encoder.encode("eng"), d.text(""), d.nul, d.text(tags.comment)])));
  if (tags.mbAlbumId) txxx("MusicBrainz Album Id", tags.mbAlbumId);
  if (tags.mbArtistId) txxx("MusicBrainz Artist Id", tags.mbArtistId);
  if (tags.mbRecordingId) frames.push(frame("UFID", concat([encoder.encode("http://musicbrainz.org"), NUL, encoder.encode(tags.mbRecordingId)])));
  if (tags.cover) {
    // APIC: encoding, MIME (Latin-1), picture type 3 (front cover), empty description, data.
    frames.push(frame("APIC", concat([enc, encoder.encode("image/png"), NUL, new Uint8Array([3]), d.text(""), d.nul, tags.cover])));
  }
  const body = concat([...frames, new Uint8Array(TAG_PADDING)]);
  return concat([encoder.encode("ID3"), new Uint8Array([d.version, 0, 0, ...synchsafe(body.length)]), body]);
}

/** Encodes the ID3v2.4 tag (header + frames + padding). */
export function id3v24(tags: TrackTags): Uint8Array {
  return id3v2(tags, V24);
}

/** Encodes an ID3v2.3 tag (UTF-16 text). */
export function id3v23(tags: TrackTags): Uint8Array {
  return id3v2(tags, V23);
}

/** Wraps `audio` into MPEG frames (the last frame is zero-filled). */
export function mp3Frames(audio: Uint8Array): Uint8Array {
  const count = Math.max(1, Math.ceil(audio.length / MP3_PAYLOAD_PER_FRAME));
  const out = new Uint8Array(count * FRAME_BYTES);
  for (let i = 0; i < count; i++) {
    const at = i * FRAME_BYTES;
    out.set(FRAME_HEADER, at);
    const src = audio.subarray(i * MP3_PAYLOAD_PER_FRAME, (i + 1) * MP3_PAYLOAD_PER_FRAME);
    out.set(src, at + FRAME_HEADER.length + SIDE_INFO_BYTES);
  }
  return out;
}

export function encodeMp3(tags: TrackTags, audio: Uint8Array): Uint8Array {
  return concat([id3v24(tags), mp3Frames(audio)]);
}

/** Byte length of the ID3v2 tag at the start of `file` (0 when there is none). */
export function id3Length(file: Uint8Array): number {
  if (file.length < 10 || file[0] !== 0x49 || file[1] !== 0x44 || file[2] !== 0x33) return 0;
  const size = (file[6] << 21) | (file[7] << 14) | (file[8] << 7) | file[9];
  const footer = file[5] & 0x10 ? 10 : 0;
  return 10 + size + footer;
}
