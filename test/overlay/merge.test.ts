// Merge semantics (absent keeps, null removes, multi-values, numbers and dates), the validation of
// edits (hostile text), frames and blocks the overlay does not manage (kept), and the ID3v2 / FLAC
// variants the sample generator does not write: v2.2, footers, extended headers, unsynchronisation,
// iTunes' non-synchsafe sizes, stacked tags, SEEKTABLE/APPLICATION blocks, Vorbis key aliases.
import { describe, expect, test } from "bun:test";
import { parseBuffer } from "music-metadata";
import { OverlayError, planOverlay, validateOverlayTags, type OverlayTags } from "../../internal/overlay/index.ts";
import { encodeTrack, Prng, solidPng, type TrackTags } from "../../internal/samplelib/index.ts";
import { flacLayout } from "../../internal/samplelib/flac.ts";
import { mp3Frames } from "../../internal/samplelib/mp3.ts";
import { apicBody, concat, enc, equalBytes, flacBlock, id3Tag, memOrigin, textBody, txxxBody, unsync, virtualFile, vorbisCommentBody } from "./helpers.ts";

const AUDIO = mp3Frames(new Prng(3).bytes(8_000));
const FULL: TrackTags = {
  title: "Title",
  artist: "Artist",
  album: "Album",
  albumArtist: "Album Artist",
  genre: "Jazz",
  composer: "Composer",
  year: 1987,
  trackNo: 3,
  trackTotal: 9,
  discNo: 1,
  comment: "a comment",
  mbRecordingId: "11111111-2222-4333-a444-555555555555",
  mbAlbumId: "21111111-2222-4333-a444-555555555555",
  mbArtistId: "31111111-2222-4333-a444-555555555555",
  cover: solidPng(0x102030),
};

async function overlay(format: "mp3" | "flac", file: Uint8Array, tags: OverlayTags) {
  const o = memOrigin(file);
  const plan = await planOverlay(format, o.readRange, file.length, tags);
  if (!plan) throw new Error("no plan");
  const virtual = virtualFile(plan, file);
  const m = await parseBuffer(virtual, { mimeType: format === "mp3" ? "audio/mpeg" : "audio/flac" }, { duration: false });
  return { plan, virtual, m, native: Object.fromEntries((m.native[format === "mp3" ? "ID3v2.4" : "vorbis"] ?? []).map((t) => [t.id, t.value])) as Record<string, unknown>, all: m.native[format === "mp3" ? "ID3v2.4" : "vorbis"] ?? [] };
}

const FIELDS: [keyof OverlayTags, (c: Awaited<ReturnType<typeof overlay>>["m"]["common"]) => unknown][] = [
  ["title", (c) => c.title],
  ["artist", (c) => c.artist],
  ["album", (c) => c.album],
  ["albumArtist", (c) => c.albumartist],
  ["genre", (c) => c.genre?.[0]],
  ["composer", (c) => c.composer?.[0]],
  ["date", (c) => c.year],
  ["trackNo", (c) => c.track.no],
  ["discNo", (c) => c.disk.no],
  ["mbRecordingId", (c) => c.musicbrainz_recordingid],
  ["mbAlbumId", (c) => c.musicbrainz_albumid],
  ["mbArtistId", (c) => c.musicbrainz_artistid?.[0]],
];

