// The tag set the sample writers understand; each format stores what it can (see FORMAT_FIELDS).

export type SampleFormat = "mp3" | "flac" | "wav";

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

/** Tag fields each format can carry; WAV's RIFF INFO has no album artist, composer, disc or MBIDs. */
export const FORMAT_FIELDS: Record<SampleFormat, readonly (keyof TrackTags)[]> = {
  mp3: ["title", "artist", "album", "albumArtist", "genre", "composer", "year", "trackNo", "discNo", "comment", "mbRecordingId", "mbAlbumId", "mbArtistId", "cover"],
  flac: ["title", "artist", "album", "albumArtist", "genre", "composer", "year", "trackNo", "discNo", "comment", "mbRecordingId", "mbAlbumId", "mbArtistId", "cover"],
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
