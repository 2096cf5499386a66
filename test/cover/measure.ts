// Timings of the cover core, for internal/cover/README.md (not a test; run by hand):
//   node_modules/.bin/bun test/cover/measure.ts
// Prints medians: resizing a 1000 × 1000 JPEG to 300 and 150 px (20 runs each after 2 warm-ups),
// and extractCover on MP3/FLAC files with a 1000 × 1000 JPEG cover, from memory and with preads.
import * as fs from "node:fs";
import * as path from "node:path";
import { extractCover, resizeCover } from "../../internal/cover/index.ts";
import { encodeTrack } from "../../internal/samplelib/index.ts";
import { tempDir } from "../helpers.ts";
import { audio, jpegPicture, memOrigin } from "./helpers.ts";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function time(runs: number, warm: number, f: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < warm; i++) await f();
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    ts.push(performance.now() - t);
  }
  return median(ts);
}

// Gradient plus grain at quality 90: ~260 KB, the size of a photographic 1000 × 1000 cover.
const src = await jpegPicture(1000, 1000, 90, 10);
const t0 = performance.now();
await resizeCover(src, 300); // the first call loads jimp
console.log(`first resize (loads jimp): ${(performance.now() - t0).toFixed(1)} ms`);
for (const px of [300, 150]) {
  const ms = await time(20, 2, () => resizeCover(src, px));
  const out = await resizeCover(src, px);
  console.log(`resize 1000x1000 JPEG (${src.length} B) -> ${px}: median ${ms.toFixed(1)} ms of 20, ${out.bytes.length} B out`);
}

const dir = tempDir("musicfs-cover-measure-");
try {
  for (const format of ["mp3", "flac", "m4a", "opus"] as const) {
    const file = encodeTrack(format, { title: "t", cover: src }, audio(5_000_000));
    const mem = memOrigin(file);
    const memMs = await time(200, 20, () => extractCover(mem.readRange, file.length, format));
    const p = path.join(dir, `t.${format}`);
    fs.writeFileSync(p, file);
    const fd = fs.openSync(p, "r");
    const pread = async (offset: number, length: number) => {
      const b = new Uint8Array(length);
      fs.readSync(fd, b, 0, length, offset);
      return b;
    };
    const fileMs = await time(200, 20, () => extractCover(pread, file.length, format));
    fs.closeSync(fd);
    mem.calls.length = 0;
    await extractCover(mem.readRange, file.length, format);
    const bytes = mem.calls.reduce((n, [, l]) => n + l, 0);
    console.log(`extractCover ${format} (${file.length} B file, ${src.length} B cover): memory ${(memMs * 1000).toFixed(0)} us, pread ${(fileMs * 1000).toFixed(0)} us, ${mem.calls.length} reads, ${bytes} B requested`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
