// `npm run demo`: the main job on an embedded default. Generates a sample library of real-format
// audio files (MP3, FLAC, WAV with tags), then runs the compiled musicfs on it: chunk statistics,
// a retag of 30 % of the tracks, and the chunk-level diff that a sync would move.
import { $ } from "bun";
import * as fs from "node:fs";
import * as path from "node:path";
import { generateLibrary, retag } from "../internal/samplelib/index.ts";

const root = path.resolve(import.meta.dir, "..");
const bin = path.join(root, "dist/musicfs");
const work = path.join(root, ".cache/demo");
const library = path.join(work, "library");
const retagged = path.join(work, "retagged");

function step(title: string): void {
  process.stdout.write(`\n=== ${title}\n`);
}

if (!fs.existsSync(bin)) {
  console.error("dist/musicfs is missing: run `npm run build` first (npm run demo does it for you)");
  process.exit(1);
}
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });

step("sample library");
const files = generateLibrary(library, { artists: 4, albumsPerArtist: 2, tracksPerAlbum: 4, trackBytes: 1 << 20, seed: 7 });
const bytes = files.reduce((a, f) => a + f.size, 0);
console.log(`${files.length} files, ${(bytes / 1e6).toFixed(1)} MB in ${path.relative(root, library)} (MP3/FLAC/WAV with tags, unicode names, a malformed file)`);

step("musicfs chunk (FastCDC, SHA-256 chunk ids)");
await $`${bin} chunk ${library}`.nothrow();

step("retag 30 % of the tracks (the tags grow, so every audio byte after them shifts)");
fs.cpSync(library, retagged, { recursive: true, preserveTimestamps: true });
const tracks = files.filter((f) => !f.malformed).map((f) => path.join(retagged, f.relPath));
let n = 0;
for (let i = 0; i < tracks.length; i += 3) {
  await retag(tracks[i], { comment: "Remastered 2026 — tags edited by the MusicFS demo", genre: "Demo" });
  n++;
}
console.log(`retagged ${n} of ${tracks.length} tracks`);

step("musicfs diff library retagged (what a delta sync has to move)");
await $`${bin} diff ${library} ${retagged}`.nothrow();

console.log(`\nDone. Try: ${path.relative(process.cwd(), bin)} chunk --json --list ${path.relative(process.cwd(), library)} | head -40`);
