// The mount follows the library (FR-10): files added to, retagged in or deleted from the folder
// it serves show in the tree without a rescan by hand or a remount; --no-watch keeps the catalog as it is.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { generateLibrary, retag, type GeneratedFile } from "../../internal/samplelib/index.ts";
import { tempDir } from "../helpers.ts";
import { mountSkipReason, shownAt, startMountDaemon, stopMountDaemon, waitFor, sha256, type MountDaemon } from "./helpers.ts";

const skipReason = mountSkipReason();
if (skipReason) console.log(`skipping watch mount tests: ${skipReason}`);

const work = tempDir("musicfs-watch-mount-");
const lib = path.join(work, "lib");
const more = path.join(work, "more");
const mnt = path.join(work, "mnt");
let files: GeneratedFile[] = [];
let extra: GeneratedFile[] = [];
let daemon: MountDaemon | null = null;

const shown = (f: GeneratedFile, tags = f.tags) => shownAt(mnt, f, tags);
const exists = (p: string) => fs.existsSync(p);

beforeAll(async () => {
  if (skipReason) return;
  files = generateLibrary(lib, { artists: 1, albumsPerArtist: 1, tracksPerAlbum: 3, trackBytes: 200_000, formats: ["flac"], hostile: false, malformed: false, seed: 11 });
  extra = generateLibrary(more, { artists: 1, albumsPerArtist: 1, tracksPerAlbum: 2, trackBytes: 200_000, formats: ["flac"], hostile: false, malformed: false, seed: 12 });
  fs.mkdirSync(mnt);
  daemon = await startMountDaemon(["--db", path.join(work, "catalog.db"), lib, mnt]);
});

afterAll(async () => {
  await stopMountDaemon(daemon, mnt);
  fs.rmSync(work, { recursive: true, force: true });
});

describe.skipIf(skipReason !== "")("mount follows the library folder", () => {
  test("an album moved into the folder shows, byte-identical, without a rescan by hand", async () => {
    expect(exists(shown(files[0]))).toBe(true);
    expect(exists(shown(extra[0]))).toBe(false);
    fs.renameSync(path.join(more, extra[0].relPath.split("/")[0]), path.join(lib, "moved in"));
    const target = shown(extra[0]);
    expect(await waitFor(() => exists(target), 15_000)).toBe(true);
    expect(sha256(target)).toBe(sha256(path.join(lib, "moved in", extra[0].relPath.split("/").slice(1).join("/"))));
    expect(daemon!.log()).toContain("rescanned");
  }, 30_000);

  test("a retagged track moves to its new name; a deleted one leaves the tree", async () => {
    const t = files[1];
    const renamed = await retag(t.path, { title: "Renamed By Tag" });
    expect(await waitFor(() => exists(shown(t, renamed)) && !exists(shown(t)), 15_000)).toBe(true);
    fs.unlinkSync(files[2].path);
    expect(await waitFor(() => !exists(shown(files[2])), 15_000)).toBe(true);
    expect(exists(shown(files[0]))).toBe(true); // untouched tracks stay
  }, 45_000);
});

describe.skipIf(skipReason !== "")("mount follows the library folder, conservatively", () => {
  test("a folder that empties (a disk unmounted under it) keeps its tracks in the tree, and the log says why", async () => {
    const away = path.join(work, "away");
    fs.renameSync(lib, away);
    fs.mkdirSync(lib); // the empty mountpoint an unmounted disk leaves behind
    try {
      expect(await waitFor(() => daemon!.log().includes("no audio files here any more"), 20_000)).toBe(true);
      expect(exists(shown(files[0]))).toBe(true);
    } finally {
      fs.rmdirSync(lib);
      fs.renameSync(away, lib);
    }
  }, 30_000);
});

describe.skipIf(skipReason !== "")("mount --no-watch", () => {
  test("keeps the catalog as it is: a file added meanwhile does not show", async () => {
    const lib2 = path.join(work, "lib2");
    const mnt2 = path.join(work, "mnt2");
    const [first] = generateLibrary(lib2, { artists: 1, albumsPerArtist: 1, tracksPerAlbum: 1, trackBytes: 100_000, formats: ["flac"], hostile: false, malformed: false, seed: 13 });
    fs.mkdirSync(mnt2);
    const d = await startMountDaemon(["--db", path.join(work, "catalog2.db"), "--no-watch", lib2, mnt2]);
    try {
      const late = generateLibrary(path.join(work, "late"), { artists: 1, albumsPerArtist: 1, tracksPerAlbum: 1, trackBytes: 100_000, formats: ["flac"], hostile: false, malformed: false, seed: 14 })[0];
      fs.renameSync(path.join(work, "late", late.relPath.split("/")[0]), path.join(lib2, "late"));
      const at = (f: GeneratedFile) => shownAt(mnt2, f);
      expect(exists(at(first))).toBe(true);
      // Longer than a watching mount takes (debounce 0.2 s, settle 1 s, refresh 1 s).
      expect(await waitFor(() => exists(at(late)), 3500)).toBe(false);
    } finally {
      await stopMountDaemon(d, mnt2);
    }
  }, 30_000);
});
