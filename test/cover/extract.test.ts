// extractCover over real files: samplelib's MP3 (ID3v2.4, 2.3), FLAC, Ogg Opus and M4A with their
// PNG cover, hand-built tags with several pictures (2.2, 2.3, 2.4, unsynchronised, iTunes sizes),
// refused and broken pictures, and the ranged reads it makes.
import { describe, expect, test } from "bun:test";
import { CoverError, extractCover, MAX_PICTURE_BYTES } from "../../internal/cover/index.ts";
import { encodeTrack, Prng, type SampleFormat } from "../../internal/samplelib/index.ts";
import { flacLayout } from "../../internal/samplelib/flac.ts";
import { id3Length } from "../../internal/samplelib/mp3.ts";
import { enc, id3Tag, synchsafe, unsync } from "../overlay/helpers.ts";
import { apicBody, audio, concat, coverError, flacWith, jpegPicture, memOrigin, mp3With, requested, solidPng } from "./helpers.ts";

const png = solidPng(0x336699, 64);

describe("samplelib files: the embedded picture, byte for byte", () => {
  for (const format of ["mp3", "mp3-id3v23", "mp3-id3v24+v1", "flac", "opus", "m4a"] as SampleFormat[]) {
    test(format, async () => {
      const file = encodeTrack(format, { title: "t", cover: png }, audio());
      const o = memOrigin(file);
      const ext = format.startsWith("mp3") ? "mp3" : format;
      const c = await extractCover(o.readRange, file.length, ext);
      expect(c).not.toBeNull();
      expect(Buffer.from(c!.bytes).equals(Buffer.from(png))).toBe(true);
      // Type and size from the PNG itself (samplelib's FLAC block claims 1 × 1).
      expect([c!.mime, c!.ext, c!.width, c!.height, c!.front]).toEqual(["image/png", "png", 64, 64, true]);
    });
  }

  test("no picture: null, for every format", async () => {
    for (const format of ["mp3", "mp3-id3v23", "mp3-id3v1", "flac", "opus", "m4a", "wav"] as SampleFormat[]) {
      const file = encodeTrack(format, { title: "t", artist: "a" }, audio());
      const ext = format.startsWith("mp3") ? "mp3" : format;
      expect(await extractCover(memOrigin(file).readRange, file.length, ext)).toBeNull();
    }
  });

  test("format names are case-insensitive (MP3, FLAC)", async () => {
    const file = encodeTrack("flac", { cover: png }, audio());
    expect((await extractCover(memOrigin(file).readRange, file.length, "FLAC"))?.width).toBe(64);
  });
});

describe("ranged reads stay inside the header", () => {
  test("MP3: the 10-byte header, then the tag through a window cut at its end", async () => {
    const big = await jpegPicture(600, 600, 90, 10); // ~100 KB: more than the 64 KiB window
    expect(big.length).toBeGreaterThan(64 * 1024);
    const file = encodeTrack("mp3", { title: "t", cover: big }, audio(3_000_000));
    const o = memOrigin(file);
    const c = await extractCover(o.readRange, file.length, "mp3");
    expect(Buffer.from(c!.bytes).equals(Buffer.from(big))).toBe(true);
    const r = requested(o.calls);
    expect(r.maxEnd).toBeLessThanOrEqual(id3Length(file));
    // Each byte once: the window's part of the picture is not read again.
    expect(r.bytes).toBeLessThanOrEqual(id3Length(file));
    expect(o.calls[0]).toEqual([0, 10]);
    expect(o.calls.length).toBe(3); // header, 64 KiB window, the rest of the picture
  });

  test("FLAC: block headers and the PICTURE body only, never a byte of audio", async () => {
    const big = await jpegPicture(600, 600);
    const file = encodeTrack("flac", { title: "t", cover: big }, audio(3_000_000));
    const o = memOrigin(file);
    const c = await extractCover(o.readRange, file.length, "flac");
    expect(Buffer.from(c!.bytes).equals(Buffer.from(big))).toBe(true);
    const end = flacLayout(file)!.audioOffset;
    const r = requested(o.calls);
    expect(r.maxEnd).toBeLessThanOrEqual(end);
    expect(r.bytes).toBeLessThanOrEqual(end); // each byte at most once; padding and comments skipped
  });

  test("MP3 without an ID3v2 tag: 10 bytes read, null", async () => {
    const file = encodeTrack("mp3-id3v1", { title: "t" }, audio(1_000_000));
    const o = memOrigin(file);
    expect(await extractCover(o.readRange, file.length, "mp3")).toBeNull();
    expect(requested(o.calls).bytes).toBe(10);
  });

  test("M4A and Opus (music-metadata): ranged, far less than the file", async () => {
    for (const format of ["m4a", "opus"] as const) {
      const file = encodeTrack(format, { cover: png }, audio(5_000_000));
      const o = memOrigin(file);
      expect((await extractCover(o.readRange, file.length, format))?.width).toBe(64);
      expect(requested(o.calls).bytes).toBeLessThan(file.length / 4);
    }
  });
});

