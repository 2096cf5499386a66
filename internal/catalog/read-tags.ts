// One file's tags and audio properties through music-metadata, normalised for the catalog.
import { parseFile } from "music-metadata";
import { probeCover } from "./cover-probe.ts";
import type { TrackTags } from "./track.ts";

export interface FileProps extends TrackTags {
  durationMs: number | null;
  bitrate: number | null;
  sampleRate: number | null;
  hasCover: boolean;
}

const MAX_TEXT = 1024;

export const EMPTY_PROPS: FileProps = {
  title: null,
  artist: null,
  album: null,
  albumArtist: null,
  genre: null,
  composer: null,
  year: null,
  trackNo: null,
  discNo: null,
  mbRecordingId: null,
  mbAlbumId: null,
  mbArtistId: null,
  mbAlbumArtistId: null,
  mbReleaseGroupId: null,
  durationMs: null,
  bitrate: null,
  sampleRate: null,
  hasCover: false,
};

/** Tag text as stored: NUL removed (SQLite and C consumers), empty → null, capped in length. */
function text(v: unknown): string | null {
  if (typeof v !== "string") return null;
  const s = v.replace(/\0/g, "").trim();
  if (s === "") return null;
  return s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) : s;
}

function int(v: unknown, min: number, max: number): number | null {
  return typeof v === "number" && Number.isFinite(v) && v >= min && v <= max ? Math.round(v) : null;
}

/** Throws what music-metadata throws for an unreadable file; the scanner records the message. */
export async function readFileProps(path: string, format: string): Promise<FileProps> {
  const probed = probeCover(path, format);
  const m = await parseFile(path, { duration: false, skipCovers: probed !== null });
  const c = m.common;
  const f = m.format;
  return {
    title: text(c.title),
    artist: text(c.artist),
    album: text(c.album),
    albumArtist: text(c.albumartist),
    genre: text(c.genre?.[0]),
    composer: text(c.composer?.[0]),
    year: int(c.year, 1, 9999),
    trackNo: int(c.track?.no, 0, 100000),
    discNo: int(c.disk?.no, 0, 10000),
    mbRecordingId: text(c.musicbrainz_recordingid),
    mbAlbumId: text(c.musicbrainz_albumid),
    mbArtistId: text(c.musicbrainz_artistid?.[0]),
    mbAlbumArtistId: text(c.musicbrainz_albumartistid?.[0]),
    mbReleaseGroupId: text(c.musicbrainz_releasegroupid),
    durationMs: typeof f.duration === "number" && Number.isFinite(f.duration) ? Math.round(f.duration * 1000) : null,
    bitrate: int(f.bitrate, 1, 1e9),
    sampleRate: int(f.sampleRate, 1, 1e7),
    hasCover: probed ?? (c.picture?.length ?? 0) > 0,
  };
}
