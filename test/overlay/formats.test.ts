// The overlay over real sample files: MP3 (ID3v2.4, ID3v2.3, with and without APIC, with an ID3v1
// trailer, ID3v1 only) and FLAC (with PICTURE, with padding). The virtual file (header + original
// audio) is read back by music-metadata and, when installed, python3 mutagen: the tags must be the
// overlay's merged over the original's, and the audio after the header byte-identical to the
// original's audio, located independently of the overlay code.
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseBuffer, type IAudioMetadata } from "music-metadata";
import { planOverlay, type OverlayPlan, type OverlayTags } from "../../internal/overlay/index.ts";
import { encodeTrack, id3v1Stored, Prng, solidPng, storedTags, type SampleFormat, type TrackTags } from "../../internal/samplelib/index.ts";
import { flacLayout } from "../../internal/samplelib/flac.ts";
import { mp3Frames } from "../../internal/samplelib/mp3.ts";
import { equalBytes, findMutagen, memOrigin, mutagenRead, sha1, virtualFile, type MutagenResult } from "./helpers.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-overlay-formats-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const COVER = solidPng(0x336699, 16);
const ORIGINAL: TrackTags = {
  title: "Ágætis byrjun 坂本",
  artist: "Sigur Rós",
  album: "Ágætis byrjun",
  albumArtist: "Sigur Rós",
  genre: "Post-Rock",
  composer: "Jónsi",
  year: 1999,
  trackNo: 4,
  trackTotal: 10,
  discNo: 2,
  comment: "kept from the original",
  mbRecordingId: "11111111-2222-4333-a444-555555555555",
  mbAlbumId: "21111111-2222-4333-a444-555555555555",
  mbArtistId: "31111111-2222-4333-a444-555555555555",
  cover: COVER,
};
const NEW_ALBUM_ID = "aaaaaaaa-bbbb-4ccc-addd-eeeeeeeeeeee";
const EDIT: OverlayTags = {
  title: "Svefn-g-englar (edited) 新しい",
  artist: "Sigur Rós & Friends",
  album: null,
  trackNo: 7,
  trackTotal: 12,
  date: "2001-05-03",
  mbAlbumId: NEW_ALBUM_ID,
};

interface Case {
  name: string;
  format: SampleFormat;
  cover: boolean;
}

const CASES: Case[] = [
  { name: "mp3-v24-apic", format: "mp3", cover: true },
  { name: "mp3-v24-plain", format: "mp3", cover: false },
  { name: "mp3-v23-apic", format: "mp3-id3v23", cover: true },
  { name: "mp3-v23-plain", format: "mp3-id3v23", cover: false },
  { name: "mp3-v24-v1trailer", format: "mp3-id3v24+v1", cover: true },
  { name: "mp3-v1-only", format: "mp3-id3v1", cover: false },
  { name: "flac-picture", format: "flac", cover: true },
  { name: "flac-plain", format: "flac", cover: false },
];

interface Built {
  c: Case;
  original: Uint8Array;
  /** The original's audio, found without the overlay code. */
  audio: Uint8Array;
  /** What the original carries (samplelib's own account). */
  before: TrackTags;
  plan: OverlayPlan;
  virtual: Uint8Array;
  parsed: IAudioMetadata;
  parsedOriginal: IAudioMetadata;
}

const PAYLOAD = new Prng(42).bytes(40_000);

function independentAudio(format: SampleFormat, file: Uint8Array): Uint8Array {
  if (format === "flac") {
    const layout = flacLayout(file);
    if (!layout) throw new Error("samplelib could not lay out its own FLAC");
    return file.subarray(layout.audioOffset);
  }
  // samplelib's MP3s are <ID3v2 tag?> + mp3Frames(payload) + <ID3v1?>: the frames are the audio.
  return mp3Frames(PAYLOAD);
}

const mime = (f: SampleFormat) => (f === "flac" ? "audio/flac" : "audio/mpeg");