describe("the largest picture wins", () => {
  test("MP3: a 300 × 300 back cover beats a 64 × 64 front cover", async () => {
    const back = await jpegPicture(300, 300);
    const { file } = mp3With([{ data: png, mime: "image/png", type: 3 }, { data: back, type: 4 }]);
    const c = await extractCover(memOrigin(file).readRange, file.length, "mp3");
    expect(Buffer.from(c!.bytes).equals(Buffer.from(back))).toBe(true);
    expect([c!.width, c!.height, c!.front, c!.mime]).toEqual([300, 300, false, "image/jpeg"]);
  });

  test("same size: the front cover wins over a bigger-in-bytes other picture", async () => {
    const other = await jpegPicture(200, 200, 100);
    const front = await jpegPicture(200, 200, 40);
    expect(other.length).toBeGreaterThan(front.length);
    for (const [name, build] of [
      ["mp3", () => mp3With([{ data: other, type: 0 }, { data: front, type: 3 }]).file],
      ["flac", () => flacWith([{ data: other, type: 0 }, { data: front, type: 3 }]).file],
    ] as const) {
      const file = build();
      const c = await extractCover(memOrigin(file).readRange, file.length, name);
      expect(c!.front).toBe(true);
      expect(c!.bytes.length).toBe(front.length);
    }
  });

  test("FLAC: sizes come from the image, not from the block's width/height", async () => {
    const small = await jpegPicture(50, 40);
    const large = await jpegPicture(400, 100);
    const { file } = flacWith([{ data: small }, { data: large, type: 4 }]);
    const c = await extractCover(memOrigin(file).readRange, file.length, "flac");
    expect([c!.width, c!.height]).toEqual([400, 100]);
  });

  test("a declared MIME type that lies is corrected from the bytes", async () => {
    const { file } = mp3With([{ data: png, mime: "image/jpg" }]);
    expect((await extractCover(memOrigin(file).readRange, file.length, "mp3"))?.mime).toBe("image/png");
  });
});

describe("ID3v2 variants", () => {
  test("v2.2 PIC, v2.3 APIC", async () => {
    const pic = await jpegPicture(120, 90);
    for (const version of [2, 3] as const) {
      const { file } = mp3With([{ data: pic }], version);
      const c = await extractCover(memOrigin(file).readRange, file.length, "mp3");
      expect(Buffer.from(c!.bytes).equals(Buffer.from(pic))).toBe(true);
    }
  });

  test("tag-wide unsynchronisation (v2.3) and per-frame (v2.4) with a data length indicator", async () => {
    const pic = await jpegPicture(80, 80); // JPEG is full of 0xFF bytes: unsync changes it
    const v23 = concat([id3Tag({ version: 3, unsync: true, frames: [{ id: "APIC", body: apicBody({ data: pic }) }] }), audio(1000)]);
    expect((await extractCover(memOrigin(v23).readRange, v23.length, "mp3"))?.bytes).toEqual(pic);
    // v2.4: frame flags unsync (0x02) + data length indicator (0x01); the body is 4 bytes of length + unsynchronised data.
    const body = apicBody({ data: pic });
    const framed = concat([new Uint8Array(synchsafe(body.length)), unsync(body)]);
    const v24 = concat([id3Tag({ version: 4, frames: [{ id: "APIC", body: framed, flags: [0, 0x03] }] }), audio(1000)]);
    expect((await extractCover(memOrigin(v24).readRange, v24.length, "mp3"))?.bytes).toEqual(pic);
  });

  test("extended header; iTunes' plain 32-bit sizes in a v2.4 tag", async () => {
    const pic = await jpegPicture(100, 100);
    const ext = concat([id3Tag({ version: 4, extended: true, frames: [{ id: "APIC", body: apicBody({ data: pic }) }] }), audio(1000)]);
    expect((await extractCover(memOrigin(ext).readRange, ext.length, "mp3"))?.width).toBe(100);
    const title = { id: "TIT2", body: concat([new Uint8Array([0]), enc.encode("x".repeat(200))]), plainSize: true };
    const itunes = concat([id3Tag({ version: 4, frames: [title, { id: "APIC", body: apicBody({ data: pic }), plainSize: true }] }), audio(1000)]);
    expect((await extractCover(memOrigin(itunes).readRange, itunes.length, "mp3"))?.bytes).toEqual(pic);
  });

  test("an APIC holding a URL (MIME '-->') is not a picture", async () => {
    const { file } = mp3With([{ data: enc.encode("http://example.com/cover.jpg"), mime: "-->" }]);
    expect(await extractCover(memOrigin(file).readRange, file.length, "mp3")).toBeNull();
  });
});

