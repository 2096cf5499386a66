// The other formats: MP3 with ID3v2.3, ID3v1 alone and with ID3v2.4, Ogg Opus and M4A. Each must
// parse with music-metadata and give back what was written; Ogg pages must carry correct CRCs.
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseFile } from "music-metadata";
import { encodeTrack, generateLibrary, oggCrc, Prng, SAMPLE_FORMATS, solidPng, storedTags, type SampleFormat, type TrackTags } from "../../internal/samplelib/index.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-formats-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const FULL: TrackTags = {
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
  comment: "samplelib",
  mbRecordingId: "11111111-2222-4333-a444-555555555555",
  mbAlbumId: "21111111-2222-4333-a444-555555555555",
  mbArtistId: "31111111-2222-4333-a444-555555555555",
  cover: solidPng(0x336699),
};

const NEW_FORMATS = ["mp3-id3v23", "mp3-id3v1", "mp3-id3v24+v1", "opus", "m4a"] as const;
const EXPECT: Record<(typeof NEW_FORMATS)[number], { tagTypes: string[]; codec: string; container?: string }> = {
  "mp3-id3v23": { tagTypes: ["ID3v2.3"], codec: "MPEG 1 Layer 3" },
  "mp3-id3v1": { tagTypes: ["ID3v1"], codec: "MPEG 1 Layer 3" },
  "mp3-id3v24+v1": { tagTypes: ["ID3v2.4", "ID3v1"], codec: "MPEG 1 Layer 3" },
  opus: { tagTypes: ["vorbis"], codec: "Opus", container: "Ogg" },
  m4a: { tagTypes: ["iTunes"], codec: "MPEG-4/AAC", container: "M4A/mp42/isom" },
};

async function readBack(format: SampleFormat, tags: TrackTags, name: string) {
  const p = path.join(root, `${name}.${format.startsWith("mp3") ? "mp3" : format}`);
  fs.writeFileSync(p, encodeTrack(format, tags, new Prng(7).bytes(20_000)));
  return parseFile(p, { duration: false });
}

function expectCommon(format: SampleFormat, written: TrackTags, c: Awaited<ReturnType<typeof parseFile>>["common"]) {
  const t = storedTags(format, written);
  expect(c.title).toBe(t.title);
  expect(c.artist).toBe(t.artist);
  expect(c.album).toBe(t.album);
  expect(c.year).toBe(t.year);
  expect(c.genre?.[0]).toBe(t.genre);
  expect(c.track.no).toBe(t.trackNo ?? null);
  expect(c.comment?.[0]?.text).toBe(t.comment);
  expect(c.albumartist).toBe(t.albumArtist);
  expect(c.composer?.[0]).toBe(t.composer);
  expect(c.disk.no).toBe(t.discNo ?? null);
  expect(c.musicbrainz_recordingid).toBe(t.mbRecordingId);
  expect(c.musicbrainz_albumid).toBe(t.mbAlbumId);
  expect(c.musicbrainz_artistid?.[0]).toBe(t.mbArtistId);
  expect(c.picture?.length ?? 0).toBe(t.cover ? 1 : 0);
  if (t.cover) expect(Buffer.from(c.picture![0].data).equals(Buffer.from(t.cover))).toBe(true);
}

describe("music-metadata reads every new format back", () => {
  for (const format of NEW_FORMATS) {
    test(`${format}: all fields, cover, codec`, async () => {
      const m = await readBack(format, FULL, `full-${format}`);
      expect([...m.format.tagTypes] as string[]).toEqual(EXPECT[format].tagTypes);
      expect(m.format.codec).toBe(EXPECT[format].codec);
      if (EXPECT[format].container) expect(m.format.container).toBe(EXPECT[format].container);
      expect(m.format.sampleRate).toBe(44100);
      expect(m.quality.warnings).toEqual([]);
      expectCommon(format, FULL, m.common);
    });

    test(`${format}: a sparse tag (title only) and an empty one`, async () => {
      const sparse = await readBack(format, { title: "Only A Title" }, `sparse-${format}`);
      expectCommon(format, { title: "Only A Title" }, sparse.common);
      const empty = await readBack(format, {}, `empty-${format}`);
      expect(empty.common.title).toBeUndefined();
      expect(empty.common.artist).toBeUndefined();
    });
  }

  test("ID3v1 keeps what it can: 30 Latin-1 bytes, '?' for the rest, genres from its list", async () => {
    const tags = { title: "A title that is much longer than thirty bytes", artist: "坂本龍一", genre: "Drone", trackNo: 300, year: 2001 };
    const m = await readBack("mp3-id3v1", tags, "v1-limits");
    expect(m.common.title).toBe("A title that is much longer th");
    expect(m.common.artist).toBe("????");
    expect(m.common.genre).toBeUndefined();
    expect(m.common.track.no).toBeNull();
    expect(m.common.year).toBe(2001);
    expect(storedTags("mp3-id3v1", tags)).toEqual({ title: "A title that is much longer th", artist: "????", year: 2001 });
  });

  test("ID3v2.4 wins over the ID3v1 trailer where both have a field", async () => {
    const m = await readBack("mp3-id3v24+v1", { title: "Ünïcödé title beyond thirty characters long", artist: "Björk" }, "both");
    expect(m.common.title).toBe("Ünïcödé title beyond thirty characters long");
    expect(m.native["ID3v1"].find((t) => t.id === "title")?.value).toBe("Ünïcödé title beyond thirty ch");
  });
});

