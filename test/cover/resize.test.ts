// resizeCover: thumbnails are JPEGs of the right size (checked by decoding them with jimp, and by
// image-size reading their header), never upscaled; "full" is the original; limits hold.
import { describe, expect, test } from "bun:test";
import { imageSize } from "image-size";
import { Jimp } from "jimp";
import { CoverError, extractCover, resizeCover } from "../../internal/cover/index.ts";
import { encodeTrack } from "../../internal/samplelib/index.ts";
import { audio, concat, coverError, jpegPicture, memOrigin, solidPng } from "./helpers.ts";

async function decoded(bytes: Uint8Array): Promise<{ width: number; height: number; mime: string | undefined }> {
  const img = await Jimp.fromBuffer(Buffer.from(bytes));
  return { width: img.bitmap.width, height: img.bitmap.height, mime: img.mime };
}

describe("thumbnails", () => {
  test("1000 × 1000 JPEG → 300 and 150", async () => {
    const src = await jpegPicture(1000, 1000);
    for (const px of [300, 150]) {
      const out = await resizeCover(src, px);
      expect([out.mime, out.ext, out.width, out.height]).toEqual(["image/jpeg", "jpg", px, px]);
      expect(await decoded(out.bytes)).toEqual({ width: px, height: px, mime: "image/jpeg" });
      const header = imageSize(out.bytes);
      expect([header.type, header.width, header.height]).toEqual(["jpg", px, px]);
    }
  });

  test("aspect ratio kept: 1000 × 500 → 300 × 150; 400 × 1000 → 60 × 150", async () => {
    expect(await decoded((await resizeCover(await jpegPicture(1000, 500), 300)).bytes)).toMatchObject({ width: 300, height: 150 });
    expect(await decoded((await resizeCover(await jpegPicture(400, 1000), 150)).bytes)).toMatchObject({ width: 60, height: 150 });
  });

  test("a PNG becomes a JPEG; never upscaled", async () => {
    const png = solidPng(0xcc3300, 100);
    const out = await resizeCover(png, 300);
    expect([out.mime, out.width, out.height]).toEqual(["image/jpeg", 100, 100]);
    const img = await Jimp.fromBuffer(Buffer.from(out.bytes));
    const px = img.getPixelColor(50, 50);
    expect(Math.abs(((px >>> 24) & 0xff) - 0xcc)).toBeLessThan(8); // the colour survives
  });

  test("a JPEG that already fits is returned as it is", async () => {
    const small = await jpegPicture(200, 120);
    const out = await resizeCover(small, 300);
    expect(out.bytes).toBe(small);
    expect([out.width, out.height]).toEqual([200, 120]);
  });

  test("a transparent PNG is put on white, not black", async () => {
    const img = new Jimp({ width: 400, height: 400, color: 0x00000000 });
    const png = new Uint8Array(await img.getBuffer("image/png"));
    const out = await Jimp.fromBuffer(Buffer.from((await resizeCover(png, 150)).bytes));
    expect(out.getPixelColor(75, 75) >>> 8).toBeGreaterThan(0xf0f0f0);
  });

  test("the cover of a real file, extracted then resized", async () => {
    const cover = await jpegPicture(900, 600);
    const file = encodeTrack("flac", { cover }, audio());
    const c = await extractCover(memOrigin(file).readRange, file.length, "flac");
    const out = await resizeCover(c!.bytes, 300);
    expect(await decoded(out.bytes)).toMatchObject({ width: 300, height: 200 });
  });
});

describe("full", () => {
  test("the original bytes, named as the original (PNG stays PNG)", async () => {
    const png = solidPng(0x112233, 64);
    const out = await resizeCover(png, "full");
    expect(out.bytes).toBe(png);
    expect([out.mime, out.ext, out.width, out.height]).toEqual(["image/png", "png", 64, 64]);
    const jpg = await jpegPicture(1200, 800);
    expect(await resizeCover(jpg, "full")).toMatchObject({ mime: "image/jpeg", ext: "jpg", width: 1200, height: 800, bytes: jpg });
  });

  test("a WebP is served full but not resized (unsupported)", async () => {
    // RIFF/WEBP with a VP8X chunk: canvas 640 × 480 (24-bit width-1, height-1).
    const webp = new Uint8Array([...Buffer.from("RIFF"), 30, 0, 0, 0, ...Buffer.from("WEBPVP8X"), 10, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0x02, 0, 0xdf, 0x01, 0]);
    expect(await resizeCover(webp, "full")).toMatchObject({ mime: "image/webp", ext: "webp", width: 640, height: 480 });
    expect((await coverError(resizeCover(webp, 300))).code).toBe("unsupported");
  });
});

describe("refused and broken", () => {
  test("a 12 MB picture is refused, full or not", async () => {
    const huge = concat([solidPng(0, 8), new Uint8Array(12_000_000)]);
    for (const size of [300, "full"] as const) expect((await coverError(resizeCover(huge, size))).code).toBe("too-large");
  });

  test("a small PNG claiming 20000 × 20000 pixels is refused before decoding", async () => {
    const bomb = solidPng(0, 8).slice();
    const v = new DataView(bomb.buffer);
    v.setUint32(16, 20000); // IHDR width
    v.setUint32(20, 20000); // IHDR height
    const e = await coverError(resizeCover(bomb, 300));
    expect(e.code).toBe("too-large");
    expect(e.message).toContain("20000");
  });

  test("truncated pictures: malformed", async () => {
    const png = solidPng(0x445566, 400);
    expect((await coverError(resizeCover(png.subarray(0, png.length - 200), 150))).code).toBe("malformed");
    const jpg = await jpegPicture(800, 800);
    for (const keep of [0.9, 0.5, 0.05]) {
      const e = await coverError(resizeCover(jpg.subarray(0, Math.floor(jpg.length * keep)), 150));
      expect(e.code).toBe("malformed");
      expect(e.message).toContain("does not decode");
    }
  });

  test("not an image; a bad size", async () => {
    expect((await coverError(resizeCover(new TextEncoder().encode("hello"), 300))).code).toBe("malformed");
    await expect(resizeCover(solidPng(0, 8), 0)).rejects.toThrow(RangeError);
    await expect(resizeCover(solidPng(0, 8), 2.5)).rejects.toThrow(RangeError);
  });
});