describe("refused: over 10 MiB", () => {
  // 12 MB of bytes behind a real PNG header: the size alone must refuse it.
  const huge = concat([png, new Uint8Array(12_000_000 - png.length)]);

  test("MP3 and FLAC: refused from the frame/block header, without reading the picture", async () => {
    for (const [format, file] of [
      ["mp3", mp3With([{ data: huge, mime: "image/png" }]).file],
      ["flac", flacWith([{ data: huge, mime: "image/png" }]).file],
    ] as const) {
      const o = memOrigin(file);
      const e = await coverError(extractCover(o.readRange, file.length, format));
      expect(e.code).toBe("too-large");
      expect(e.message).toContain(String(MAX_PICTURE_BYTES));
      expect(requested(o.calls).bytes).toBeLessThan(200 * 1024);
    }
  });

  test("M4A (music-metadata): refused after parsing", async () => {
    const file = encodeTrack("m4a", { cover: huge }, audio());
    expect((await coverError(extractCover(memOrigin(file).readRange, file.length, "m4a"))).code).toBe("too-large");
  });

  test("a usable picture beside a refused one is still found", async () => {
    const { file } = mp3With([{ data: huge, mime: "image/png" }, { data: png, mime: "image/png", type: 4 }]);
    expect((await extractCover(memOrigin(file).readRange, file.length, "mp3"))?.width).toBe(64);
  });
});

