// What a picture is, judged from its own bytes: the container's MIME field and size fields are
// often wrong ("image/jpg", "PNG", width 1 × height 1), so type and dimensions come from the image
// header, read by `image-size` (no decoding). Bytes it does not recognise are not a cover.
import { imageSize } from "image-size";
import { CoverError } from "./errors.ts";
import { MAX_PICTURE_BYTES } from "./limits.ts";

/** One cover picture, as extracted. `bytes` are the embedded bytes, unchanged. */
export interface Cover {
  /** From the bytes (image/jpeg, image/png, ...), not from the tag. */
  mime: string;
  /** File name extension for that type: jpg, png, gif, ... */
  ext: string;
  /** Pixels as displayed (JPEG EXIF rotation applied). */
  width: number;
  height: number;
  bytes: Uint8Array;
  /** Marked as the front cover (ID3/FLAC picture type 3; M4A's `covr` artwork counts as one). */
  front: boolean;
}

/** A picture as a container stores it, before it is judged. */
export interface RawPicture {
  /** The container's MIME or format field, as written (may be wrong or empty). */
  declaredMime: string;
  front: boolean;
  bytes: Uint8Array;
}

/** The ID3/FLAC picture type of the front cover. */
export const FRONT_COVER = 3;

/** image-size's type names → [MIME type, extension]. Only raster types people embed as covers. */
const TYPES: Record<string, [string, string]> = {
  jpg: ["image/jpeg", "jpg"],
  png: ["image/png", "png"],
  gif: ["image/gif", "gif"],
  bmp: ["image/bmp", "bmp"],
  webp: ["image/webp", "webp"],
  tiff: ["image/tiff", "tif"],
  avif: ["image/avif", "avif"],
  heic: ["image/heic", "heic"],
  heix: ["image/heic", "heic"],
  mif1: ["image/heif", "heif"],
  msf1: ["image/heif", "heif"],
  jxl: ["image/jxl", "jxl"],
  jp2: ["image/jp2", "jp2"],
};

export interface ImageInfo {
  mime: string;
  ext: string;
  width: number;
  height: number;
}

/** Type and displayed size of an encoded image, or null when it is not a raster image we know. */
export function imageInfo(bytes: Uint8Array): ImageInfo | null {
  let r: ReturnType<typeof imageSize>;
  try {
    r = imageSize(bytes);
  } catch {
    return null; // unknown type, or a header too short to hold the size
  }
  const t = r.type ? TYPES[r.type] : undefined;
  if (!t || !(r.width > 0) || !(r.height > 0)) return null;
  // EXIF orientations 5-8 turn the picture a quarter: width and height swap on display.
  const turned = (r.orientation ?? 1) >= 5;
  return { mime: t[0], ext: t[1], width: turned ? r.height : r.width, height: turned ? r.width : r.height };
}

/**
 * The pictures of one file as they are found, and what went wrong with the others, so the
 * choice can be made once all are seen: a too large or broken picture is no reason to lose a
 * good one beside it.
 */
export class PictureList {
  readonly pictures: RawPicture[] = [];
  /** Byte size of the largest picture refused for size (0: none). */
  oversize = 0;
  /** Why the first broken picture was unusable (null: none). */
  broken: string | null = null;

  add(p: RawPicture): void {
    if (p.bytes.length > MAX_PICTURE_BYTES) this.tooLarge(p.bytes.length);
    else this.pictures.push(p);
  }

  tooLarge(bytes: number): void {
    this.oversize = Math.max(this.oversize, bytes);
  }

  brokenPicture(reason: string): void {
    this.broken ??= reason;
  }

  /**
   * The largest usable picture: most pixels, then a front cover, then most bytes, then the first
   * in the file. Null when there is no picture at all; a CoverError when every picture there is
   * was refused (too-large wins over malformed: it is the clearer message).
   */
  best(where: string): Cover | null {
    let best: Cover | null = null;
    for (const p of this.pictures) {
      const info = imageInfo(p.bytes);
      if (!info) {
        this.brokenPicture(`a picture of ${p.bytes.length} bytes (declared "${p.declaredMime}") is not an image of a known type`);
        continue;
      }
      const c: Cover = { ...info, bytes: p.bytes, front: p.front };
      if (!best || beats(c, best)) best = c;
    }
    if (best) return best;
    if (this.oversize > 0) {
      throw new CoverError("too-large", `${where}: the picture has ${this.oversize} bytes, over the ${MAX_PICTURE_BYTES}-byte limit`);
    }
    if (this.broken) throw new CoverError("malformed", `${where}: ${this.broken}`);
    return null;
  }
}

function beats(a: Cover, b: Cover): boolean {
  const areaA = a.width * a.height;
  const areaB = b.width * b.height;
  if (areaA !== areaB) return areaA > areaB;
  if (a.front !== b.front) return a.front;
  return a.bytes.length > b.bytes.length;
}
