// Pictures of every other format (M4A `covr`, Ogg Vorbis/Opus/FLAC METADATA_BLOCK_PICTURE, WAV/AIFF
// ID3 chunks, ...) through music-metadata, over ranged reads (the origins' Blob look-alike with a
// 64 KiB block cache). Measured on samplelib files of ~5 MB: M4A reads the head and tail blocks
// (~74 KB), Ogg Opus the head pages and the last block (~545 KB): not the whole file, but more
// than MP3/FLAC need, and music-metadata has read a picture before its size can be checked.
import { parseBlob, type IPicture } from "music-metadata";
// ranged-tags.ts directly, not the origins index: that one loads the S3 and SFTP clients.
import { mimeOf, rangeBlob } from "../origins/ranged-tags.ts";
import { CoverError } from "./errors.ts";
import type { PictureList } from "./picture.ts";
import { type ReadRange, readExact } from "./reader.ts";

const FRONT = "Cover (front)"; // music-metadata's name for picture type 3

/** Adds the pictures music-metadata finds in a `format` file to `list`. */
export async function otherPictures(readRange: ReadRange, fileSize: number, format: string, list: PictureList): Promise<void> {
  const blob = rangeBlob((o, l) => readExact(readRange, fileSize, o, l, `the ${format} file`), fileSize, mimeOf(`x.${format}`));
  let pictures: IPicture[] | undefined;
  try {
    // parseBlob only touches size, type and slice(); the cast documents that contract.
    const m = await parseBlob(blob as unknown as Blob, { duration: false, skipPostHeaders: true, skipCovers: false });
    pictures = m.common.picture;
  } catch (e) {
    if (e instanceof CoverError) throw e;
    throw new CoverError("malformed", `music-metadata could not read this ${format} file: ${(e as Error)?.message ?? e}`, { cause: e });
  }
  for (const p of pictures ?? []) {
    if (p.data.length === 0) list.brokenPicture(`an empty ${format} picture`);
    // M4A's covr has no picture type: it is the album artwork, so it counts as a front cover.
    else list.add({ declaredMime: p.format, front: p.type === undefined || p.type === FRONT, bytes: p.data });
  }
}
