// The tag set the sample writers understand; each format stores what it can (see FORMAT_FIELDS).

/**
 * "mp3" carries ID3v2.4; the other MP3 flavours are "mp3-id3v23" (ID3v2.3, UTF-16 text),
 * "mp3-id3v1" (only an ID3v1.1 trailer) and "mp3-id3v24+v1" (both). "opus" is Ogg Opus, "m4a"
 * AAC in MP4 with iTunes-style tags.
 */
export type SampleFormat = "mp3" | "flac" | "wav" | "mp3-id3v23" | "mp3-id3v1" | "mp3-id3v24+v1" | "opus" | "m4a";

export const SAMPLE_FORMATS: readonly SampleFormat[] = ["mp3", "flac", "wav", "mp3-id3v23", "mp3-id3v1", "mp3-id3v24+v1", "opus", "m4a"];

/** The file extension of a format (all MP3 flavours are .mp3). */
export function extensionOf(format: SampleFormat): string {
  return format.startsWith("mp3") ? "mp3" : format;
}

export interface TrackTags {
  title?: string;
  artist?: string;
  album?: string;
  albumArtist?: string;
  genre?: string;
  composer?: string;
  year?: number;
  trackNo?: number;
  trackTotal?: number;
  discNo?: number;
  comment?: string;
  mbRecordingId?: string;
  mbAlbumId?: string;
  mbArtistId?: string;
  /** Embedded front cover (PNG bytes). Ignored by WAV. */
  cover?: Uint8Array;
}

const ALL_FIELDS: readonly (keyof TrackTags)[] = ["title", "artist", "album", "albumArtist", "genre", "composer", "year", "trackNo", "discNo", "comment", "mbRecordingId", "mbAlbumId", "mbArtistId", "cover"];

/**
 * Tag fields each format can carry; WAV's RIFF INFO has no album artist, composer, disc or MBIDs;
 * ID3v1 only title, artist, album, year, comment, track and a genre from a fixed list (values
 * are also cut and limited to Latin-1: see id3v1Stored).
 */
export const FORMAT_FIELDS: Record<SampleFormat, readonly (keyof TrackTags)[]> = {
  mp3: ALL_FIELDS,
  "mp3-id3v23": ALL_FIELDS,
  "mp3-id3v24+v1": ALL_FIELDS,
  "mp3-id3v1": ["title", "artist", "album", "genre", "year", "trackNo", "comment"],
  flac: ALL_FIELDS,
  opus: ALL_FIELDS,
  m4a: ALL_FIELDS,
  wav: ["title", "artist", "album", "genre", "year", "trackNo", "comment"],
};

export const encoder = new TextEncoder();

/** Concatenates byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
