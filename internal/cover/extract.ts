// extractCover: the largest embedded picture of one audio file, read by ranges.
import { flacPictures } from "./flac.ts";
import { id3Pictures } from "./id3.ts";
import { otherPictures } from "./other-formats.ts";
import { type Cover, PictureList } from "./picture.ts";
import type { ReadRange } from "./reader.ts";

/**
 * The largest picture embedded in a file (most pixels, then a front cover, then most bytes), or
 * null when it has none. `format` is the file's lowercase extension, as the catalog stores it.
 * MP3 and FLAC are read from the head only (the ID3v2 tag, the metadata blocks); other formats
 * through music-metadata. Throws CoverError: too-large (every picture over 10 MiB), malformed (a
 * tag cut off or inconsistent, or no picture usable), read-failed (readRange failed).
 */
export async function extractCover(readRange: ReadRange, fileSize: number, format: string): Promise<Cover | null> {
  const f = format.toLowerCase();
  const list = new PictureList();
  // An MP3's pictures live in its leading ID3v2 tag (APEv2 pictures at the end are not read).
  if (f === "mp3") await id3Pictures(readRange, fileSize, list);
  else if (f === "flac") await flacPictures(readRange, fileSize, list);
  else await otherPictures(readRange, fileSize, f, list);
  return list.best(`the ${f} file's cover`);
}
