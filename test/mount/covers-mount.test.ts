// Album covers through a real kernel mount (FR-16): an album whose tracks carry embedded art
// lists cover.jpg (full size), cover-150.jpg and cover-300.jpg; an album without art lists none.
// The pictures are checked with image-size (an independent reader of the image headers).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { imageSize } from "image-size";
import * as fs from "node:fs";
import * as path from "node:path";
import { generateLibrary, retag, type GeneratedFile } from "../../internal/samplelib/index.ts";
import { tempDir } from "../helpers.ts";
import { jpegPicture } from "../cover/helpers.ts";
import { sha256, startMountDaemon, stopMountDaemon, type MountDaemon, mountSkipReason } from "./helpers.ts";

const skipReason = mountSkipReason();
if (skipReason) console.log(`skipping cover mount tests: ${skipReason}`);

const work = tempDir("musicfs-covers-mount-");
const lib = path.join(work, "lib");
const mnt = path.join(work, "mnt");
const db = path.join(work, "catalog.db");
let daemon: MountDaemon | null = null;
let picture: Uint8Array;
const sums = new Map<string, string>();

/** Album folders of the mount: folders that hold audio files. */
function albums(): string[] {
  const out: string[] = [];
  for (const artist of fs.readdirSync(mnt)) for (const album of fs.readdirSync(path.join(mnt, artist))) out.push(path.join(mnt, artist, album));
  return out;
}

beforeAll(async () => {
  if (skipReason) return;
  const files: GeneratedFile[] = generateLibrary(lib, { artists: 1, albumsPerArtist: 2, tracksPerAlbum: 2, trackBytes: 20_000, seed: 31, formats: ["flac", "mp3"], hostile: false, malformed: false });
  // Album 1 (even index: samplelib puts an 8x8 PNG on it) gets a 640x480 JPEG on its first track.
  picture = await jpegPicture(640, 480);
  const withArt = files.filter((f) => f.tags.cover);
  expect(withArt.length).toBeGreaterThan(0);
  await retag(withArt[0].path, { cover: picture });
  for (const f of files) sums.set(f.path, sha256(f.path));
  fs.mkdirSync(mnt);
  daemon = await startMountDaemon(["--db", db, lib, mnt]);
});

afterAll(async () => {
  await stopMountDaemon(daemon, mnt);
  fs.rmSync(work, { recursive: true, force: true });
});

describe.skipIf(skipReason !== "")("album covers in the mount", () => {
  test("an album with art lists the three cover files; one without lists none", () => {
    const listed = albums().map((a) => fs.readdirSync(a).filter((n) => n.startsWith("cover")).sort());
    expect(listed).toContainEqual(["cover-150.jpg", "cover-300.jpg", "cover.jpg"]);
    expect(listed).toContainEqual([]);
    const bare = albums().find((a) => !fs.readdirSync(a).includes("cover.jpg"))!;
    expect(() => fs.statSync(path.join(bare, "cover.jpg"))).toThrow(/ENOENT/);
  });

  test("cover.jpg is the largest embedded picture; the thumbnails are JPEGs of 300 and 150 px", () => {
    const album = albums().find((a) => fs.readdirSync(a).includes("cover.jpg"))!;
    const full = fs.readFileSync(path.join(album, "cover.jpg"));
    expect(Buffer.from(full).equals(Buffer.from(picture))).toBe(true);
    expect(fs.statSync(path.join(album, "cover.jpg")).size).toBe(picture.length);
    for (const [name, w, h] of [["cover-300.jpg", 300, 225], ["cover-150.jpg", 150, 113]] as const) {
      const p = path.join(album, name);
      const bytes = fs.readFileSync(p);
      expect(fs.statSync(p).size).toBe(bytes.length);
      expect([...bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
      const dim = imageSize(bytes);
      expect(dim.type).toBe("jpg");
      expect(Math.max(dim.width, dim.height)).toBe(w);
      expect(Math.abs(dim.height - h)).toBeLessThanOrEqual(1);
    }
    // The origin files are never touched.
    for (const [p, s] of sums) expect(sha256(p)).toBe(s);
  });

  test("cover files are read-only", () => {
    const album = albums().find((a) => fs.readdirSync(a).includes("cover.jpg"))!;
    expect(() => fs.writeFileSync(path.join(album, "cover.jpg"), "x")).toThrow(/EROFS|EACCES|read-only/i);
  });
});
