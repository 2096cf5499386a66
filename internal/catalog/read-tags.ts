// One file's tags and audio properties through music-metadata, normalised for the catalog.
import * as fs from "node:fs";
import { parseFromTokenizer, type IAudioMetadata } from "music-metadata";
import { probeCoverFd } from "./cover-probe.ts";
import { SyncFileTokenizer } from "./file-tokenizer.ts";
import { fingerprintFd } from "./fingerprint.ts";
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

/** What the scanner learns from one file: never throws; a failure is `parseError`. */
export interface FileFacts {
  props: FileProps;
  fingerprint: string | null;
  /** Why tags could not be read (the file is still cataloged, untagged). */
  parseError: string | null;
  /** Set when the origin could not be read at all (a network error, not a bad file): no row is written. */
  unreadable?: string;
}

/** The text kept for a failure: music-metadata's message, else the error's name. */
export function errorText(e: unknown): string {
  const msg = (e as Error)?.message ?? String(e);
  return (msg || (e as Error)?.name || "unreadable").slice(0, 500);
}

/**
 * Fingerprint, cover presence and tags of one file through a single open descriptor. A file that
 * vanished or cannot be read gets no fingerprint; one whose tags do not parse keeps its fingerprint
 * (so a later move is still recognised).
 */
export async function readFileFacts(path: string, size: number, format: string): Promise<FileFacts> {
  let fd: number;
  try {
    fd = fs.openSync(path, "r");
  } catch (e) {
    return { props: EMPTY_PROPS, fingerprint: null, parseError: errorText(e) };
  }
  let fingerprint: string | null = null;
  try {
    fingerprint = fingerprintFd(fd, size);
    const probed = probeCoverFd(fd, format);
    const tokenizer = new SyncFileTokenizer(fd, size, path);
    let m: IAudioMetadata;
    try {
      m = await parseFromTokenizer(tokenizer, { duration: false, skipCovers: probed !== null });
    } finally {
      await tokenizer.close();
    }
    // Parsers stop quietly at a cut-off file (an Ogg stream ending in its headers, say); with no
    // tags read at all, their warning is the reason to record.
    const cut = m.format.tagTypes.length === 0 ? m.quality.warnings.find((w) => /end-of-stream|truncat/i.test(w.message)) : undefined;
    if (cut) return { props: EMPTY_PROPS, fingerprint, parseError: `truncated: ${cut.message}`.slice(0, 500) };
    return { props: toProps(m, probed), fingerprint, parseError: null };
  } catch (e) {
    return { props: EMPTY_PROPS, fingerprint, parseError: errorText(e) };
  } finally {
    fs.closeSync(fd);
  }
}

export function toProps(m: IAudioMetadata, probed: boolean | null): FileProps {
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