async function build(c: Case): Promise<Built> {
  const tags = { ...ORIGINAL };
  if (!c.cover) delete tags.cover;
  const original = encodeTrack(c.format, tags, PAYLOAD);
  const before = c.format === "mp3-id3v1" ? id3v1Stored(tags) : storedTags(c.format, tags);
  const o = memOrigin(original);
  const plan = await planOverlay(c.format.startsWith("mp3") ? "mp3" : "flac", o.readRange, original.length, EDIT);
  if (!plan) throw new Error("expected a plan");
  const virtual = virtualFile(plan, original);
  const parsed = await parseBuffer(virtual, { mimeType: mime(c.format) }, { duration: true });
  const parsedOriginal = await parseBuffer(original, { mimeType: mime(c.format) }, { duration: true });
  return { c, original, audio: independentAudio(c.format, original), before, plan, virtual, parsed, parsedOriginal };
}

const built = new Map<string, Built>();
async function get(c: Case): Promise<Built> {
  let b = built.get(c.name);
  if (!b) {
    b = await build(c);
    built.set(c.name, b);
  }
  return b;
}

describe("overlay over sample files, read back by music-metadata", () => {
  for (const c of CASES) {
    test(`${c.name}: tags are the overlay merged over the original`, async () => {
      const { parsed, before } = await get(c);
      const m = parsed.common;
      // Edited fields.
      expect(m.title).toBe(EDIT.title as string);
      expect(m.artist).toBe(EDIT.artist as string);
      expect(m.album).toBeUndefined(); // null removes
      expect(m.track).toEqual({ no: 7, of: 12 });
      expect(m.year).toBe(2001);
      expect(m.date).toBe("2001-05-03");
      expect(m.musicbrainz_albumid).toBe(NEW_ALBUM_ID);
      // Untouched fields keep the original's values.
      expect(m.albumartist).toBe(before.albumArtist);
      expect(m.genre?.[0]).toBe(before.genre);
      expect(m.composer?.[0]).toBe(before.composer);
      expect(m.disk.no).toBe(before.discNo ?? null);
      expect(m.musicbrainz_recordingid).toBe(before.mbRecordingId);
      expect(m.musicbrainz_artistid?.[0]).toBe(before.mbArtistId);
      expect(m.comment?.[0]?.text).toBe(before.comment);
      // Pictures are carried over byte for byte.
      expect(m.picture?.length ?? 0).toBe(before.cover ? 1 : 0);
      if (before.cover) {
        expect(equalBytes(new Uint8Array(m.picture![0].data), before.cover)).toBe(true);
        expect(m.picture![0].format).toBe("image/png");
      }
    });

    test(`${c.name}: only the new tag is seen; audio bytes identical`, async () => {
      const { plan, virtual, audio, original, parsed, parsedOriginal } = await get(c);
      expect([...parsed.format.tagTypes] as string[]).toEqual(c.format === "flac" ? ["vorbis"] : ["ID3v2.4"]);
      expect(plan.size).toBe(virtual.length);
      expect(plan.size).toBe(plan.header.length + audio.length);
      // The audio after the header is exactly the original's audio (an ID3v1 trailer is not part of it).
      expect(equalBytes(virtual.subarray(plan.header.length), audio)).toBe(true);
      expect(plan.audioOffset).toBe(original.length - audio.length - (c.format.endsWith("v1") ? 128 : 0));
      // The stream itself is unchanged for the reader.
      expect(parsed.format.codec).toBe(parsedOriginal.format.codec);
      expect(parsed.format.sampleRate).toBe(parsedOriginal.format.sampleRate);
      expect(parsed.format.numberOfSamples).toBe(parsedOriginal.format.numberOfSamples);
      expect(parsed.format.duration).toBeCloseTo(parsedOriginal.format.duration!, 6);
    });
  }
});

