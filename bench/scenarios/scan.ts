// `musicfs scan` speed: files/s of a first scan of a generated MP3/FLAC library (real tags, cover
// art on half the albums) into a fresh catalog file, the rescan of the same unchanged library,
// and the rescan of a large unchanged library (100 k files, 20 k with --quick) whose catalog rows
// are inserted directly (a first scan of 100 k files would take the whole time box).
import type { Database } from "bun:sqlite";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { defineScenario } from "../../internal/bench/index.ts";
import { openCatalog, scanLibrary, upsertTracks, type TrackInput } from "../../internal/catalog/index.ts";
import { generateLibrary } from "../../internal/samplelib/index.ts";

interface State {
  dir: string;
  lib: string;
  files: number;
  big: string;
  bigFiles: number;
  bigDb: Database;
  run: number;
}

/** `n` small .mp3/.flac files in folders of 100 (what stat and readdir see is all that matters). */
function writeManyFiles(root: string, n: number): TrackInput[] {
  const rows: TrackInput[] = [];
  const body = new Uint8Array(512);
  for (let i = 0; i < n; i++) {
    const dir = path.join(root, `a${Math.floor(i / 1000)}`, `b${Math.floor(i / 100) % 10}`);
    if (i % 100 === 0) fs.mkdirSync(dir, { recursive: true });
    const format = i % 2 ? "flac" : "mp3";
    const p = path.join(dir, `${i}.${format}`);
    fs.writeFileSync(p, body);
    const st = fs.statSync(p);
    rows.push({
      origin: "local",
      path: p,
      size: st.size,
      mtimeMs: Math.floor(st.mtimeMs),
      fingerprint: i.toString(16).padStart(16, "0"),
      format,
      durationMs: null,
      bitrate: null,
      sampleRate: null,
      title: `Track ${i}`,
      artist: `Artist ${i % 997}`,
      album: `Album ${i % 4999}`,
      albumArtist: null,
      genre: null,
      composer: null,
      year: 1950 + (i % 75),
      trackNo: (i % 12) + 1,
      discNo: 1,
      mbRecordingId: null,
      mbAlbumId: null,
      mbArtistId: null,
      mbAlbumArtistId: null,
      mbReleaseGroupId: null,
      hasCover: false,
      parseError: null,
    });
  }
  return rows;
}

export const scan = defineScenario<State>({
  id: "scan",
  description: "Tag scan of a generated MP3/FLAC library into a fresh catalog file, and rescans of unchanged libraries",
  metrics: [
    { id: "files-per-s", unit: "files/s", better: "higher", description: "first scan: walk, fingerprint, tags (worker pool), catalog writes" },
    { id: "rescan", unit: "ms", better: "lower", description: "rescan of the same library, nothing changed" },
    { id: "rescan-big", unit: "ms", better: "lower", description: "rescan of the large unchanged library (size in the notes)" },
  ],
  size: { full: 10_000, quick: 2_000, unit: "files" },
  repeat: { full: 5, quick: 3 },
  warmup: { full: 1, quick: 1 },
  budgetMs: { full: 40_000, quick: 8_000 },
  setup(ctx) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-bench-scan-"));
    const lib = path.join(dir, "lib");
    const t0 = performance.now();
    // 20 tracks per artist (2 albums of 10); 100 KB of audio per track, so the fingerprint reads
    // its head and tail like on real files.
    const files = generateLibrary(lib, { artists: Math.ceil(ctx.size / 20), albumsPerArtist: 2, tracksPerAlbum: 10, formats: ["mp3", "flac"], trackBytes: 100_000, hostile: false, malformed: false }).length;
    const big = path.join(dir, "big");
    const bigFiles = ctx.quick ? 20_000 : 100_000;
    const rows = writeManyFiles(big, bigFiles);
    const bigDb = openCatalog(path.join(dir, "big.db"));
    upsertTracks(bigDb, rows);
    ctx.note(`${files} generated files (MP3 ID3v2.4 / FLAC) and ${bigFiles} files for rescan-big, set up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return { dir, lib, files, big, bigFiles, bigDb, run: 0 };
  },
  async run(s) {
    const dbFile = path.join(s.dir, `scan-${s.run++}.db`);
    const db = openCatalog(dbFile);
    try {
      const first = await scanLibrary(db, [s.lib]);
      if (first.added !== s.files || first.failed !== 0) throw new Error(`scan added ${first.added} of ${s.files} files, ${first.failed} failed`);
      const t1 = performance.now();
      const again = await scanLibrary(db, [s.lib]);
      const rescan = performance.now() - t1;
      if (again.unchanged !== s.files) throw new Error(`rescan saw ${again.unchanged} of ${s.files} files unchanged`);
      const t2 = performance.now();
      const big = await scanLibrary(s.bigDb, [s.big]);
      const rescanBig = performance.now() - t2;
      if (big.unchanged !== s.bigFiles) throw new Error(`big rescan saw ${big.unchanged} of ${s.bigFiles} files unchanged`);
      return { "files-per-s": s.files / (first.durationMs / 1000), rescan, "rescan-big": rescanBig };
    } finally {
      db.close();
      for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) fs.rmSync(f, { force: true });
    }
  },
  teardown(s) {
    s.bigDb.close();
    fs.rmSync(s.dir, { recursive: true, force: true });
  },
});
