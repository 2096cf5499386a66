// The one error type of the overlay. Every failure planOverlay / readPlanned can report is an
// OverlayError with a code, so a caller (the mount) can fall back to serving the original file
// unchanged and log the message, instead of failing the read.

export type OverlayErrorCode =
  /** The header structure is inconsistent (bad sizes, bad block order, missing frame sync, ...). */
  | "malformed"
  /** A size points past the end of the file, or the origin returned fewer bytes than asked. */
  | "truncated"
  /** A header version this module does not read (ID3v2.5+). */
  | "unsupported"
  /** The synthesised header would exceed a format limit (FLAC block 16 MiB, ID3v2 tag 256 MiB). */
  | "too-large"
  /** The edits are not acceptable (unknown field, NUL, > 64 KiB, bad number or date). */
  | "invalid-tags"
  /** The origin's readRange threw; `cause` is its error. */
  | "read-failed"
  /** readPlanned was given a negative or non-integer range. */
  | "bad-range";

export class OverlayError extends Error {
  override name = "OverlayError";
  constructor(
    readonly code: OverlayErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