for (const format of ["mp3", "flac"] as const) {
  const file = encodeTrack(format, FULL, new Prng(3).bytes(8_000));
  describe(`${format}: merge semantics`, () => {
    test("an empty overlay reproduces every original field", async () => {
      const before = await parseBuffer(file, { mimeType: format === "mp3" ? "audio/mpeg" : "audio/flac" });
      const { m } = await overlay(format, file, {});
      for (const [, get] of FIELDS) expect(get(m.common)).toEqual(get(before.common));
      expect(m.common.track).toEqual({ no: 3, of: 9 });
      expect(m.common.comment).toEqual(before.common.comment);
      expect(equalBytes(new Uint8Array(m.common.picture![0].data), FULL.cover!)).toBe(true);
    });

    for (const [field, get] of FIELDS) {
      test(`null removes ${field}, other fields stay`, async () => {
        const { m } = await overlay(format, file, { [field]: null });
        expect(get(m.common) ?? null).toBeNull();
        for (const [other, g] of FIELDS) if (other !== field) expect(g(m.common) ?? null).not.toBeNull();
      });
    }

    test("track and disc totals are separate fields", async () => {
      let r = await overlay(format, file, { trackTotal: null });
      expect(r.m.common.track).toEqual({ no: 3, of: null });
      r = await overlay(format, file, { trackNo: 5 });
      expect(r.m.common.track).toEqual({ no: 5, of: 9 });
      r = await overlay(format, file, { discNo: 2, discTotal: 3 });
      expect(r.m.common.disk).toEqual({ no: 2, of: 3 });
    });

    test("multi-valued text: every value is written", async () => {
      const { m, all } = await overlay(format, file, { artist: ["First", "Second"], genre: ["Jazz", "Fusion"] });
      expect(m.common.genre).toEqual(["Jazz", "Fusion"]);
      if (format === "flac") expect(all.filter((t) => t.id === "ARTIST").map((t) => t.value)).toEqual(["First", "Second"]);
      else expect(all.filter((t) => t.id === "TPE1").map((t) => t.value)).toEqual(["First", "Second"]);
    });

    test("date: a year number, a full date; empty string and [] remove", async () => {
      expect((await overlay(format, file, { date: 2024 })).m.common.year).toBe(2024);
      const full = await overlay(format, file, { date: "2024-02-29" });
      expect(full.m.common.date).toBe("2024-02-29");
      expect((await overlay(format, file, { date: "" })).m.common.year).toBeUndefined();
      expect((await overlay(format, file, { artist: [] })).m.common.artist).toBeUndefined();
    });

    test("unicode and long text (64 KiB) survive", async () => {
      const long = "ü".repeat(32 * 1024); // 64 KiB of UTF-8
      const { m } = await overlay(format, file, { title: "坂本龍一 — Ólafur 🎹", composer: long });
      expect(m.common.title).toBe("坂本龍一 — Ólafur 🎹");
      expect(m.common.composer?.[0]).toBe(long);
    });

    test("the plan reports the merged tags", async () => {
      const { plan } = await overlay(format, file, { title: "New", album: null, trackNo: 4 });
      expect(plan.tags.title).toEqual(["New"]);
      expect(plan.tags.album).toBeUndefined();
      expect(plan.tags.artist).toEqual(["Artist"]);
      expect(plan.tags.trackNo).toEqual(["4"]);
      expect(plan.tags.trackTotal).toEqual(["9"]);
    });
  });
}

describe("edits are validated: hostile text is rejected clearly", () => {
  const file = encodeTrack("mp3", FULL, new Prng(3).bytes(2_000));
  const bad: [string, unknown][] = [
    ["NUL in text", { title: "a\0b" }],
    ["more than 64 KiB", { title: "x".repeat(64 * 1024 + 1) }],
    ["64 KiB of 2-byte characters plus one", { artist: "é".repeat(32 * 1024) + "e" }],
    ["a lone surrogate", { album: "bad \ud800 text" }],
    ["an unknown field", { albumartist: "typo" }],
    ["a non-string text", { title: 42 }],
    ["a fractional track number", { trackNo: 1.5 }],
    ["a negative disc number", { discNo: -1 }],
    ["a track number as text", { trackNo: "3" }],
    ["a date that is not ISO 8601", { date: "May 2001" }],
    ["too many values", { artist: Array.from({ length: 1000 }, (_, i) => `a${i}`) }],
    ["a recording id too long for UFID", { mbRecordingId: "x".repeat(65) }],
    ["not an object", null],
  ];
  for (const [what, tags] of bad) {
    test(what, async () => {
      expect(() => validateOverlayTags(tags)).toThrow(OverlayError);
      const err = await planOverlay("mp3", memOrigin(file).readRange, file.length, tags as OverlayTags).catch((e) => e);
      expect(err).toBeInstanceOf(OverlayError);
      expect((err as OverlayError).code).toBe("invalid-tags");
    });
  }
  test("valid edits pass", () => {
    expect(() => validateOverlayTags({ title: "x".repeat(64 * 1024), trackNo: 1, date: "1999-12-31T23:59", artist: ["a", "b"], genre: undefined })).not.toThrow();
  });
  test("other formats pass through (null) without reading", async () => {
    const o = memOrigin(new Uint8Array(100));
    for (const f of ["wav", "opus", "m4a", "ogg", ""]) expect(await planOverlay(f, o.readRange, 100, { title: "x" })).toBeNull();
    expect(o.calls).toEqual([]);
    // Format names are case-insensitive and may carry a dot.
    const file = encodeTrack("mp3", FULL, new Prng(3).bytes(2_000));
    expect(await planOverlay(".MP3", memOrigin(file).readRange, file.length, {})).not.toBeNull();
  });
});

