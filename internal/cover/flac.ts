// Pictures of a FLAC file, read by ranges: "fLaC", then each metadata block header (4 bytes) in
// turn; only PICTURE bodies are read, and one over the limit only by its header. The walk stops
// at the last-block flag, so no byte of audio is requested.
//
// Why not music-metadata here: a file cut off inside its metadata gives no pictures and no error
// there, and through a Blob it also reads the file's tail.
import { CoverError } from "./errors.ts";
import { readId3Header } from "./id3.ts";
import { MAX_PICTURE_BYTES, PICTURE_FIELDS_SLACK } from "./limits.ts";
import { FRONT_COVER, type PictureList } from "./picture.ts";
import { type ReadRange, readExact } from "./reader.ts";

const PICTURE = 6;
const INVALID = 127;
/** A real file has a handful of blocks; this many is junk (or a loop of empty blocks). */
const MAX_BLOCKS = 4096;

/** Adds the pictures of a FLAC file's metadata blocks to `list`. */
export async function flacPictures(readRange: ReadRange, fileSize: number, list: PictureList): Promise<void> {
  // Some taggers put an ID3v2 tag in front of "fLaC"; its pictures are not FLAC's and are ignored.
  const start = (await readId3Header(readRange, fileSize, 0))?.total ?? 0;
  const marker = await readExact(readRange, fileSize, start, 4, 'the "fLaC" marker');
  if (marker[0] !== 0x66 || marker[1] !== 0x4c || marker[2] !== 0x61 || marker[3] !== 0x43) {
    throw new CoverError("malformed", `not a FLAC stream: no "fLaC" marker at byte ${start}`);
  }
  let at = start + 4;
  for (let n = 0; n < MAX_BLOCKS; n++) {
    const h = await readExact(readRange, fileSize, at, 4, "a FLAC metadata block header");
    const last = (h[0] & 0x80) !== 0;
    const type = h[0] & 0x7f;
    const len = (h[1] << 16) | (h[2] << 8) | h[3];
    if (type === INVALID) throw new CoverError("malformed", `the FLAC metadata block at ${at} has the invalid type 127`);
    if (at + 4 + len > fileSize) {
      throw new CoverError("malformed", `the FLAC metadata block (type ${type}) at ${at} claims ${len} bytes, past the end of the ${fileSize}-byte file (cut off?)`);
    }
    if (type === PICTURE) {
      if (len > MAX_PICTURE_BYTES + PICTURE_FIELDS_SLACK) list.tooLarge(len);
      else pictureBlock(await readExact(readRange, fileSize, at + 4, len, "a FLAC PICTURE block"), list);
    }
    at += 4 + len;
    if (last) return;
  }
  throw new CoverError("malformed", `more than ${MAX_BLOCKS} FLAC metadata blocks`);
}

/**
 * PICTURE block body (big-endian): type, MIME length, MIME, description length, description,
 * width, height, depth, colours, data length, data. Ogg files carry the same structure
 * (METADATA_BLOCK_PICTURE), read there by music-metadata.
 */
function pictureBlock(b: Uint8Array, list: PictureList): void {
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  let at = 0;
  // Each length is checked against the block before it is used.
  const field = (n: number): number => {
    const p = at;
    at += n;
    return at <= b.length ? p : -1;
  };
  if (field(8) < 0) return list.brokenPicture("a FLAC PICTURE block is cut off in its header");
  const type = v.getUint32(0);
  const mimeLen = v.getUint32(4);
  const mimeAt = field(mimeLen);
  if (mimeAt < 0 || field(4) < 0) return list.brokenPicture("a FLAC PICTURE block's MIME type runs past the block");
  const declaredMime = Buffer.from(b.buffer, b.byteOffset + mimeAt, mimeLen).toString("latin1");
  if (field(v.getUint32(at - 4)) < 0 || field(20) < 0) return list.brokenPicture("a FLAC PICTURE block's description runs past the block");
  const dataLen = v.getUint32(at - 4);
  if (dataLen > MAX_PICTURE_BYTES) return list.tooLarge(dataLen);
  const dataAt = field(dataLen);
  if (dataAt < 0) return list.brokenPicture(`a FLAC PICTURE block's data (${dataLen} bytes) runs past the block (cut off?)`);
  if (declaredMime === "-->") return; // the data is a URL to the picture, not the picture
  if (dataLen === 0) return list.brokenPicture("a FLAC PICTURE block holds no picture data");
  list.add({ declaredMime, front: type === FRONT_COVER, bytes: b.subarray(dataAt, dataAt + dataLen) });
}
