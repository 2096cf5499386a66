// WAV writer: RIFF/WAVE with a PCM fmt chunk (16-bit stereo, 44.1 kHz), a CSET chunk declaring
// UTF-8 (code page 65001; without it RIFF INFO text is read as ISO 8859-1), a LIST/INFO chunk,
// then the data chunk. Tags go before data so tag readers need not skip the audio.
import { concat, encoder, type TrackTags } from "./tags.ts";

export const WAV_SAMPLE_RATE = 44100;
const CHANNELS = 2;
const BLOCK_ALIGN = 4;

function chunk(id: string, body: Uint8Array): Uint8Array {
  const h = new Uint8Array(8);
  h.set(encoder.encode(id));
  new DataView(h.buffer).setUint32(4, body.length, true);
  return body.length % 2 ? concat([h, body, new Uint8Array(1)]) : concat([h, body]);
}

function fmt(): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint16(0, 1, true); // PCM
  v.setUint16(2, CHANNELS, true);
  v.setUint32(4, WAV_SAMPLE_RATE, true);
  v.setUint32(8, WAV_SAMPLE_RATE * BLOCK_ALIGN, true);
  v.setUint16(12, BLOCK_ALIGN, true);
  v.setUint16(14, 16, true);
  return b;
}

function cset(): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint16(0, 65001, true);
  return b;
}

function info(tags: TrackTags): Uint8Array | null {
  const fields: [string, string | number | undefined][] = [
    ["INAM", tags.title],
    ["IART", tags.artist],
    ["IPRD", tags.album],
    ["IGNR", tags.genre],
    ["ICRD", tags.year],
    ["ITRK", tags.trackNo],
    ["ICMT", tags.comment],
  ];
  const subs = fields.filter(([, v]) => v !== undefined && v !== "").map(([id, v]) => chunk(id, concat([encoder.encode(String(v)), new Uint8Array(1)])));
  if (subs.length === 0) return null;
  return chunk("LIST", concat([encoder.encode("INFO"), ...subs]));
}

/** Every chunk up to (not including) the data chunk. */
export function wavHeaderChunks(tags: TrackTags): Uint8Array {
  const list = info(tags);
  return concat([chunk("fmt ", fmt()), chunk("CSET", cset()), ...(list ? [list] : [])]);
}

export function encodeWav(tags: TrackTags, audio: Uint8Array): Uint8Array {
  const pcm = new Uint8Array(Math.ceil(audio.length / BLOCK_ALIGN) * BLOCK_ALIGN);
  pcm.set(audio);
  return riff(wavHeaderChunks(tags), chunk("data", pcm));
}

export function riff(header: Uint8Array, data: Uint8Array): Uint8Array {
  const body = concat([encoder.encode("WAVE"), header, data]);
  return chunk("RIFF", body);
}

/** The complete data chunk (header included) of a WAV file, or null. */
export function wavDataChunk(file: Uint8Array): Uint8Array | null {
  if (file.length < 12 || String.fromCharCode(...file.subarray(0, 4)) !== "RIFF") return null;
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let at = 12;
  while (at + 8 <= file.length) {
    const id = String.fromCharCode(...file.subarray(at, at + 4));
    const len = v.getUint32(at + 4, true);
    if (id === "data") return file.subarray(at, Math.min(file.length, at + 8 + len + (len % 2)));
    at += 8 + len + (len % 2);
  }
  return null;
}
