// Cover art (FR-16): the largest embedded picture of an audio file, read by ranges; JPEG
// thumbnails of it; the album rule. Pure: no FUSE, no catalog. See README.md beside this file.
export { extractCover } from "./extract.ts";
export { resizeCover, THUMBNAIL_QUALITY, type CoverImage, type CoverSize } from "./resize.ts";
export { pickAlbumCover, type AlbumCover, type AlbumCoverPick, type CoverCandidate } from "./album.ts";
export { CoverError, type CoverErrorCode } from "./errors.ts";
export type { Cover } from "./picture.ts";
export { MAX_PICTURE_BYTES, MAX_PIXELS } from "./limits.ts";
export type { ReadRange } from "./reader.ts";
