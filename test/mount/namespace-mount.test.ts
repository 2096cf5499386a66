// Namespace edits through a real kernel mount, with the tools people use: mkdir, mv of files and
// folders, rm to /.trash, rmdir, `musicfs trash restore`; the edits survive a remount and the
// origin files are never touched.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { generateLibrary, type GeneratedFile } from "../../internal/samplelib/index.ts";
import { runCli, tempDir } from "../helpers.ts";
import { isMounted, sha256, startMountDaemon, stopMountDaemon, waitFor, type MountDaemon, mountSkipReason, trackFiles } from "./helpers.ts";

const skipReason = mountSkipReason();
if (skipReason) console.log(`skipping namespace mount tests: ${skipReason}`);

const work = tempDir("musicfs-ns-mount-");
const lib = path.join(work, "lib");
const mnt = path.join(work, "mnt");
const db = path.join(work, "catalog.db");
let files: GeneratedFile[] = [];
let daemon: MountDaemon | null = null;
const originSums = new Map<string, string>();
/** Mounted path → origin file, for the first listing. */
const byMounted = new Map<string, GeneratedFile>();

/** The errno code a failing call throws. */
function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as NodeJS.ErrnoException).code;
  }
  return undefined;
}

beforeAll(async () => {
  if (skipReason) return;
  files = generateLibrary(lib, { artists: 2, albumsPerArtist: 2, tracksPerAlbum: 2, trackBytes: 20_000, seed: 21, formats: ["mp3", "flac"], hostile: false, malformed: false });
  for (const f of files) originSums.set(f.path, sha256(f.path));
  fs.mkdirSync(mnt);
  daemon = await startMountDaemon(["--db", db, lib, mnt]);
  const bySum = new Map([...originSums].map(([p, s]) => [s, files.find((f) => f.path === p)!]));
  for (const p of trackFiles(mnt)) byMounted.set(p, bySum.get(sha256(p))!);
});

afterAll(async () => {
  await stopMountDaemon(daemon, mnt);
  fs.rmSync(work, { recursive: true, force: true });
});

describe.skipIf(skipReason !== "")("namespace edits through the mount", () => {
  const picks = () => [...byMounted.keys()].sort();

  test("mkdir and mv of a file: it reads the same bytes at its new place", () => {
    fs.mkdirSync(path.join(mnt, "Favorites"));
    expect(fs.statSync(path.join(mnt, "Favorites")).isDirectory()).toBe(true);
    const src = picks()[0];
    const dst = path.join(mnt, "Favorites", "best.flac");
    fs.renameSync(src, dst);
    expect(fs.existsSync(src)).toBe(false);
    expect(sha256(dst)).toBe(originSums.get(byMounted.get(src)!.path)!);
  });

  test("mv of a folder keeps everything in it readable", () => {
    const album = path.dirname(picks()[2]);
    const inside = trackFiles(album);
    expect(inside.length).toBeGreaterThan(0);
    const renamed = path.join(mnt, "Renamed Album");
    fs.renameSync(album, renamed);
    expect(fs.existsSync(album)).toBe(false);
    for (const p of inside) {
      const moved = path.join(renamed, path.relative(album, p));
      expect(sha256(moved)).toBe(originSums.get(byMounted.get(p)!.path)!);
    }
  });

  test("rm moves a track to /.trash/<its path>; the origin file stays", () => {
    const victim = picks()[picks().length - 1];
    const rel = path.relative(mnt, victim);
    fs.rmSync(victim);
    expect(fs.existsSync(victim)).toBe(false);
    expect(sha256(path.join(mnt, ".trash", rel))).toBe(originSums.get(byMounted.get(victim)!.path)!);
    expect(fs.existsSync(byMounted.get(victim)!.path)).toBe(true);
    expect(fs.readdirSync(mnt)).not.toContain(".trash"); // hidden like .search
  });

  test("rename(2) and rmdir(2) errors as on a disk; contents and special folders stay read-only", () => {
    const [a, b] = picks().filter((p) => fs.existsSync(p));
    expect(codeOf(() => fs.renameSync(a, b))).toBe("EEXIST");
    expect(codeOf(() => fs.rmdirSync(path.join(mnt, "Favorites")))).toBe("ENOTEMPTY");
    fs.mkdirSync(path.join(mnt, "Empty"));
    fs.rmdirSync(path.join(mnt, "Empty"));
    expect(fs.existsSync(path.join(mnt, "Empty"))).toBe(false);
    expect(codeOf(() => fs.mkdirSync(path.join(mnt, ".collections", "Mine")))).toBe("EROFS");
    expect(codeOf(() => fs.writeFileSync(a, "overwrite"))).toBe("EROFS");
    expect(codeOf(() => fs.writeFileSync(path.join(mnt, "Favorites", "new.txt"), "x"))).toBe("EROFS");
  });

  test("edits survive a remount; trash restore brings a track back; origins untouched", async () => {
    const before = trackFiles(mnt).map((p) => path.relative(mnt, p)).sort();
    await stopMountDaemon(daemon, mnt);
    expect(isMounted(mnt)).toBe(false);
    daemon = await startMountDaemon(["--db", db, mnt]);
    expect(trackFiles(mnt).map((p) => path.relative(mnt, p)).sort()).toEqual(before);
    expect(fs.existsSync(path.join(mnt, "Favorites", "best.flac"))).toBe(true);

    const trashed = JSON.parse(runCli(["trash", "list", "--db", db, "--json"]).stdout);
    const entries = (Array.isArray(trashed) ? trashed : trashed.entries) as { originalPath?: string; path?: string }[];
    expect(entries.length).toBe(1);
    const original = String(entries[0].originalPath ?? entries[0].path);
    const r = runCli(["trash", "restore", "--db", db, original]);
    expect(r.code).toBe(0);
    expect(await waitFor(() => fs.existsSync(path.join(mnt, original)), 5000)).toBe(true);
    for (const f of files) expect(sha256(f.path)).toBe(originSums.get(f.path)!);
  });
});
