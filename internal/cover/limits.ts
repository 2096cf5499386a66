// Limits on what one cover may cost. Covers of a few hundred KiB are the norm, a few MiB happen;
// anything bigger is almost always a mistake (a whole scan or booklet embedded), and the mount
// must not hold or decode it for every file that carries one.

/** Largest picture (its encoded bytes) that is extracted or resized: 10 MiB. */
export const MAX_PICTURE_BYTES = 10 * 1024 * 1024;

/**
 * Largest picture, in pixels, that is decoded for resizing: 40 MP (e.g. 6300 × 6300) is ~160 MiB
 * of RGBA. A small file can claim a huge canvas (a "decompression bomb"), so this is checked
 * from the image header before any decoding.
 */
export const MAX_PIXELS = 40_000_000;

/**
 * Room for the fields around a picture's data in its frame or block (MIME type, description).
 * A frame bigger than MAX_PICTURE_BYTES plus this cannot hold an acceptable picture, so it is
 * refused from its header, without reading it.
 */
export const PICTURE_FIELDS_SLACK = 64 * 1024;

/** An ID3v2.2/2.3 tag with tag-wide unsynchronisation is read whole; larger ones are refused. */
export const MAX_WHOLE_TAG_BYTES = 64 * 1024 * 1024;
