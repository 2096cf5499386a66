// Fixtures of the cover tests: real JPEG/PNG pictures (encoded by jimp), and MP3/FLAC files that
// carry several of them, built from samplelib's audio with the overlay tests' ID3/FLAC builders.
import { Jimp } from "jimp";
import { CoverError } from "../../internal/cover/index.ts";
import { encodeTrack, solidPng } from "../../internal/samplelib/index.ts";
import { flacLayout } from "../../internal/samplelib/flac.ts";
import { mp3Frames } from "../../internal/samplelib/mp3.ts";
import { concat, enc, flacBlock, memOrigin, synchsafe } from "../overlay/helpers.ts";

export { concat, memOrigin, solidPng };

/**
 * A w × h JPEG of a diagonal gradient (so resampling has something to average). `noise` (0-255)
 * adds pseudo-random grain, which makes the file as large as a photographic cover.
 */
export async function jpegPicture(w: number, h: number, quality = 90, noise = 0): Promise<Uint8Array> {
  const img = new Jimp({ width: w, height: h, color: 0x000000ff });
  const d = img.bitmap.data;
  let seed = 1;
  const grain = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return ((seed >>> 16) % (noise + 1)) - noise / 2;
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      d[i] = (x * 255) / w + (noise && grain());
      d[i + 1] = (y * 255) / h + (noise && grain());
      d[i + 2] = ((x + y) * 127) / (w + h) + (noise && grain());
    }
  }
  return new Uint8Array(await img.getBuffer("image/jpeg", { quality }));
}

export interface PictureSpec {
  data: Uint8Array;
  /** ID3/FLAC picture type; 3 = front cover (default), 4 = back cover. */
  type?: number;
  mime?: string;
  description?: string;
}

/** APIC body: Latin-1 encoding, MIME, type, description, data. */
export function apicBody(p: PictureSpec): Uint8Array {
  return concat([new Uint8Array([0]), enc.encode(p.mime ?? "image/jpeg"), new Uint8Array([0, p.type ?? 3]), enc.encode(p.description ?? ""), new Uint8Array([0]), p.data]);
}

/** FLAC PICTURE body; width/height are written as 1 × 1 on purpose (taggers get them wrong too). */
export function pictureBlockBody(p: PictureSpec): Uint8Array {
  const mime = enc.encode(p.mime ?? "image/jpeg");
  const desc = enc.encode(p.description ?? "");
  const b = new Uint8Array(32 + mime.length + desc.length);
  const v = new DataView(b.buffer);
  let at = 0;
  const u32 = (n: number) => {
    v.setUint32(at, n);
    at += 4;
  };
  u32(p.type ?? 3);
  u32(mime.length);
  b.set(mime, at);
  at += mime.length;
  u32(desc.length);
  b.set(desc, at);
  at += desc.length;
  for (const n of [1, 1, 24, 0, p.data.length]) u32(n);
  return concat([b, p.data]);
}

/** Audio bytes of a sample track (content does not matter, only that there is audio after the tag). */
export function audio(n = 200_000): Uint8Array {
  return new Uint8Array(n).fill(0x5a);
}

/**
 * An MP3: an ID3v2.`version` tag with a title and these pictures (256 bytes of padding), then
 * MPEG frames. Built with concat, not the overlay's id3Tag, whose spreads overflow the stack on
 * a 12 MB picture. Returns the tag length too.
 */
export function mp3With(pictures: PictureSpec[], version: 2 | 3 | 4 = 4, audioBytes = audio()): { file: Uint8Array; tagEnd: number } {
  const frames = [frame(version, version === 2 ? "TT2" : "TIT2", concat([new Uint8Array([0]), enc.encode("Song")]))];
  for (const p of pictures) frames.push(version === 2 ? frame(2, "PIC", picBody22(p)) : frame(version, "APIC", apicBody(p)));
  const body = concat([...frames, new Uint8Array(256)]);
  const tag = concat([enc.encode("ID3"), new Uint8Array([version, 0, 0, ...synchsafe(body.length)]), body]);
  return { file: concat([tag, mp3Frames(audioBytes)]), tagEnd: tag.length };
}

function frame(version: 2 | 3 | 4, id: string, body: Uint8Array): Uint8Array {
  const n = body.length;
  const size = version === 2 ? [n >>> 16, (n >>> 8) & 0xff, n & 0xff] : version === 3 ? [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff] : synchsafe(n);
  return concat([enc.encode(id), new Uint8Array(size), new Uint8Array(version === 2 ? 0 : 2), body]);
}

/** ID3v2.2 PIC body: encoding, 3-letter format, type, description, data. */
function picBody22(p: PictureSpec): Uint8Array {
  const format = p.mime === "image/png" ? "PNG" : "JPG";
  return concat([new Uint8Array([0]), enc.encode(format), new Uint8Array([p.type ?? 3]), enc.encode(p.description ?? ""), new Uint8Array([0]), p.data]);
}

/** A FLAC file from samplelib with these PICTURE blocks in place of its own metadata after STREAMINFO. */
export function flacWith(pictures: PictureSpec[], audioBytes = audio()): { file: Uint8Array; metadataEnd: number } {
  const plain = encodeTrack("flac", { title: "Song" }, audioBytes);
  const layout = flacLayout(plain)!;
  const blocks = [flacBlock(0, false, layout.streamInfo), ...pictures.map((p) => flacBlock(6, false, pictureBlockBody(p))), flacBlock(1, true, new Uint8Array(512))];
  const head = concat([enc.encode("fLaC"), ...blocks]);
  return { file: concat([head, plain.subarray(layout.audioOffset)]), metadataEnd: head.length };
}

/** The requests an origin saw: how many bytes in all, and the end of the furthest one. */
export function requested(calls: [number, number][]): { bytes: number; maxEnd: number } {
  let bytes = 0;
  let maxEnd = 0;
  for (const [o, l] of calls) {
    bytes += l;
    maxEnd = Math.max(maxEnd, o + l);
  }
  return { bytes, maxEnd };
}

/** The CoverError `p` rejects with (any other outcome fails the test). */
export async function coverError(p: Promise<unknown>): Promise<CoverError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CoverError) return e;
    throw e;
  }
  throw new Error("expected a CoverError");
}
