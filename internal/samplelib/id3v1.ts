// ID3v1.1 trailer: the last 128 bytes of an MP3 ("TAG", fixed Latin-1 fields, a track byte and a
// genre index). Old players and car stereos still read only this; scanners must merge it with
// ID3v2 or use it alone.
import type { TrackTags } from "./tags.ts";

export const ID3V1_BYTES = 128;

/** Genre indexes of the ID3v1 list (with the Winamp extensions) for the genres samplelib uses. */
const GENRE_INDEX: Record<string, number> = { Rock: 17, Metal: 9, Electronic: 52, Jazz: 8, Pop: 13, Ambient: 26, "Post-Rock": 176, Classical: 32, Noise: 39 };
const NO_GENRE = 255;

/** A text field as ID3v1 stores it: Latin-1 ('?' for anything else), cut to `len` bytes, trimmed like readers do. */
export function id3v1Text(s: string, len: number): string {
  return [...s]
    .map((c) => (c.charCodeAt(0) <= 0xff && c.length === 1 ? c : "?"))
    .join("")
    .slice(0, len)
    .replace(/\0+$/, "")
    .trim();
}

/** The tags an ID3v1.1 reader gets back from what `id3v1(tags)` wrote. */
export function id3v1Stored(tags: TrackTags): TrackTags {
  const out: TrackTags = {};
  const put = (k: "title" | "artist" | "album" | "comment", len: number) => {
    const v = tags[k] === undefined ? "" : id3v1Text(tags[k]!, len);
    if (v !== "") out[k] = v;
  };
  put("title", 30);
  put("artist", 30);
  put("album", 30);
  put("comment", 28);
  if (tags.year !== undefined && tags.year >= 1 && tags.year <= 9999) out.year = tags.year;
  if (tags.trackNo !== undefined && tags.trackNo >= 1 && tags.trackNo <= 255) out.trackNo = tags.trackNo;
  if (tags.genre !== undefined && tags.genre in GENRE_INDEX) out.genre = tags.genre;
  return out;
}

export function id3v1(tags: TrackTags): Uint8Array {
  const b = new Uint8Array(ID3V1_BYTES);
  const put = (s: string | undefined, at: number, len: number) => {
    const v = s === undefined ? "" : id3v1Text(s, len);
    for (let i = 0; i < v.length; i++) b[at + i] = v.charCodeAt(i);
  };
  put("TAG", 0, 3);
  put(tags.title, 3, 30);
  put(tags.artist, 33, 30);
  put(tags.album, 63, 30);
  if (tags.year !== undefined && tags.year >= 1 && tags.year <= 9999) put(String(tags.year).padStart(4, "0"), 93, 4);
  put(tags.comment, 97, 28);
  // ID3v1.1: byte 125 zero, byte 126 the track number.
  if (tags.trackNo !== undefined && tags.trackNo >= 1 && tags.trackNo <= 255) b[126] = tags.trackNo;
  b[127] = tags.genre !== undefined && tags.genre in GENRE_INDEX ? GENRE_INDEX[tags.genre] : NO_GENRE;
  return b;
}

/** True if `file` ends with an ID3v1 tag. */
export function hasId3v1(file: Uint8Array): boolean {
  const at = file.length - ID3V1_BYTES;
  return at >= 0 && file[at] === 0x54 && file[at + 1] === 0x41 && file[at + 2] === 0x47;
}
