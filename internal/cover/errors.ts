// The one error type of cover extraction and resizing. A caller (the mount) tells by `code`
// whether a file's cover is unusable for good (malformed, too-large, unsupported: show no
// cover, try another track) or only for now (read-failed: the origin may come back).

export type CoverErrorCode =
  /** The picture (bytes or pixels) is over the limit; it is not read or not decoded. */
  | "too-large"
  /** A tag or picture structure is cut off or inconsistent, or the image does not decode. */
  | "malformed"
  /** An image type the resizer cannot decode (WebP, AVIF, HEIF, ...): "full" still serves it. */
  | "unsupported"
  /** The caller's readRange threw or returned fewer bytes than asked; `cause` has its error. */
  | "read-failed";

export class CoverError extends Error {
  override name = "CoverError";
  constructor(
    readonly code: CoverErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