describe("MP3: frames the overlay does not manage are kept, v2.3-only frames dropped", () => {
  test("v2.4: TXXX, USLT, PRIV, APIC kept; managed frames replaced; SEEK dropped", async () => {
    const uslt = concat([new Uint8Array([3]), enc.encode("eng"), new Uint8Array([0]), enc.encode("la la la")]);
    const tag = id3Tag({
      version: 4,
      frames: [
        { id: "TIT2", body: textBody(4, "Old") },
        { id: "TIT2", body: textBody(4, "Duplicate") },
        { id: "TXXX", body: txxxBody("CUSTOM", "value") },
        { id: "TXXX", body: txxxBody("musicbrainz album id", "old-lowercase-desc") },
        { id: "USLT", body: uslt },
        { id: "PRIV", body: concat([enc.encode("owner"), new Uint8Array([0, 1, 2, 3])]) },
        { id: "SEEK", body: new Uint8Array([0, 0, 1, 0]) },
        { id: "APIC", body: apicBody(new Uint8Array([9, 8, 7])) },
      ],
      padding: 500,
    });
    const file = concat([tag, AUDIO]);
    const { m, native, all } = await overlay("mp3", file, { mbAlbumId: "new-id" });
    expect(m.common.title).toBe("Old");
    expect(native["TXXX:CUSTOM"]).toBe("value");
    expect(m.common.musicbrainz_albumid).toBe("new-id");
    expect(all.filter((t) => t.id.toLowerCase() === "txxx:musicbrainz album id")).toHaveLength(1);
    expect(m.common.lyrics?.[0]?.text ?? m.common.lyrics?.[0]).toBeDefined();
    expect(native.PRIV).toBeDefined();
    expect(native.SEEK).toBeUndefined();
    expect([...m.common.picture![0].data]).toEqual([9, 8, 7]);
  });

  test("v2.3: TYER+TDAT become the date; TYER/TDAT/TORY are not copied", async () => {
    const tag = id3Tag({
      version: 3,
      frames: [
        { id: "TIT2", body: textBody(3, "Old") },
        { id: "TYER", body: textBody(3, "1994") },
        { id: "TDAT", body: textBody(3, "2503") },
        { id: "TORY", body: textBody(3, "1990") },
        { id: "TCON", body: textBody(3, "(8)Jazz") },
      ],
    });
    const file = concat([tag, AUDIO]);
    const { m, native, plan } = await overlay("mp3", file, {});
    expect(plan.tags.date).toEqual(["1994-03-25"]);
    expect(m.common.year).toBe(1994);
    expect(native.TYER).toBeUndefined();
    expect(native.TDAT).toBeUndefined();
    expect(native.TORY).toBeUndefined();
    expect(m.common.genre?.[0]).toBe("Jazz");
  });
});