const mutagen = findMutagen();
describe("overlay over sample files, read back by python3 mutagen", () => {
  if (!mutagen) {
    console.log("overlay: mutagen checks skipped: python3 mutagen is not installed (Debian package python3-mutagen)");
    test.skip("mutagen is not installed", () => {});
    return;
  }
  let results: Record<string, MutagenResult> | undefined;
  const results$ = async () => {
    if (!results) {
      const files: Record<string, Uint8Array> = {};
      const originals: Record<string, Uint8Array> = {};
      for (const c of CASES) {
        const b = await get(c);
        const ext = c.format === "flac" ? "flac" : "mp3";
        files[`${c.name}.virtual.${ext}`] = b.virtual;
        originals[`${c.name}.original.${ext}`] = b.original;
      }
      results = { ...mutagenRead(root, files), ...mutagenRead(root, originals) };
    }
    return results;
  };

  for (const c of CASES) {
    test(`${c.name}: mutagen sees the overlay`, async () => {
      const r = await results$();
      const { before } = await get(c);
      if (c.format === "flac") {
        const v = r[`${c.name}.virtual.flac`] as { tags: [string, string][]; pictures: { sha1: string }[]; blocks: number[]; total_samples: number; error?: string };
        const o = r[`${c.name}.original.flac`] as { total_samples: number };
        expect(v.error).toBeUndefined();
        const tag = (k: string) => v.tags.filter(([key]) => key === k).map(([, val]) => val);
        expect(tag("TITLE")).toEqual([EDIT.title as string]);
        expect(tag("ARTIST")).toEqual([EDIT.artist as string]);
        expect(tag("ALBUM")).toEqual([]);
        expect(tag("TRACKNUMBER")).toEqual(["7"]);
        expect(tag("TRACKTOTAL")).toEqual(["12"]);
        expect(tag("DATE")).toEqual(["2001-05-03"]);
        expect(tag("ALBUMARTIST")).toEqual([before.albumArtist!]);
        expect(tag("DISCNUMBER")).toEqual([String(before.discNo)]);
        expect(tag("MUSICBRAINZ_ALBUMID")).toEqual([NEW_ALBUM_ID]);
        expect(tag("MUSICBRAINZ_TRACKID")).toEqual([before.mbRecordingId!]);
        expect(tag("COMMENT")).toEqual([before.comment!]);
        expect(v.pictures.map((p) => p.sha1)).toEqual(before.cover ? [sha1(before.cover)] : []);
        // STREAMINFO, the new VORBIS_COMMENT, PICTURE; no PADDING.
        expect(v.blocks).toEqual(before.cover ? [0, 4, 6] : [0, 4]);
        expect(v.total_samples).toBe(o.total_samples);
      } else {
        const v = r[`${c.name}.virtual.mp3`] as { version: number[]; frames: Record<string, unknown>; length: number; error?: string };
        const o = r[`${c.name}.original.mp3`] as { length: number };
        expect(v.error).toBeUndefined();
        expect(v.version).toEqual([2, 4, 0]);
        const f = v.frames;
        expect(f.TIT2).toEqual([EDIT.title as string]);
        expect(f.TPE1).toEqual([EDIT.artist as string]);
        expect(f.TALB).toBeUndefined();
        expect(f.TRCK).toEqual(["7/12"]);
        expect(f.TDRC).toEqual(["2001-05-03"]);
        expect(f["TXXX:MusicBrainz Album Id"]).toEqual([NEW_ALBUM_ID]);
        expect(f.TPE2).toEqual(before.albumArtist ? [before.albumArtist] : undefined);
        expect(f.TCOM).toEqual(before.composer ? [before.composer] : undefined);
        expect(f.TPOS).toEqual(before.discNo ? [String(before.discNo)] : undefined);
        expect(f["UFID:http://musicbrainz.org"]).toBe(before.mbRecordingId);
        expect(f["TXXX:MusicBrainz Artist Id"]).toEqual(before.mbArtistId ? [before.mbArtistId] : undefined);
        expect(f.COMM).toEqual([[before.comment!]]);
        expect(((f.APIC as { sha1: string }[] | undefined) ?? []).map((p) => p.sha1)).toEqual(before.cover ? [sha1(before.cover)] : []);
        // mutagen's own MPEG parse finds the stream: its length estimate (128 kbit/s, no Xing
        // header) counts exactly the audio bytes (for the original it also counts an ID3v1 trailer).
        const { audio } = await get(c);
        expect(v.length).toBeCloseTo((audio.length * 8) / 128_000, 4);
        expect(o.length).toBeGreaterThanOrEqual(v.length);
      }
    });
  }
});
