// A small hand-made catalog for search semantics (no files needed).
import type { Database } from "bun:sqlite";
import { openCatalog, upsertTracks, type TrackInput } from "../../internal/catalog/index.ts";

let seq = 0;
export function track(t: Partial<TrackInput>): TrackInput {
  seq++;
  return {
    origin: "local",
    path: `/music/${t.artist ?? "Unknown"}/${t.album ?? "Unknown"}/${String(seq).padStart(3, "0")} ${t.title ?? "x"}.${t.format ?? "flac"}`,
    size: 1000 + seq,
    mtimeMs: 1_700_000_000_000 + seq,
    fingerprint: seq.toString(16).padStart(16, "0"),
    format: "flac",
    durationMs: 200_000,
    bitrate: 900_000,
    sampleRate: 44100,
    title: null,
    artist: null,
    album: null,
    albumArtist: null,
    genre: null,
    composer: null,
    year: null,
    trackNo: null,
    discNo: 1,
    mbRecordingId: null,
    mbAlbumId: null,
    mbArtistId: null,
    mbAlbumArtistId: null,
    mbReleaseGroupId: null,
    hasCover: false,
    parseError: null,
    ...t,
  };
}

export const TRACKS: TrackInput[] = [
  track({ title: "Jóga", artist: "Björk", album: "Homogenic", year: 1997, genre: "Electronic", trackNo: 1, hasCover: true, mbAlbumId: "a5b4c7d3-0000-4000-a000-000000000001" }),
  track({ title: "Bachelorette", artist: "Björk", album: "Homogenic", year: 1997, genre: "Electronic", trackNo: 2, hasCover: true }),
  track({ title: "Svefn-g-englar", artist: "Sigur Rós", album: "Ágætis byrjun", year: 1999, genre: "Post-Rock", trackNo: 2 }),
  track({ title: "Battery", artist: "Metallica", album: "Master of Puppets", year: 1986, genre: "Metal", trackNo: 1, format: "mp3", bitrate: 320_000 }),
  track({ title: "Master of Puppets", artist: "Metallica", album: "Master of Puppets", year: 1986, genre: "Metal", trackNo: 2, format: "mp3", bitrate: 320_000 }),
  track({ title: "Enter Sandman", artist: "Metallica", album: "Metallica", year: 1991, genre: "Metal", trackNo: 1, format: "mp3", bitrate: 128_000 }),
  track({ title: "Come Together", artist: "The Beatles", album: "Abbey Road", year: 1969, genre: "Rock", trackNo: 1, composer: "Lennon–McCartney" }),
  track({ title: "Indian Summer", artist: "Beat Happening", album: "Black Candy", year: 1989, genre: "Indie", trackNo: 3, format: "wav", bitrate: 1_411_200 }),
  track({ title: "Back in Black", artist: "AC/DC", album: "Back in Black", year: 1980, genre: "Rock", trackNo: 6, format: "mp3", bitrate: 256_000 }),
  track({ title: "Songs about Metallica", artist: "Tribute Band", album: "Covers", year: 2005, genre: "Metal", trackNo: 1, format: "mp3", bitrate: 192_000 }),
  track({ title: "Clair de lune", artist: "Claude Debussy", album: "Suite bergamasque", year: 1905, genre: "Classical", composer: "Claude Debussy", trackNo: 3 }),
  track({ title: null, artist: null, album: null, format: "mp3", bitrate: null, parseError: "ID3v2 tag size exceeds file", path: "/music/Broken/bad.mp3" }),
];

export function fixtureDb(): Database {
  const db = openCatalog(":memory:");
  upsertTracks(db, TRACKS);
  return db;
}
