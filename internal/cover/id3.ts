// Pictures of an ID3v2 tag (2.2 PIC, 2.3/2.4 APIC) read by ranges: the 10-byte header, then the
// frames through a window cut at the tag's end, so nothing after the tag is ever requested and a
// picture frame over the limit is refused from its header without being read.
//
// Why not music-metadata here: on a frame that runs past the tag it returns the picture cut short
// with only a warning string, and through a Blob it also reads the file's tail (ID3v1/APE).
import { deunsync } from "../overlay/id3.ts"; // the overlay's exported ID3 helper: one copy of it
import { CoverError } from "./errors.ts";
import { MAX_PICTURE_BYTES, MAX_WHOLE_TAG_BYTES, PICTURE_FIELDS_SLACK } from "./limits.ts";
import { FRONT_COVER, type PictureList } from "./picture.ts";
import { type ByteSource, memorySource, type ReadRange, readExact, windowSource } from "./reader.ts";

export interface Id3Header {
  major: 2 | 3 | 4;
  flags: number;
  /** Bytes after the 10-byte header (frames and padding; a v2.4 footer excluded). */
  bodySize: number;
  /** The whole tag: header, body and footer. */
  total: number;
}

/** The ID3v2 header at `at`, or null when there is no "ID3" there. */
export async function readId3Header(readRange: ReadRange, fileSize: number, at: number): Promise<Id3Header | null> {
  if (at + 10 > fileSize) return null;
  const h = await readExact(readRange, fileSize, at, 10, "the ID3v2 header");
  if (h[0] !== 0x49 || h[1] !== 0x44 || h[2] !== 0x33) return null;
  const major = h[3];
  if (major < 2 || major > 4 || h[4] === 0xff) throw new CoverError("malformed", `ID3v2 header at ${at}: version 2.${major}.${h[4]} is not 2.2, 2.3 or 2.4`);
  if ((h[6] | h[7] | h[8] | h[9]) & 0x80) throw new CoverError("malformed", `ID3v2 header at ${at}: the tag size is not synchsafe`);
  const bodySize = synchsafe(h, 6);
  const total = 10 + bodySize + (major === 4 && h[5] & 0x10 ? 10 : 0);
  if (at + total > fileSize) throw new CoverError("malformed", `the ID3v2 tag at ${at} claims ${total} bytes, past the end of the ${fileSize}-byte file (cut off?)`);
  return { major: major as 2 | 3 | 4, flags: h[5], bodySize, total };
}

/** Adds the pictures of the ID3v2 tag at offset 0 (if any) to `list`. */
export async function id3Pictures(readRange: ReadRange, fileSize: number, list: PictureList): Promise<void> {
  const h = await readId3Header(readRange, fileSize, 0);
  if (!h) return;
  if (h.major === 2 && h.flags & 0x40) return; // v2.2 "compressed" tag: no scheme was ever defined
  let src: ByteSource;
  if (h.major < 4 && h.flags & 0x80) {
    // Tag-wide unsynchronisation (v2.2/2.3): frame sizes count the restored bytes, so the whole
    // body must be restored before the frames can be walked.
    if (h.bodySize > MAX_WHOLE_TAG_BYTES) throw new CoverError("too-large", `an unsynchronised ID3v2 tag of ${h.bodySize} bytes is over the ${MAX_WHOLE_TAG_BYTES}-byte limit`);
    src = memorySource(deunsync(await readExact(readRange, fileSize, 10, h.bodySize, "the ID3v2 tag")), "the ID3v2 tag");
  } else {
    src = windowSource(readRange, fileSize, 10, h.bodySize, "the ID3v2 tag");
  }
  await walkFrames(src, h, list);
}

const MAX_FRAMES = 10_000; // a tag of that many frames is junk; stop rather than spin

async function walkFrames(src: ByteSource, h: Id3Header, list: PictureList): Promise<void> {
  const v22 = h.major === 2;
  const idLen = v22 ? 3 : 4;
  const headerLen = v22 ? 6 : 10;
  let pos = h.major >= 3 && h.flags & 0x40 ? await extendedHeaderLength(src, h.major) : 0;
  for (let n = 0; n < MAX_FRAMES && pos + headerLen <= src.end; n++) {
    const fh = await src.get(pos, headerLen);
    if (!isFrameId(fh, 0, idLen)) return; // padding (zeros) or junk: the frames end here
    const id = latin1(fh, 0, idLen);
    const start = pos + headerLen;
    const size = v22 ? (fh[3] << 16) | (fh[4] << 8) | fh[5] : h.major === 3 ? u32(fh, 4) : await v24FrameSize(src, fh, start, idLen);
    const isPicture = id === (v22 ? "PIC" : "APIC");
    if (start + size > src.end) {
      if (isPicture) throw new CoverError("malformed", `ID3v2.${h.major} ${id} frame at tag offset ${10 + pos} claims ${size} bytes, past the end of the tag (cut off?)`);
      return; // a broken frame of another kind: sizes after it cannot be trusted
    }
    pos = start + size;
    if (!isPicture) continue;
    const format = v22 ? 0 : fh[9];
    // Compressed, encrypted or grouped frames (v2.3: 0xe0; v2.4: 0x4c) are left out, as other
    // readers do; taggers do not write pictures that way.
    if (format & (h.major === 3 ? 0xe0 : 0x4c)) continue;
    if (size > MAX_PICTURE_BYTES + PICTURE_FIELDS_SLACK) {
      list.tooLarge(size);
      continue;
    }
    let body = await src.get(start, size);
    if (h.major === 4) {
      if (format & 0x01) body = body.subarray(4); // data length indicator
      if (format & 0x02 || h.flags & 0x80) body = deunsync(body);
    }
    pictureFrame(body, v22, list);
  }
}

