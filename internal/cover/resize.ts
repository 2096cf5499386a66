// resizeCover: a JPEG thumbnail of a cover, or the cover itself for "full".
// Decoding, resampling and encoding are jimp's (pure JavaScript: jpeg-js, pngjs, its own
// two-pass resampler), because it runs inside the `bun build --compile` executable; sharp is
// native and fails there (its loader cannot find its platform package in the bundle).
// jimp is imported on first use, so commands that never resize do not load it.
import { CoverError } from "./errors.ts";
import { MAX_PICTURE_BYTES, MAX_PIXELS } from "./limits.ts";
import { imageInfo } from "./picture.ts";

/** An encoded image to serve: its type, the name extension for it, its size. */
export interface CoverImage {
  mime: string;
  ext: string;
  width: number;
  height: number;
  bytes: Uint8Array;
}

/** Longest side in pixels (the mount uses 150 and 300), or "full" for the picture as embedded. */
export type CoverSize = number | "full";

/** JPEG quality of thumbnails: no visible artefacts at 150-300 px, ~25-40 KB at 300 px. */
export const THUMBNAIL_QUALITY = 85;

/** Types jimp decodes (its default formats). */
const DECODABLE = new Set(["image/jpeg", "image/png", "image/gif", "image/bmp", "image/tiff"]);

/**
 * `maxPx`: a JPEG no larger than maxPx × maxPx, aspect ratio kept, never upscaled (a JPEG that
 * already fits is returned as it is; anything else is re-encoded). "full": `bytes` unchanged,
 * typed by their content (a PNG stays a PNG). Throws CoverError: too-large (over 10 MiB or
 * 40 MP, checked before decoding), malformed (not an image, or it does not decode),
 * unsupported (a type jimp cannot decode: WebP, AVIF, HEIF, ...).
 */
export async function resizeCover(bytes: Uint8Array, maxPx: CoverSize): Promise<CoverImage> {
  if (maxPx !== "full" && !(Number.isInteger(maxPx) && maxPx >= 1 && maxPx <= 65535)) {
    throw new RangeError(`resizeCover: size must be "full" or an integer 1..65535, not ${maxPx}`);
  }
  if (bytes.length > MAX_PICTURE_BYTES) throw new CoverError("too-large", `a picture of ${bytes.length} bytes is over the ${MAX_PICTURE_BYTES}-byte limit`);
  const info = imageInfo(bytes);
  if (!info) throw new CoverError("malformed", `${bytes.length} bytes that are not an image of a known type`);
  if (maxPx === "full" || (info.mime === "image/jpeg" && info.width <= maxPx && info.height <= maxPx)) return { ...info, bytes };
  if (info.width * info.height > MAX_PIXELS) {
    throw new CoverError("too-large", `a ${info.width} × ${info.height} picture is over the ${MAX_PIXELS / 1e6} MP decoding limit`);
  }
  if (!DECODABLE.has(info.mime)) throw new CoverError("unsupported", `${info.mime} pictures cannot be resized (only served full size)`);
  return thumbnail(bytes, maxPx);
}

async function thumbnail(bytes: Uint8Array, maxPx: number): Promise<CoverImage> {
  const { Jimp } = await import("jimp");
  let image: Awaited<ReturnType<typeof Jimp.fromBuffer>>;
  try {
    image = await Jimp.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  } catch (e) {
    throw new CoverError("malformed", `the picture does not decode: ${(e as Error)?.message ?? e}`, { cause: e });
  }
  // Dimensions after decoding: jimp has applied the EXIF rotation by now.
  const { width, height } = image.bitmap;
  const scale = Math.min(1, maxPx / width, maxPx / height);
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  if (scale < 1) image.resize({ w, h });
  // JPEG has no alpha: put a transparent picture on white, as viewers show it, not on black.
  const out = image.hasAlpha() ? new Jimp({ width: w, height: h, color: 0xffffffff }).composite(image) : image;
  const jpeg = await out.getBuffer("image/jpeg", { quality: THUMBNAIL_QUALITY });
  return { mime: "image/jpeg", ext: "jpg", width: w, height: h, bytes: new Uint8Array(jpeg.buffer, jpeg.byteOffset, jpeg.length) };
}
