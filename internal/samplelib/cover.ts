// A tiny but valid PNG (solid colour) to embed as cover art.
import { deflateSync } from "node:zlib";
import { concat, encoder } from "./tags.ts";

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const head = new Uint8Array(8);
  const v = new DataView(head.buffer);
  v.setUint32(0, data.length);
  head.set(encoder.encode(type), 4);
  const crc = new Uint8Array(4);
  new DataView(crc.buffer).setUint32(0, Bun.hash.crc32(concat([encoder.encode(type), data])));
  return concat([head, data, crc]);
}

/** A `size`×`size` RGB PNG filled with one colour (0xRRGGBB). */
export function solidPng(rgb: number, size = 8): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, size);
  v.setUint32(4, size);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, no filter method, no interlace
  const row = new Uint8Array(1 + size * 3);
  for (let x = 0; x < size; x++) row.set([(rgb >>> 16) & 0xff, (rgb >>> 8) & 0xff, rgb & 0xff], 1 + x * 3);
  const raw = concat(Array.from({ length: size }, () => row));
  const sig = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return concat([sig, pngChunk("IHDR", ihdr), pngChunk("IDAT", new Uint8Array(deflateSync(raw))), pngChunk("IEND", new Uint8Array(0))]);
}
