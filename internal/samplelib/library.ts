// A small, deterministic sample library: artists × albums × tracks in MP3/FLAC/WAV (and, on
// request, the other MP3 tag flavours, Ogg Opus and M4A), with unicode names, a few hostile tag
// values, one malformed file and, on request, truncated and garbage files.
import * as fs from "node:fs";
import * as path from "node:path";
import { solidPng } from "./cover.ts";
import { Prng, subSeed } from "./prng.ts";
import { id3v1Stored } from "./id3v1.ts";
import { extensionOf, FORMAT_FIELDS, type SampleFormat, type TrackTags } from "./tags.ts";
import { encodeTrack, writeTrack } from "./write.ts";

export interface LibraryOptions {
  artists?: number;
  albumsPerArtist?: number;
  tracksPerAlbum?: number;
  seed?: number;
  formats?: readonly SampleFormat[];
  /** Audio payload per track (the file is a little larger: tags and framing). */
  trackBytes?: number;
  /** Add the hostile-tag tracks (default true). */
  hostile?: boolean;
  /** Add one deliberately malformed file (default true). */
  malformed?: boolean;
  /**
   * Add broken files (default false): a FLAC cut off inside its metadata, random bytes named
   * .m4a, an Ogg file cut off in its comment header. Listed with `malformed: true`.
   */
  broken?: boolean;
}

export interface GeneratedFile {
  path: string;
  /** Path relative to the library root, with "/" separators. */
  relPath: string;
  format: SampleFormat;
  /** What was written (fields the format cannot carry are still listed; see FORMAT_FIELDS). */
  tags: TrackTags;
  size: number;
  /** True for the deliberately broken file; its tags are empty. */
  malformed?: boolean;
  /** True for the tracks carrying hostile tag values. */
  hostile?: boolean;
}

export const ARTIST_NAMES = [
  "Björk",
  "Sigur Rós",
  "Motörhead",
  "Beyoncé",
  "Röyksopp",
  "坂本龍一",
  "Mötley Crüe",
  "Die Ärzte",
  "Metallica",
  "Daft Punk",
  "Boards of Canada",
  "Einstürzende Neubauten",
  "Zoë Keating",
  "Ólafur Arnalds",
  "The Beatles",
  "Nina Simone",
];
const WORDS = ["Silent", "Electric", "Glacier", "Midnight", "Velvet", "Ágætis", "Ocean", "Crystal", "Seasons", "Puppets", "Homogenic", "Byrjun", "Déjà", "Lux", "Æterna", "Northern", "Sandman", "Fade", "Beat", "Dreams"];
const GENRES = ["Rock", "Metal", "Electronic", "Jazz", "Pop", "Ambient", "Post-Rock", "Classical"];
const COMPOSERS = ["J. S. Bach", "Hildur Guðnadóttir", "Ennio Morricone", "Philip Glass"];

export const DEFAULTS = { artists: 4, albumsPerArtist: 2, tracksPerAlbum: 3, seed: 1, formats: ["mp3", "flac", "wav"] as const, trackBytes: 32 * 1024 };

/** File-system-safe, length-limited name component (the library's own layout, not the VFS's). */
function safeName(s: string, maxBytes = 120): string {
  let out = s.replace(/[/\\\0]/g, "_").replace(/[\x00-\x1f\x7f]/g, " ").trim();
  if (out === "" || out === "." || out === "..") out = "_" + out;
  while (Buffer.byteLength(out) > maxBytes) out = [...out].slice(0, -1).join("");
  return out;
}