/** Length of the extended header (v2.3: 4-byte size not counting itself; v2.4: synchsafe, counting itself). */
async function extendedHeaderLength(src: ByteSource, major: number): Promise<number> {
  if (src.end < 4) throw new CoverError("malformed", "the ID3v2 extended header is cut off");
  const b = await src.get(0, 4);
  const len = major === 3 ? 4 + u32(b, 0) : synchsafe(b, 0);
  if (len < 4 || len > src.end) throw new CoverError("malformed", `an ID3v2 extended header of ${len} bytes does not fit the ${src.end}-byte tag`);
  return len;
}

/**
 * A v2.4 frame size is synchsafe, but iTunes wrote plain 32-bit sizes into v2.4 tags: when the
 * bytes are not synchsafe, or only the plain reading lands on the next frame, take that one.
 */
async function v24FrameSize(src: ByteSource, fh: Uint8Array, start: number, idLen: number): Promise<number> {
  const plain = u32(fh, 4);
  if ((fh[4] | fh[5] | fh[6] | fh[7]) & 0x80) return plain;
  const safe = synchsafe(fh, 4);
  if (safe === plain || (await landsOnFrame(src, start + safe, idLen)) || !(await landsOnFrame(src, start + plain, idLen))) return safe;
  return plain;
}

/** True when `pos` is the tag's end, padding, or the start of a frame id. */
async function landsOnFrame(src: ByteSource, pos: number, idLen: number): Promise<boolean> {
  if (pos === src.end) return true;
  if (pos + idLen > src.end) return pos < src.end && (await src.peek(pos, 1))[0] === 0;
  const b = await src.peek(pos, idLen);
  return b[0] === 0 || isFrameId(b, 0, idLen);
}

/**
 * APIC: encoding, MIME type (Latin-1, NUL-terminated), picture type, description (in the
 * encoding, NUL-terminated), data. v2.2 PIC has a 3-letter format ("JPG", "PNG") for the MIME type.
 */
function pictureFrame(b: Uint8Array, v22: boolean, list: PictureList): void {
  const id = v22 ? "PIC" : "APIC";
  const mimeEnd = v22 ? 4 : b.indexOf(0, 1);
  if (b.length < 2 || mimeEnd < 0 || mimeEnd + 1 >= b.length) return list.brokenPicture(`the ${id} frame is cut off before its picture type`);
  const declaredMime = latin1(b, 1, mimeEnd);
  const type = b[v22 ? 4 : mimeEnd + 1];
  const descStart = v22 ? 5 : mimeEnd + 2;
  const wide = b[0] === 1 || b[0] === 2; // UTF-16: a two-byte terminator at an even distance
  const descEnd = wide ? wideNul(b, descStart) : b.indexOf(0, descStart);
  if (descEnd < 0) return list.brokenPicture(`the ${id} frame's description is not terminated`);
  if (declaredMime === "-->") return; // the data is a URL to the picture, not the picture
  const bytes = b.subarray(descEnd + (wide ? 2 : 1));
  if (bytes.length === 0) return list.brokenPicture(`the ${id} frame holds no picture data`);
  list.add({ declaredMime, front: type === FRONT_COVER, bytes });
}

function wideNul(b: Uint8Array, from: number): number {
  for (let i = from; i + 1 < b.length; i += 2) if (b[i] === 0 && b[i + 1] === 0) return i;
  return -1;
}

function isFrameId(b: Uint8Array, at: number, len: number): boolean {
  for (let i = at; i < at + len; i++) {
    const c = b[i];
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39))) return false;
  }
  return true;
}

function latin1(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString("latin1");
}

function synchsafe(b: Uint8Array, at: number): number {
  return (b[at] << 21) | (b[at + 1] << 14) | (b[at + 2] << 7) | b[at + 3];
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}
