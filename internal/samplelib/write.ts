// Writing one track, and rewriting a track's tag while keeping its audio bytes (which then shift
// by the change in tag size: the case delta sync must handle well).
import * as fs from "node:fs";
import { parseFile } from "music-metadata";
import { encodeFlac, flacHeader, flacLayout } from "./flac.ts";
import { id3v1 } from "./id3v1.ts";
import { encodeM4a } from "./mp4.ts";
import { encodeMp3, id3Length, id3v23, id3v24, mp3Frames } from "./mp3.ts";
import { encodeOpus } from "./opus.ts";
import type { SampleFormat, TrackTags } from "./tags.ts";
import { concat } from "./tags.ts";
import { encodeWav, riff, wavDataChunk, wavHeaderChunks } from "./wav.ts";

export function encodeTrack(format: SampleFormat, tags: TrackTags, audio: Uint8Array): Uint8Array {
  switch (format) {
    case "mp3":
      return encodeMp3(tags, audio);
    case "flac":
      return encodeFlac(tags, audio);
    case "wav":
      return encodeWav(tags, audio);
    case "mp3-id3v23":
      return concat([id3v23(tags), mp3Frames(audio)]);
    case "mp3-id3v1":
      return concat([mp3Frames(audio), id3v1(tags)]);
    case "mp3-id3v24+v1":
      return concat([id3v24(tags), mp3Frames(audio), id3v1(tags)]);
    case "opus":
      return encodeOpus(tags, audio);
    case "m4a":
      return encodeM4a(tags, audio);
  }
}

/** Writes a complete file; returns its size in bytes. */
export function writeTrack(path: string, format: SampleFormat, tags: TrackTags, audio: Uint8Array): number {
  const bytes = encodeTrack(format, tags, audio);
  fs.writeFileSync(path, bytes);
  return bytes.length;
}

/** The format retag() treats a file as, by extension (any .mp3 is rewritten with ID3v2.4). */
export function formatOf(path: string): SampleFormat {
  const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  if (ext === "mp3" || ext === "flac" || ext === "wav" || ext === "opus" || ext === "m4a") return ext;
  throw new Error(`samplelib: unsupported extension in ${path}`);
}

/** Reads the current tags back (through music-metadata) in samplelib's shape. */
export async function readTags(path: string): Promise<TrackTags> {
  const m = await parseFile(path, { duration: false });
  const c = m.common;
  const t: TrackTags = {};
  const set = <K extends keyof TrackTags>(k: K, v: TrackTags[K] | null | undefined) => {
    if (v !== undefined && v !== null && v !== "") t[k] = v;
  };
  set("title", c.title);
  set("artist", c.artist);
  set("album", c.album);
  set("albumArtist", c.albumartist);
  set("genre", c.genre?.[0]);
  set("composer", c.composer?.[0]);
  set("year", c.year);
  set("trackNo", c.track.no);
  set("trackTotal", c.track.of);
  set("discNo", c.disk.no);
  set("comment", c.comment?.[0]?.text);
  set("mbRecordingId", c.musicbrainz_recordingid);
  set("mbAlbumId", c.musicbrainz_albumid);
  set("mbArtistId", c.musicbrainz_artistid?.[0]);
  const pic = c.picture?.[0];
  if (pic) t.cover = new Uint8Array(pic.data);
  return t;
}

/**
 * Replaces the tag of a file written by this library. `changes` are merged over the current
 * tags (a key set to undefined is removed). The audio section is copied byte for byte, so only
 * its offset moves. Returns the new tags.
 */
export async function retag(path: string, changes: Partial<TrackTags>): Promise<TrackTags> {
  const format = formatOf(path);
  if (format !== "mp3" && format !== "flac" && format !== "wav") throw new Error(`samplelib: retag supports MP3, FLAC and WAV, not ${format} (${path})`);
  const tags: TrackTags = { ...(await readTags(path)) };
  for (const [k, v] of Object.entries(changes) as [keyof TrackTags, unknown][]) {
    if (v === undefined) delete tags[k];
    else (tags as Record<string, unknown>)[k] = v;
  }
  const file = new Uint8Array(fs.readFileSync(path));
  let out: Uint8Array;
  if (format === "mp3") {
    // The rest of the file (frames and any ID3v1 trailer) is kept as it is.
    out = concat([id3v24(tags), file.subarray(id3Length(file))]);
  } else if (format === "flac") {
    const layout = flacLayout(file);
    if (!layout) throw new Error(`samplelib: ${path} is not a FLAC file this library can retag`);
    out = concat([flacHeader(tags, layout.streamInfo), file.subarray(layout.audioOffset)]);
  } else {
    const data = wavDataChunk(file);
    if (!data) throw new Error(`samplelib: ${path} has no WAV data chunk`);
    out = riff(wavHeaderChunks(tags), data);
  }
  // Temp file + rename: a reader never sees a half-written file.
  const tmp = `${path}.retag-${process.pid}`;
  fs.writeFileSync(tmp, out);
  fs.renameSync(tmp, path);
  return tags;
}
