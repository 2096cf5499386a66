// `npm run demo`: the main job on an embedded default. Generates a sample library of real-format
// audio files (MP3, FLAC, WAV with tags), then runs the compiled musicfs on it: chunk statistics,
// a retag of 30 % of the tracks, the chunk-level diff, a delta sync to a backup, a scan into the
// embedded SQLite catalog, a search, the search API over HTTP (Connect JSON), and, as root with
// /dev/fuse, the tag-organised mount.
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

const backup = path.join(work, "backup");
step("musicfs sync library backup (first copy)");
await $`${bin} sync ${library} ${backup}`.nothrow();
step("musicfs sync retagged backup (only the changed bytes move; files are replaced atomically)");
await $`${bin} sync ${retagged} ${backup}`.nothrow();

const db = path.join(work, "catalog.db");
step("musicfs scan (tags into the embedded SQLite catalog with FTS5)");
await $`${bin} scan --db ${db} ${library}`.nothrow();
step("musicfs search 'bjork year:2000..2030' (diacritics-insensitive, ranges)");
await $`${bin} search --db ${db} --limit 5 bjork year:2000..2030`.nothrow();

step("musicfs serve + a Connect JSON client (the same port also speaks gRPC and gRPC-Web)");
const server = Bun.spawn([bin, "serve", "--db", db, "--listen", "127.0.0.1:0", "--json"], { stdout: "pipe", stderr: "inherit" });
try {
  const reader = (server.stdout as ReadableStream<Uint8Array>).getReader();
  const ready = JSON.parse(new TextDecoder().decode((await reader.read()).value).split("\n")[0]);
  reader.releaseLock();
  const base = String(ready.address).startsWith("http") ? ready.address : `http://${ready.address}`;
  const url = `${base}/musicfs.v1.MusicFS/Search`;
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "artist:björk", limit: 3 }) });
  console.log(`POST ${url}\n${JSON.stringify(await res.json(), null, 2).slice(0, 1500)}`);
} catch (e) {
  console.log(`serve demo skipped: ${(e as Error).message}`);
} finally {
  server.kill("SIGTERM");
  await server.exited;
}

step("musicfs mount (the library by tags, with /.search and /.collections folders)");
const canMount = fs.existsSync("/dev/fuse") && process.getuid?.() === 0;
if (!canMount) console.log("skipped: mounting needs /dev/fuse and root here (non-root uses fusermount3 from the fuse3 package)");
else {
  const mnt = path.join(work, "mnt");
  fs.mkdirSync(mnt);
  const m = Bun.spawn([bin, "mount", "--db", db, "--json", mnt], { stdout: "pipe", stderr: "inherit" });
  try {
    const reader = (m.stdout as ReadableStream<Uint8Array>).getReader();
    console.log(new TextDecoder().decode((await reader.read()).value).trim());
    reader.releaseLock();
    await $`/bin/ls ${mnt}`.nothrow();
    const artist = fs.readdirSync(mnt).find((n) => n.startsWith("Bj")) ?? fs.readdirSync(mnt)[0];
    await $`/bin/ls -R ${path.join(mnt, artist)}`.nothrow();
    const q = path.join(mnt, ".search", "format:flac year:1990..2030");
    console.log(`\n$ ls '${path.relative(work, q)}'`);
    await $`/bin/ls -l ${q}`.nothrow();
    const c = path.join(mnt, ".collections");
    console.log(`\n$ ls '${path.relative(work, c)}'`);
    await $`/bin/ls ${c}`.nothrow();

    // Tag edits without touching the file, and the tree rearranged: both stored in the catalog.
    const album = fs.readdirSync(path.join(mnt, artist)).map((n) => path.join(mnt, artist, n)).find((d) => fs.statSync(d).isDirectory())!;
    const track = fs.readdirSync(album).find((n) => !n.startsWith("cover"))!;
    console.log(`\n$ musicfs metadata set '${path.relative(work, path.join(album, track))}' title='Edited Through The Overlay' && ls '${path.relative(work, album)}'`);
    await $`${bin} metadata set --db ${db} ${path.join(album, track)} ${"title=Edited Through The Overlay"}`.nothrow();
    await Bun.sleep(2500); // the mount's workers look at the catalog once a second; the kernel keeps names 1 s
    await $`/bin/ls ${album}`.nothrow();
    console.log(`\n$ mkdir mnt/Favorites && mv … mnt/Favorites/ && rm (to mnt/.trash) && musicfs trash list`);
    fs.mkdirSync(path.join(mnt, "Favorites"));
    const [first, second] = fs.readdirSync(album).filter((n) => !n.startsWith("cover"));
    fs.renameSync(path.join(album, first), path.join(mnt, "Favorites", first));
    fs.rmSync(path.join(album, second));
    await $`/bin/ls ${path.join(mnt, "Favorites")}`.nothrow();
    await $`${bin} trash list --db ${db}`.nothrow();
  } finally {
    m.kill("SIGTERM");
    await m.exited;
  }
}

console.log(`\nDone (everything is under ${path.relative(process.cwd(), work)}). Try: ${path.relative(process.cwd(), bin)} chunk --json --list ${path.relative(process.cwd(), library)} | head -40`);