function uuid(rng: Prng): string {
  const h = Array.from(rng.bytes(16), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function generateLibrary(dir: string, options: LibraryOptions = {}): GeneratedFile[] {
  const o = { ...DEFAULTS, ...options };
  const formats = o.formats.length > 0 ? o.formats : DEFAULTS.formats;
  const rng = new Prng(o.seed);
  const files: GeneratedFile[] = [];
  let index = 0;
  const emit = (rel: string, format: SampleFormat, tags: TrackTags, extra: Partial<GeneratedFile> = {}) => {
    const full = path.join(dir, ...rel.split("/"));
    fs.mkdirSync(path.dirname(full), { recursive: true });
    const audio = new Prng(subSeed(o.seed, index++)).bytes(o.trackBytes);
    const size = writeTrack(full, format, tags, audio);
    files.push({ path: full, relPath: rel, format, tags, size, ...extra });
  };

  for (let a = 0; a < o.artists; a++) {
    const base = ARTIST_NAMES[a % ARTIST_NAMES.length];
    const artist = a < ARTIST_NAMES.length ? base : `${base} ${Math.floor(a / ARTIST_NAMES.length) + 1}`;
    const mbArtistId = uuid(rng);
    for (let b = 0; b < o.albumsPerArtist; b++) {
      const format = formats[(a * o.albumsPerArtist + b) % formats.length];
      const album = `${rng.pick(WORDS)} ${rng.pick(WORDS)}`;
      const year = 1970 + rng.int(54);
      const genre = rng.pick(GENRES);
      const mbAlbumId = uuid(rng);
      const cover = b % 2 === 0 ? solidPng(rng.next() & 0xffffff) : undefined;
      const dirRel = `${safeName(artist)}/${safeName(`${album} (${year})`)}`;
      for (let t = 1; t <= o.tracksPerAlbum; t++) {
        const title = `${rng.pick(WORDS)} ${rng.pick(WORDS)} ${t}`;
        const tags: TrackTags = {
          title,
          artist,
          album,
          albumArtist: artist,
          genre,
          year,
          trackNo: t,
          trackTotal: o.tracksPerAlbum,
          discNo: 1,
          mbArtistId,
          mbAlbumId,
          mbRecordingId: uuid(rng),
        };
        if (t === 1 && format !== "wav") tags.composer = rng.pick(COMPOSERS);
        if (cover && format !== "wav") tags.cover = cover;
        emit(`${dirRel}/${String(t).padStart(2, "0")} - ${safeName(title)}.${extensionOf(format)}`, format, tags);
      }
    }
  }

  if (o.hostile ?? true) {
    const hostile: TrackTags[] = [
      { title: "../../etc/passwd", artist: "AC/DC", album: "..", genre: "Rock", year: 1980, trackNo: 1 },
      { title: "Bell\x07 Tab\t Line\nBreak", artist: "Control\x01Chars", album: "/absolute/album", genre: "Noise", year: 2001, trackNo: 2 },
      { title: "Long ".repeat(80).trim(), artist: "Verbose Ensemble", album: "A\\B:C*D?E\"F<G>H|I", genre: "Drone", year: 2020, trackNo: 3 },
    ];
    hostile.forEach((tags, i) => {
      const format = formats[i % formats.length];
      emit(`Hostile/${String(i + 1).padStart(2, "0")} - ${safeName(tags.title ?? "", 60)}.${extensionOf(format)}`, format, tags, { hostile: true });
    });
  }

  if (o.malformed ?? true) {
    // An ID3v2 header claiming a 256 MiB tag in an 18-byte file: music-metadata rejects it.
    const full = path.join(dir, "Broken", "malformed.mp3");
    fs.mkdirSync(path.dirname(full), { recursive: true });
    const bytes = new Uint8Array([0x49, 0x44, 0x33, 4, 0, 0, 0x7f, 0x7f, 0x7f, 0x7f, 0x54, 0x49, 0x54, 0x32, 0, 0, 0, 9]);
    fs.writeFileSync(full, bytes);
    files.push({ path: full, relPath: "Broken/malformed.mp3", format: "mp3", tags: {}, size: bytes.length, malformed: true });
  }

  if (o.broken ?? false) {
    const tags: TrackTags = { title: "Cut Short", artist: "Broken Records", album: "Damaged", year: 2000, trackNo: 1 };
    const audio = new Prng(subSeed(o.seed, index++)).bytes(4096);
    const put = (name: string, format: SampleFormat, bytes: Uint8Array) => {
      const full = path.join(dir, "Broken", name);
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, bytes);
      files.push({ path: full, relPath: `Broken/${name}`, format, tags: {}, size: bytes.length, malformed: true });
    };
    // Cut inside the VORBIS_COMMENT block (a download or copy that stopped early).
    put("truncated.flac", "flac", encodeTrack("flac", tags, audio).subarray(0, 4 + 38 + 4 + 20));
    // Neither an MP4 box structure nor anything else: what a wrong extension or a disk error leaves.
    put("garbage.m4a", "m4a", new Prng(subSeed(o.seed, index++)).bytes(3000));
    // Cut inside the OpusTags header.
    put("truncated.opus", "opus", encodeTrack("opus", tags, audio).subarray(0, 80));
  }
  return files;
}

/** The subset of `tags` that `format` can store (what a reader should give back). */
export function storedTags(format: SampleFormat, tags: TrackTags): TrackTags {
  if (format === "mp3-id3v1") return id3v1Stored(tags);
  const out: TrackTags = {};
  for (const k of FORMAT_FIELDS[format]) if (tags[k] !== undefined) (out as Record<string, unknown>)[k] = tags[k];
  return out;
}
