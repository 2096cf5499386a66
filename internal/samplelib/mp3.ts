// MP3 writer: an ID3v2.4 tag (UTF-8 text frames) followed by MPEG-1 Layer III frames.
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

function frame(id: string, body: Uint8Array): Uint8Array {
  return concat([encoder.encode(id), new Uint8Array([...synchsafe(body.length), 0, 0]), body]);
}

const UTF8 = new Uint8Array([3]);
const NUL = new Uint8Array([0]);

function textFrame(id: string, value: string): Uint8Array {
  return frame(id, concat([UTF8, encoder.encode(value)]));
}

function txxx(description: string, value: string): Uint8Array {
  return frame("TXXX", concat([UTF8, encoder.encode(description), NUL, encoder.encode(value)]));
}

/** Encodes the ID3v2.4 tag (header + frames + padding). */
export function id3v24(tags: TrackTags): Uint8Array {
  const frames: Uint8Array[] = [];
  const text = (id: string, v: string | number | undefined) => {
    if (v !== undefined && v !== "") frames.push(textFrame(id, String(v)));
  };
  text("TIT2", tags.title);
  text("TPE1", tags.artist);
  text("TALB", tags.album);
  text("TPE2", tags.albumArtist);
  text("TCON", tags.genre);
  text("TCOM", tags.composer);
  text("TDRC", tags.year);
  if (tags.trackNo !== undefined) text("TRCK", tags.trackTotal ? `${tags.trackNo}/${tags.trackTotal}` : tags.trackNo);
  text("TPOS", tags.discNo);
  if (tags.comment) frames.push(frame("COMM", concat([UTF8, encoder.encode("eng"), NUL, encoder.encode(tags.comment)])));
  if (tags.mbAlbumId) frames.push(txxx("MusicBrainz Album Id", tags.mbAlbumId));
  if (tags.mbArtistId) frames.push(txxx("MusicBrainz Artist Id", tags.mbArtistId));
  if (tags.mbRecordingId) frames.push(frame("UFID", concat([encoder.encode("http://musicbrainz.org"), NUL, encoder.encode(tags.mbRecordingId)])));
  if (tags.cover) {
    // APIC: encoding, MIME, picture type 3 (front cover), empty description, data.
    frames.push(frame("APIC", concat([UTF8, encoder.encode("image/png"), NUL, new Uint8Array([3]), NUL, tags.cover])));
  }
  const body = concat([...frames, new Uint8Array(TAG_PADDING)]);
  return concat([encoder.encode("ID3"), new Uint8Array([4, 0, 0, ...synchsafe(body.length)]), body]);
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
