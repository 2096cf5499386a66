// Malformed and truncated originals give a clear OverlayError, never another exception and never a
// read outside the file; the sample library (with its hostile, malformed and broken files) goes
// through planOverlay without surprises.
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { parseBuffer } from "music-metadata";
import { OverlayError, planOverlay, type OverlayErrorCode, type OverlayTags } from "../../internal/overlay/index.ts";
import { encodeTrack, generateLibrary, Prng, solidPng, storedTags, id3v1Stored } from "../../internal/samplelib/index.ts";
import { mp3Frames } from "../../internal/samplelib/mp3.ts";
import { concat, enc, flacBlock, id3Tag, memOrigin, synchsafe, textBody, virtualFile, vorbisCommentBody } from "./helpers.ts";

async function outcome(format: string, file: Uint8Array, tags: OverlayTags = { title: "x" }) {
  const o = memOrigin(file);
  try {
    const plan = await planOverlay(format, o.readRange, file.length, tags);
    return { plan, error: undefined as OverlayError | undefined };
  } catch (e) {
    if (!(e instanceof OverlayError)) throw e; // anything else (incl. an out-of-range read) fails the test
    return { plan: undefined, error: e };
  }
}

async function expectError(format: string, file: Uint8Array, code: OverlayErrorCode, message?: RegExp) {
  const r = await outcome(format, file);
  expect(r.error).toBeInstanceOf(OverlayError);
  expect(r.error!.code).toBe(code);
  if (message) expect(r.error!.message).toMatch(message);
}

const AUDIO = mp3Frames(new Prng(1).bytes(3_000));
const FLAC = encodeTrack("flac", { title: "T", cover: solidPng(1) }, new Prng(2).bytes(10_000));
const MP3 = encodeTrack("mp3", { title: "T", artist: "A", cover: solidPng(1) }, new Prng(2).bytes(10_000));

describe("MP3: malformed ID3v2 headers", () => {
  test("tag length past EOF", async () => {
    const head = new Uint8Array([0x49, 0x44, 0x33, 4, 0, 0, ...synchsafe(5000)]);
    await expectError("mp3", concat([head, new Uint8Array(100)]), "truncated", /past the end|beyond/);
  });
  test("the sample library's 18-byte file claiming a 256 MiB tag", async () => {
    await expectError("mp3", new Uint8Array([0x49, 0x44, 0x33, 4, 0, 0, 0x7f, 0x7f, 0x7f, 0x7f, 0x54, 0x49, 0x54, 0x32, 0, 0, 0, 9]), "truncated");
  });
  test("a tag too big to buffer (256 MiB claimed in a 300 MiB file) is refused before it is read", async () => {
    const head = new Uint8Array([0x49, 0x44, 0x33, 4, 0, 0, 0x7f, 0x7f, 0x7f, 0x7f]);
    const reads: number[] = [];
    const err = await planOverlay(
      "mp3",
      async (o, n) => {
        reads.push(n);
        if (n > 1 << 20) throw new Error("a huge read");
        const b = new Uint8Array(n);
        if (o === 0) b.set(head);
        return b;
      },
      300 * 1024 * 1024,
      {},
    ).catch((e) => e);
    expect(err).toBeInstanceOf(OverlayError);
    expect((err as OverlayError).code).toBe("too-large");
    expect(reads).toEqual([64 * 1024]);
  });
  test("size bytes that are not synchsafe", async () => {
    await expectError("mp3", concat([new Uint8Array([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0x80, 0]), AUDIO]), "malformed", /synchsafe/);
  });
  test("an unknown major version", async () => {
    await expectError("mp3", concat([new Uint8Array([0x49, 0x44, 0x33, 5, 0, 0, 0, 0, 0, 0]), AUDIO]), "unsupported");
  });
  test("a file shorter than an ID3v2 header that starts like one", async () => {
    const r = await outcome("mp3", new Uint8Array([0x49, 0x44, 0x33, 4]));
    // Not a tag (too short): treated as a tagless file.
    expect(r.plan?.audioOffset ?? -1).toBe(0);
  });
  test("a frame overrunning its tag", async () => {
    const tag = id3Tag({ version: 3, frames: [{ id: "TIT2", body: textBody(3, "ok") }] });
    // Make TIT2 claim 200 bytes.
    tag[10 + 4 + 3] = 200;
    await expectError("mp3", concat([tag, AUDIO]), "malformed", /TIT2/);
  });
  test("an extended header larger than the tag", async () => {
    const body = new Uint8Array([0, 0, 0x10, 0, 0, 0]);
    const file = concat([new Uint8Array([0x49, 0x44, 0x33, 3, 0, 0x40, ...synchsafe(body.length)]), body, AUDIO]);
    await expectError("mp3", file, "malformed", /extended header/);
  });
  test("junk after the frames is treated as padding", async () => {
    const tag = id3Tag({ version: 4, frames: [{ id: "TIT2", body: textBody(4, "ok") }], padding: 40 });
    tag.set(enc.encode("garbage!"), tag.length - 30);
    const r = await outcome("mp3", concat([tag, AUDIO]));
    expect(r.error).toBeUndefined();
  });
});

