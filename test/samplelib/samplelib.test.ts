// Every generated file must parse with music-metadata and give back the tags that were written.
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseFile } from "music-metadata";
import { generateLibrary, readTags, retag, storedTags, writeTrack, Prng, type GeneratedFile } from "../../internal/samplelib/index.ts";
import { id3Length } from "../../internal/samplelib/mp3.ts";
import { flacLayout } from "../../internal/samplelib/flac.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-samplelib-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const lib = path.join(root, "lib");
const files = generateLibrary(lib, { artists: 6, albumsPerArtist: 2, tracksPerAlbum: 3, seed: 7, trackBytes: 20_000 });

describe("generateLibrary", () => {
  test("writes every listed file, in all three formats, plus hostile and malformed ones", () => {
    expect(files.length).toBe(6 * 2 * 3 + 3 + 1);
    for (const f of files) expect(fs.statSync(f.path).size).toBe(f.size);
    expect(new Set(files.map((f) => f.format))).toEqual(new Set(["mp3", "flac", "wav"]));
    expect(files.filter((f) => f.malformed).length).toBe(1);
    expect(files.some((f) => f.tags.artist === "Björk")).toBe(true);
    expect(files.some((f) => f.tags.artist === "Sigur Rós")).toBe(true);
    expect(files.some((f) => f.tags.cover && f.format === "flac")).toBe(true);
    expect(files.some((f) => f.tags.cover && f.format === "mp3")).toBe(true);
  });

  test("is deterministic for a seed", () => {
    const again = generateLibrary(path.join(root, "again"), { artists: 6, albumsPerArtist: 2, tracksPerAlbum: 3, seed: 7, trackBytes: 20_000 });
    expect(again.map((f) => f.relPath)).toEqual(files.map((f) => f.relPath));
    for (let i = 0; i < files.length; i++) expect(Bun.hash.xxHash3(fs.readFileSync(again[i].path))).toBe(Bun.hash.xxHash3(fs.readFileSync(files[i].path)));
    const other = generateLibrary(path.join(root, "other"), { artists: 1, albumsPerArtist: 1, tracksPerAlbum: 1, seed: 8, trackBytes: 20_000, hostile: false, malformed: false });
    expect(fs.readFileSync(other[0].path).equals(fs.readFileSync(files[0].path))).toBe(false);
  });

  test("audio payload is not repetitive", () => {
    const bytes = new Prng(1).bytes(1 << 16);
    const counts = new Uint32Array(256);
    for (const b of bytes) counts[b]++;
    // Roughly uniform: every byte value appears, none dominates.
    expect(Math.min(...counts)).toBeGreaterThan(150);
    expect(Math.max(...counts)).toBeLessThan(400);
  });

  test("hostile names stay inside the library folder", () => {
    for (const f of files) expect(path.resolve(f.path).startsWith(path.resolve(lib) + path.sep)).toBe(true);
    for (const f of files) for (const seg of f.relPath.split("/")) expect(Buffer.byteLength(seg)).toBeLessThanOrEqual(255);
  });
});

function expectTags(f: GeneratedFile, c: Awaited<ReturnType<typeof parseFile>>["common"]) {
  const t = storedTags(f.format, f.tags);
  expect(c.title).toBe(t.title);
  expect(c.artist).toBe(t.artist);
  expect(c.album).toBe(t.album);
  expect(c.year).toBe(t.year);
  expect(c.genre?.[0]).toBe(t.genre);
  expect(c.track.no).toBe(t.trackNo ?? null);
  if (f.format !== "wav") {
    expect(c.albumartist).toBe(t.albumArtist);
    expect(c.disk.no).toBe(t.discNo ?? null);
    expect(c.composer?.[0]).toBe(t.composer);
    expect(c.musicbrainz_recordingid).toBe(t.mbRecordingId);
    expect(c.musicbrainz_albumid).toBe(t.mbAlbumId);
    expect(c.picture?.length ?? 0).toBe(t.cover ? 1 : 0);
    if (t.cover) expect(Buffer.from(c.picture![0].data).equals(Buffer.from(t.cover))).toBe(true);
  }
}

describe("music-metadata reads the files back", () => {
  for (const f of files) {
    test(`${f.relPath.slice(0, 70)}`, async () => {
      if (f.malformed) {
        await expect(parseFile(f.path, { duration: false })).rejects.toThrow("ID3v2 tag size");
        return;
      }
      const m = await parseFile(f.path, { duration: false });
      expectTags(f, m.common);
      expect(m.format.sampleRate).toBe(44100);
      if (f.format === "mp3") {
        expect(m.format.codec).toBe("MPEG 1 Layer 3");
        expect(m.format.bitrate).toBe(128000);
      }
      if (f.format === "flac") {
        expect(m.format.container).toBe("FLAC");
        expect(m.format.duration).toBeCloseTo(10_000 / 44100, 6); // 20 000 bytes of 16-bit mono samples, from STREAMINFO
      }
      if (f.format === "wav") expect(m.format.codec).toBe("PCM");
    });
  }
});

describe("writeTrack / retag", () => {
  test("unicode and control characters survive in every format", async () => {
    const tags = { title: "Ágætis byrjun\x01", artist: "Sigur Rós", album: "Ágætis byrjun", genre: "Post-Rock", year: 1999, trackNo: 4 };
    for (const format of ["mp3", "flac", "wav"] as const) {
      const p = path.join(root, `u.${format}`);
      writeTrack(p, format, tags, new Prng(3).bytes(5000));
      const back = await readTags(p);
      expect(back).toMatchObject(tags);
    }
  });

  for (const format of ["mp3", "flac", "wav"] as const) {
    test(`${format}: retag grows the tag, keeps the audio bytes and shifts them`, async () => {
      const p = path.join(root, `r.${format}`);
      writeTrack(p, format, { title: "Short", artist: "A", trackNo: 1 }, new Prng(9).bytes(30_000));
      const before = new Uint8Array(fs.readFileSync(p));
      const tags = await retag(p, { title: "A much longer title than before", comment: "retagged" });
      expect(tags.artist).toBe("A");
      const after = new Uint8Array(fs.readFileSync(p));
      expect(after.length).toBeGreaterThan(before.length);
      const audioStart = (b: Uint8Array) => (format === "mp3" ? id3Length(b) : format === "flac" ? flacLayout(b)!.audioOffset : Buffer.from(b).indexOf("data"));
      const a0 = audioStart(before);
      const a1 = audioStart(after);
      expect(a1).toBeGreaterThan(a0);
      expect(Buffer.from(after.subarray(a1 + (format === "wav" ? 8 : 0))).equals(Buffer.from(before.subarray(a0 + (format === "wav" ? 8 : 0))))).toBe(true);
      const back = await readTags(p);
      expect(back.title).toBe("A much longer title than before");
      expect(back.comment).toBe("retagged");
      expect(back.trackNo).toBe(1);
    });
  }
});