describe("malformed and truncated: CoverError, never a crash", () => {
  const errorOf = async (file: Uint8Array, format: string) => coverError(extractCover(memOrigin(file).readRange, file.length, format));

  test("MP3 cut off inside its APIC frame", async () => {
    const file = encodeTrack("mp3", { cover: await jpegPicture(300, 300) }, audio());
    const e = await errorOf(file.subarray(0, id3Length(file) - 500), "mp3");
    expect(e.code).toBe("malformed");
    expect(e.message).toContain("past the end");
  });

  test("an APIC frame that claims more bytes than its tag has", async () => {
    const { file, tagEnd } = mp3With([{ data: png, mime: "image/png" }]);
    const tag = file.slice(0, tagEnd - 256 - 40); // cut padding and the picture's last 40 bytes
    tag.set(synchsafe(tag.length - 10), 6); // the tag header agrees, the frame header does not
    const e = await errorOf(concat([tag, audio(1000)]), "mp3");
    expect(e.code).toBe("malformed");
    expect(e.message).toContain("APIC");
  });

  test("APIC without terminators, and with no data", async () => {
    const noNul = concat([id3Tag({ version: 3, frames: [{ id: "APIC", body: concat([new Uint8Array([0]), enc.encode("image/jpeg")]) }] }), audio(100)]);
    expect((await errorOf(noNul, "mp3")).code).toBe("malformed");
    const empty = mp3With([{ data: new Uint8Array(0) }]).file;
    expect((await errorOf(empty, "mp3")).code).toBe("malformed");
  });

  test("a picture that is not an image", async () => {
    const { file } = mp3With([{ data: enc.encode("not an image at all, just text") }]);
    const e = await errorOf(file, "mp3");
    expect(e.code).toBe("malformed");
    expect(e.message).toContain("not an image");
  });

  test("FLAC cut off inside its PICTURE block", async () => {
    const file = encodeTrack("flac", { cover: await jpegPicture(300, 300) }, audio());
    const end = flacLayout(file)!.audioOffset;
    const e = await errorOf(file.subarray(0, end - 1500), "flac");
    expect(e.code).toBe("malformed");
    expect(e.message).toContain("cut off");
  });

  test("a FLAC PICTURE whose data length runs past its block", async () => {
    const { file, metadataEnd } = flacWith([{ data: png }]);
    const at = Buffer.from(file).indexOf(Buffer.from(png)) - 4; // the data-length field
    const bad = file.slice();
    new DataView(bad.buffer).setUint32(at, png.length + 100);
    const e = await errorOf(bad, "flac");
    expect(e.code).toBe("malformed");
    expect(e.message).toContain("PICTURE");
    expect(metadataEnd).toBeLessThan(file.length);
  });

  test("FLAC without a last block before EOF; not FLAC at all; invalid block type", async () => {
    const { file, metadataEnd } = flacWith([{ data: png }]);
    expect((await errorOf(file.subarray(0, metadataEnd - 600), "flac")).code).toBe("malformed");
    expect((await errorOf(enc.encode("RIFF....WAVEfmt "), "flac")).message).toContain("fLaC");
    const bad = file.slice();
    bad[4] = 0x7f;
    expect((await errorOf(bad, "flac")).message).toContain("127");
  });

  test("ID3 header: bad version, non-synchsafe size, tag past EOF", async () => {
    const base = mp3With([{ data: png }]).file;
    const v5 = base.slice();
    v5[3] = 5;
    expect((await errorOf(v5, "mp3")).message).toContain("version");
    const unsafe = base.slice();
    unsafe[7] = 0x80;
    expect((await errorOf(unsafe, "mp3")).message).toContain("synchsafe");
    expect((await errorOf(base.subarray(0, 100), "mp3")).code).toBe("malformed");
  });

  test("garbage and empty input for every format", async () => {
    const junk = new Uint8Array(4096).map((_, i) => (i * 7919) & 0xff);
    for (const format of ["mp3", "flac", "m4a", "opus", "ogg"]) {
      for (const file of [junk, new Uint8Array(0), enc.encode("ID3")]) {
        try {
          const c = await extractCover(memOrigin(file).readRange, file.length, format);
          expect(c).toBeNull();
        } catch (e) {
          expect(e).toBeInstanceOf(CoverError);
        }
      }
    }
  });

  test("a failing origin gives read-failed with the cause", async () => {
    const file = encodeTrack("flac", { cover: png }, audio());
    const boom = new Error("origin down");
    for (const format of ["flac", "m4a"]) {
      const e = await coverError(extractCover(async () => Promise.reject(boom), file.length, format));
      expect(e.code).toBe("read-failed");
      expect(e.cause).toBe(boom);
    }
    const short = await coverError(extractCover(async () => new Uint8Array(2), file.length, "flac"));
    expect(short.code).toBe("read-failed");
  });
});

describe("damaged files: every outcome is a Cover, null or a CoverError", () => {
  test("random byte flips and cuts in the head of MP3 (2.3, 2.4), FLAC, M4A and Opus files", async () => {
    const rng = new Prng(8);
    const pic = await jpegPicture(64, 48);
    const formats: [SampleFormat, string][] = [["mp3", "mp3"], ["mp3-id3v23", "mp3"], ["flac", "flac"], ["m4a", "m4a"], ["opus", "opus"]];
    const outcomes = new Map<string, number>();
    for (const [format, ext] of formats) {
      const good = encodeTrack(format, { title: "t", artist: "a", cover: pic }, audio(20_000));
      for (let i = 0; i < 150; i++) {
        let file = good.slice();
        const head = Math.min(file.length, pic.length + 2048);
        for (let k = rng.next() % 4; k >= 0; k--) file[rng.next() % head] = rng.next() & 0xff;
        if (rng.next() % 3 === 0) file = file.subarray(0, rng.next() % file.length);
        let outcome: string;
        try {
          const c = await extractCover(memOrigin(file).readRange, file.length, ext);
          outcome = c ? "cover" : "null";
        } catch (e) {
          if (!(e instanceof CoverError)) throw new Error(`${format} #${i}: ${(e as Error)?.stack ?? e}`);
          outcome = e.code;
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    }
    expect(outcomes.get("cover")).toBeGreaterThan(0);
    expect(outcomes.get("malformed")).toBeGreaterThan(0);
  });
});