describe("FLAC: malformed metadata", () => {
  const streamInfo = FLAC.slice(8, 42);
  const frames = FLAC.subarray(FLAC.length - 2000); // not at a frame boundary: used only after errors
  test("not a FLAC stream", async () => {
    await expectError("flac", concat([enc.encode("RIFF"), new Uint8Array(100)]), "malformed", /fLaC/);
    await expectError("flac", new Uint8Array(0), "malformed");
  });
  test("block length past EOF", async () => {
    await expectError("flac", concat([enc.encode("fLaC"), flacBlock(0, false, streamInfo), new Uint8Array([4, 0x10, 0, 0]), new Uint8Array(50)]), "truncated", /past the end|beyond/);
  });
  test("cut inside the metadata (the sample library's truncated.flac)", async () => {
    await expectError("flac", FLAC.subarray(0, 4 + 38 + 4 + 20), "truncated");
  });
  test("no last-block flag before EOF", async () => {
    await expectError("flac", concat([enc.encode("fLaC"), flacBlock(0, false, streamInfo)]), "truncated");
  });
  test("STREAMINFO missing or the wrong size", async () => {
    await expectError("flac", concat([enc.encode("fLaC"), flacBlock(4, true, vorbisCommentBody("v", [])), frames]), "malformed", /STREAMINFO/);
    await expectError("flac", concat([enc.encode("fLaC"), flacBlock(0, true, streamInfo.subarray(0, 30)), frames]), "malformed", /STREAMINFO/);
  });
  test("block type 127", async () => {
    await expectError("flac", concat([enc.encode("fLaC"), flacBlock(0, false, streamInfo), flacBlock(127, true, new Uint8Array(4)), frames]), "malformed");
  });
  test("a wrong block length that does not land on a frame", async () => {
    const bad = FLAC.slice();
    // Shorten the VORBIS_COMMENT block's length by 3: the walk now ends inside the metadata.
    const at = 4 + 38;
    const len = (bad[at + 1] << 16) | (bad[at + 2] << 8) | bad[at + 3];
    bad[at + 3] = (len - 3) & 0xff;
    bad[at + 2] = ((len - 3) >>> 8) & 0xff;
    const r = await outcome("flac", bad);
    expect(r.error).toBeInstanceOf(OverlayError);
  });
  test("a VORBIS_COMMENT whose entry overruns the block", async () => {
    const vc = vorbisCommentBody("vendor", ["TITLE=x"]);
    vc[vc.length - 7 - 4] = 100; // entry length 100
    await expectError("flac", concat([enc.encode("fLaC"), flacBlock(0, false, streamInfo), flacBlock(4, true, vc), new Uint8Array([0xff, 0xf8, 0, 0])]), "malformed", /VORBIS_COMMENT/);
  });
});