describe("MP3: ID3v2 variants", () => {
  const cover = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0xff, 0x00, 0xff, 0xfb, 1, 2, 0xff]);

  async function check(tag: Uint8Array, expectTitle: string | undefined, expectCover: Uint8Array | null, after = AUDIO) {
    const file = concat([tag, after]);
    const { plan, virtual, m } = await overlay("mp3", file, { artist: "Edited" });
    expect(plan.audioOffset).toBe(tag.length);
    expect(equalBytes(virtual.subarray(plan.header.length), after)).toBe(true);
    expect(m.common.artist).toBe("Edited");
    expect(m.common.title).toBe(expectTitle);
    if (expectCover) expect(equalBytes(new Uint8Array(m.common.picture![0].data), expectCover)).toBe(true);
    else expect(m.common.picture).toBeUndefined();
  }

  test("v2.4 with a footer", async () => {
    await check(id3Tag({ version: 4, footer: true, frames: [{ id: "TIT2", body: textBody(4, "Footer") }, { id: "APIC", body: apicBody(cover) }] }), "Footer", cover);
  });
  test("v2.4 with an extended header and padding", async () => {
    await check(id3Tag({ version: 4, extended: true, padding: 2000, frames: [{ id: "TIT2", body: textBody(4, "Ext") }] }), "Ext", null);
  });
  test("v2.3 with an extended header", async () => {
    await check(id3Tag({ version: 3, extended: true, frames: [{ id: "TIT2", body: textBody(3, "Ext3") }, { id: "APIC", body: apicBody(cover) }] }), "Ext3", cover);
  });
  test("v2.3 with tag-level unsynchronisation", async () => {
    const tag = id3Tag({ version: 3, unsync: true, frames: [{ id: "TIT2", body: textBody(3, "Unsync") }, { id: "APIC", body: apicBody(cover) }] });
    expect(tag.length).toBeGreaterThan(id3Tag({ version: 3, frames: [{ id: "TIT2", body: textBody(3, "Unsync") }, { id: "APIC", body: apicBody(cover) }] }).length);
    await check(tag, "Unsync", cover);
  });
  test("v2.4 with frame-level unsynchronisation and a data length indicator", async () => {
    const body = apicBody(cover);
    const stored = concat([new Uint8Array([0, 0, 0, body.length]), unsync(body)]);
    await check(id3Tag({ version: 4, unsync: true, frames: [{ id: "TIT2", body: textBody(4, "Frame unsync") }, { id: "APIC", body: stored, flags: [0, 0x03] }] }), "Frame unsync", cover);
  });
  test("v2.4 with plain 32-bit frame sizes (iTunes)", async () => {
    const big = "x".repeat(300);
    await check(id3Tag({ version: 4, frames: [{ id: "TIT2", body: textBody(4, big), plainSize: true }, { id: "TALB", body: textBody(4, "After"), plainSize: true }] }), big, null);
  });
  test("v2.2: text frames read, PIC dropped", async () => {
    const pic = concat([new Uint8Array([0]), enc.encode("PNG"), new Uint8Array([3, 0]), cover]);
    await check(id3Tag({ version: 2, frames: [{ id: "TT2", body: textBody(2, "Twenty-two") }, { id: "TAL", body: textBody(2, "Album22") }, { id: "PIC", body: pic }] }), "Twenty-two", null);
  });
  test("compressed and encrypted frames are dropped, not copied", async () => {
    const tag = id3Tag({ version: 4, frames: [{ id: "TIT2", body: textBody(4, "Plain") }, { id: "TPE3", body: textBody(4, "zzz"), flags: [0, 0x08] }, { id: "TPE4", body: textBody(4, "zzz"), flags: [0, 0x04] }] });
    const file = concat([tag, AUDIO]);
    const { native } = await overlay("mp3", file, {});
    expect(native.TPE3).toBeUndefined();
    expect(native.TPE4).toBeUndefined();
  });
  test("stacked ID3v2 tags are all dropped from the audio (the first one's tags are used)", async () => {
    const first = id3Tag({ version: 4, frames: [{ id: "TIT2", body: textBody(4, "First") }] });
    const second = id3Tag({ version: 3, frames: [{ id: "TIT2", body: textBody(3, "Second") }] });
    const file = concat([first, second, AUDIO]);
    const { plan, virtual, m } = await overlay("mp3", file, {});
    expect(plan.audioOffset).toBe(first.length + second.length);
    expect(equalBytes(virtual.subarray(plan.header.length), AUDIO)).toBe(true);
    expect(m.common.title).toBe("First");
  });
  test("no ID3v2 tag at all: a new tag in front of the untouched file", async () => {
    const { plan, virtual, m } = await overlay("mp3", AUDIO, { title: "Brand new" });
    expect(plan.audioOffset).toBe(0);
    expect(equalBytes(virtual.subarray(plan.header.length), AUDIO)).toBe(true);
    expect(m.common.title).toBe("Brand new");
  });
  test("ID3v1 trailer: its fields fill in what ID3v2 lacks, and it is cut from the virtual file", async () => {
    const v2 = id3Tag({ version: 4, frames: [{ id: "TIT2", body: textBody(4, "From v2") }] });
    const v1 = encodeTrack("mp3-id3v1", { title: "From v1", artist: "V1 Artist", album: "V1 Album", year: 1977, genre: "Rock", trackNo: 5 }, new Uint8Array(0)).subarray(-128);
    const file = concat([v2, AUDIO, v1]);
    const { plan, virtual, m } = await overlay("mp3", file, { album: null });
    expect(plan.size).toBe(plan.header.length + AUDIO.length);
    expect(equalBytes(virtual.subarray(plan.header.length), AUDIO)).toBe(true);
    expect(m.common.title).toBe("From v2");
    expect(m.common.artist).toBe("V1 Artist");
    expect(m.common.album).toBeUndefined(); // removal wins over the trailer: it is not in the virtual file
    expect(m.common.year).toBe(1977);
    expect(m.common.genre?.[0]).toBe("Rock");
    expect(m.common.track.no).toBe(5);
    expect([...m.format.tagTypes]).toEqual(["ID3v2.4"]);
  });
});