describe("Ogg pages", () => {
  test("CRC-32 as Ogg defines it (poly 0x04C11DB7, init 0, no final XOR)", () => {
    // CRC-32/POSIX of "123456789" is 0x765E7680, which includes a final XOR with 0xFFFFFFFF.
    expect(oggCrc(new TextEncoder().encode("123456789"))).toBe((0x765e7680 ^ 0xffffffff) >>> 0);
  });

  test("every page has a valid header, CRC, sequence and lacing; BOS first, EOS last; headers on their own pages", () => {
    const bytes = encodeTrack("opus", FULL, new Prng(3).bytes(200_000));
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    const pages: { flags: number; granule: number; body: Uint8Array }[] = [];
    while (at < bytes.length) {
      expect(String.fromCharCode(...bytes.subarray(at, at + 4))).toBe("OggS");
      const segments = bytes[at + 26];
      let bodyLen = 0;
      for (let i = 0; i < segments; i++) bodyLen += bytes[at + 27 + i];
      const len = 27 + segments + bodyLen;
      const page = bytes.slice(at, at + len);
      const stored = v.getUint32(at + 22, true);
      new DataView(page.buffer).setUint32(22, 0, true);
      expect(oggCrc(page)).toBe(stored);
      expect(v.getUint32(at + 18, true)).toBe(pages.length);
      pages.push({ flags: bytes[at + 5], granule: v.getUint32(at + 6, true), body: bytes.subarray(at + 27 + segments, at + len) });
      at += len;
    }
    expect(at).toBe(bytes.length);
    expect(pages.length).toBeGreaterThan(4);
    expect(pages[0].flags).toBe(2);
    expect(pages.at(-1)!.flags & 4).toBe(4);
    expect(String.fromCharCode(...pages[0].body.subarray(0, 8))).toBe("OpusHead");
    expect(pages[0].body.length).toBe(19);
    expect(String.fromCharCode(...pages[1].body.subarray(0, 8))).toBe("OpusTags");
    for (let i = 2; i < pages.length; i++) expect(pages[i].body[0]).toBe(0xf8); // audio starts a page with a packet
    for (let i = 3; i < pages.length; i++) expect(pages[i].granule).toBeGreaterThan(pages[i - 1].granule);
  });

  test("a comment header larger than one page continues on the next (flag 1) and still parses", async () => {
    const big = { ...FULL, comment: "x".repeat(70_000) };
    const bytes = encodeTrack("opus", big, new Prng(4).bytes(3000));
    const p = path.join(root, "big-tags.opus");
    fs.writeFileSync(p, bytes);
    const pos = Buffer.from(bytes).indexOf("OggS", 4);
    expect(bytes[pos + 5] & 1).toBe(0); // page 1 starts OpusTags
    const next = Buffer.from(bytes).indexOf("OggS", pos + 4);
    expect(bytes[next + 5] & 1).toBe(1);
    const m = await parseFile(p, { duration: false });
    expect(m.common.comment?.[0]?.text).toBe(big.comment);
    expect(m.common.title).toBe(FULL.title);
  });
});

describe("generateLibrary with every format", () => {
  test("each format appears, with the right extension, and reads back", async () => {
    const files = generateLibrary(path.join(root, "all"), { artists: 8, albumsPerArtist: 2, tracksPerAlbum: 2, trackBytes: 6000, formats: SAMPLE_FORMATS, broken: true });
    const formats = new Set(files.filter((f) => !f.malformed).map((f) => f.format));
    for (const f of SAMPLE_FORMATS) expect(formats.has(f)).toBe(true);
    for (const f of files) {
      expect(path.extname(f.path)).toBe("." + (f.format.startsWith("mp3") ? "mp3" : f.format));
      if (f.malformed) continue;
      const m = await parseFile(f.path, { duration: false });
      const t = storedTags(f.format, f.tags);
      expect(m.common.title).toBe(t.title);
      expect(m.common.artist).toBe(t.artist);
      expect(m.common.album).toBe(t.album);
    }
    expect(files.filter((f) => f.malformed).map((f) => f.relPath).sort()).toEqual(["Broken/garbage.m4a", "Broken/malformed.mp3", "Broken/truncated.flac", "Broken/truncated.opus"]);
  });

  test("the default output is unchanged: MP3, FLAC and WAV only, no broken files", () => {
    const files = generateLibrary(path.join(root, "default"));
    expect(new Set(files.map((f) => f.format))).toEqual(new Set(["mp3", "flac", "wav"]));
    expect(files.filter((f) => f.malformed).map((f) => f.relPath)).toEqual(["Broken/malformed.mp3"]);
  });
});

describe("retag of the other MP3 flavours", () => {
  test("ID3v2.4 + ID3v1: the new ID3v2.4 tag is read, the ID3v1 trailer is kept byte for byte; Opus is refused", async () => {
    const { retag } = await import("../../internal/samplelib/index.ts");
    const p = path.join(root, "retag-v1.mp3");
    const before = encodeTrack("mp3-id3v24+v1", { title: "Old", artist: "Band", trackNo: 2 }, new Prng(11).bytes(8000));
    fs.writeFileSync(p, before);
    await retag(p, { title: "New and longer" });
    const after = new Uint8Array(fs.readFileSync(p));
    expect(Buffer.from(after.subarray(after.length - 128)).equals(Buffer.from(before.subarray(before.length - 128)))).toBe(true);
    const m = await parseFile(p, { duration: false });
    expect(m.common.title).toBe("New and longer");
    expect(m.native["ID3v1"].find((t) => t.id === "title")?.value).toBe("Old");
    const opus = path.join(root, "retag.opus");
    fs.writeFileSync(opus, encodeTrack("opus", { title: "x" }, new Prng(12).bytes(1000)));
    await expect(retag(opus, { title: "y" })).rejects.toThrow("retag supports MP3, FLAC and WAV");
  });
});