describe("the origin misbehaves", () => {
  test("a short read is an OverlayError", async () => {
    const err = await planOverlay("mp3", async (o, n) => MP3.subarray(o, o + Math.floor(n / 2)), MP3.length, {}).catch((e) => e);
    expect(err).toBeInstanceOf(OverlayError);
    expect((err as OverlayError).code).toBe("truncated");
  });
  test("a failing read is wrapped with the cause", async () => {
    const cause = new Error("EIO from the origin");
    const err = await planOverlay("flac", async () => {
      throw cause;
    }, FLAC.length, {}).catch((e) => e);
    expect(err).toBeInstanceOf(OverlayError);
    expect((err as OverlayError).code).toBe("read-failed");
    expect((err as OverlayError).cause).toBe(cause);
  });
  test("a bad file size", async () => {
    for (const size of [-1, 1.5, Number.NaN]) {
      const err = await planOverlay("mp3", memOrigin(MP3).readRange, size, {}).catch((e) => e);
      expect(err).toBeInstanceOf(OverlayError);
    }
  });
});

describe("fuzz: truncated and corrupted files", () => {
  const originals = [
    ["mp3", MP3],
    ["mp3", encodeTrack("mp3-id3v23", { title: "T", artist: "Ü", cover: solidPng(2) }, new Prng(4).bytes(3000))],
    ["mp3", encodeTrack("mp3-id3v24+v1", { title: "T", album: "x" }, new Prng(4).bytes(3000))],
    ["flac", FLAC],
  ] as const;
  test("only plans or OverlayErrors; plans stay inside the file", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...originals),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 6 }),
        async ([format, original], cut, flips) => {
          const file = original.slice(0, Math.min(original.length, 1 + (cut % (original.length + 200))));
          for (const [at, v] of flips) if (file.length > 0) file[at % Math.min(file.length, 400)] = v; // corrupt the head
          const r = await outcome(format, file);
          if (r.plan) {
            expect(r.plan.audioOffset).toBeGreaterThanOrEqual(0);
            expect(r.plan.audioOffset).toBeLessThanOrEqual(r.plan.audioEnd);
            expect(r.plan.audioEnd).toBeLessThanOrEqual(file.length);
            expect(r.plan.size).toBe(r.plan.header.length + r.plan.audioEnd - r.plan.audioOffset);
          } else {
            expect(r.error!.message.length).toBeGreaterThan(10);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe("the sample library, hostile and broken files included", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-overlay-lib-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const files = generateLibrary(dir, { artists: 4, albumsPerArtist: 2, tracksPerAlbum: 2, formats: ["mp3", "flac", "mp3-id3v23", "mp3-id3v1", "mp3-id3v24+v1", "wav", "opus", "m4a"], broken: true });

  test("every MP3/FLAC gets the edit and keeps the rest; others pass through; broken ones are OverlayErrors", async () => {
    let planned = 0;
    let rejected = 0;
    for (const f of files) {
      const bytes = new Uint8Array(fs.readFileSync(f.path));
      const ext = path.extname(f.path).slice(1);
      const r = await outcome(ext, bytes, { title: "Edited title" });
      if (ext !== "mp3" && ext !== "flac") {
        expect(r.plan).toBeNull();
        continue;
      }
      if (f.malformed) {
        expect(r.error).toBeInstanceOf(OverlayError);
        rejected++;
        continue;
      }
      expect(r.error).toBeUndefined();
      planned++;
      const m = await parseBuffer(virtualFile(r.plan!, bytes), { mimeType: ext === "mp3" ? "audio/mpeg" : "audio/flac" }, { duration: false });
      const want = f.format === "mp3-id3v1" ? id3v1Stored(f.tags) : storedTags(f.format, f.tags);
      expect(m.common.title).toBe("Edited title");
      expect(m.common.artist).toBe(want.artist);
      expect(m.common.album).toBe(want.album);
      expect(m.common.year).toBe(want.year);
      expect(m.common.track.no).toBe(want.trackNo ?? null);
      expect(m.common.picture?.length ?? 0).toBe(want.cover ? 1 : 0);
    }
    expect(planned).toBeGreaterThan(10);
    expect(rejected).toBeGreaterThanOrEqual(2); // malformed.mp3, truncated.flac
  });
});