describe("FLAC: blocks and comments the overlay does not manage", () => {
  const base = encodeTrack("flac", FULL, new Prng(5).bytes(20_000));
  const layout = flacLayout(base)!;
  const audio = base.subarray(layout.audioOffset);
  const seektable = new Uint8Array(18); // one seek point
  const application = concat([enc.encode("TEST"), new Uint8Array([1, 2, 3, 4, 5])]);
  const picture = (() => {
    // Take samplelib's PICTURE block body out of its own file.
    let at = 4;
    for (;;) {
      const type = base[at] & 0x7f;
      const len = (base[at + 1] << 16) | (base[at + 2] << 8) | base[at + 3];
      if (type === 6) return base.slice(at + 4, at + 4 + len);
      at += 4 + len;
    }
  })();

  function flac(blocks: [number, Uint8Array][], lead: Uint8Array = new Uint8Array(0)) {
    return concat([lead, enc.encode("fLaC"), ...blocks.map(([t, b], i) => flacBlock(t, i === blocks.length - 1, b)), audio]);
  }
  const comments = vorbisCommentBody("reference libFLAC 1.4.3 20230623", [
    "title=Lower-case key",
    "ALBUM ARTIST=Alias Artist",
    "YEAR=1985",
    "TRACKNUMBER=3/11",
    "TOTALDISCS=4",
    "DISCNUMBER=2",
    "REPLAYGAIN_TRACK_GAIN=-6.5 dB",
    "LYRICS=la la",
    "MUSICBRAINZ_ALBUMID=old",
  ]);

  test("order and bytes of SEEKTABLE, APPLICATION, PICTURE kept; padding dropped; last flag correct", async () => {
    const file = flac([[0, layout.streamInfo], [3, seektable], [1, new Uint8Array(100)], [4, comments], [2, application], [6, picture], [1, new Uint8Array(4096)]]);
    const { plan, virtual, m, native } = await overlay("flac", file, { artist: "New" });
    expect(equalBytes(virtual.subarray(plan.header.length), audio)).toBe(true);
    // Walk the new header's blocks.
    const types: number[] = [];
    const lasts: boolean[] = [];
    let at = 4;
    const h = plan.header;
    while (at < h.length) {
      types.push(h[at] & 0x7f);
      lasts.push((h[at] & 0x80) !== 0);
      at += 4 + ((h[at + 1] << 16) | (h[at + 2] << 8) | h[at + 3]);
    }
    expect(at).toBe(h.length);
    expect(types).toEqual([0, 4, 3, 2, 6]);
    expect(lasts).toEqual([false, false, false, false, true]);
    expect(equalBytes(h.subarray(8, 42), layout.streamInfo)).toBe(true);
    expect(m.common.artist).toBe("New");
    expect(m.common.title).toBe("Lower-case key");
    expect(m.common.albumartist).toBe("Alias Artist");
    expect(m.common.year).toBe(1985);
    expect(m.common.track).toEqual({ no: 3, of: 11 });
    expect(m.common.disk).toEqual({ no: 2, of: 4 });
    expect(native.REPLAYGAIN_TRACK_GAIN).toBe("-6.5 dB");
    expect(native.LYRICS).toBe("la la");
    expect(native["ALBUM ARTIST"]).toBeUndefined(); // aliases are rewritten under the standard key
    expect(native.YEAR).toBeUndefined();
    expect(equalBytes(new Uint8Array(m.common.picture![0].data), FULL.cover!)).toBe(true);
    expect(m.format.sampleRate).toBe(44100);
  });

  test("null removes aliases too", async () => {
    const file = flac([[0, layout.streamInfo], [4, comments]]);
    const { m, native } = await overlay("flac", file, { albumArtist: null, date: null, discTotal: null });
    expect(m.common.albumartist).toBeUndefined();
    expect(m.common.year).toBeUndefined();
    expect(m.common.disk).toEqual({ no: 2, of: null });
    expect(native["ALBUM ARTIST"]).toBeUndefined();
    expect(native.TOTALDISCS).toBeUndefined();
  });

  test("no VORBIS_COMMENT in the original: one is added", async () => {
    const file = flac([[0, layout.streamInfo], [1, new Uint8Array(10)]]);
    const { plan, m } = await overlay("flac", file, { title: "Added" });
    expect(m.common.title).toBe("Added");
    expect(plan.header[4]).toBe(0); // STREAMINFO not last
    expect(plan.header[4 + 4 + 34] & 0x80).toBe(0x80); // VORBIS_COMMENT last
  });

  test("an ID3v2 tag in front of fLaC is dropped", async () => {
    const lead = id3Tag({ version: 3, frames: [{ id: "TIT2", body: textBody(3, "Junk") }] });
    const file = flac([[0, layout.streamInfo], [4, comments]], lead);
    const { plan, virtual, m } = await overlay("flac", file, {});
    expect(plan.audioOffset).toBe(file.length - audio.length);
    expect(String.fromCharCode(...virtual.subarray(0, 4))).toBe("fLaC");
    expect(m.common.title).toBe("Lower-case key");
  });
});
