// /.prefetch through a real kernel mount: the status file, and hint files that list what was
// played after a track (sequences learned from the access log, each seen at least twice).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { generateLibrary } from "../../internal/samplelib/index.ts";
import { FILE_INO_BASE } from "../../internal/vfs/index.ts";
import { tempDir } from "../helpers.ts";
import { startMountDaemon, stopMountDaemon, waitFor, type MountDaemon, mountSkipReason, trackFiles } from "./helpers.ts";

const skipReason = mountSkipReason();
if (skipReason) console.log(`skipping /.prefetch mount tests: ${skipReason}`);

const work = tempDir("musicfs-prefetch-mount-");
const lib = path.join(work, "lib");
const mnt = path.join(work, "mnt");
let daemon: MountDaemon | null = null;

beforeAll(async () => {
  if (skipReason) return;
  generateLibrary(lib, { artists: 2, albumsPerArtist: 1, tracksPerAlbum: 3, trackBytes: 8000, seed: 41, formats: ["flac"], hostile: false, malformed: false });
  fs.mkdirSync(mnt);
  daemon = await startMountDaemon(["--db", path.join(work, "catalog.db"), lib, mnt]);
});

afterAll(async () => {
  await stopMountDaemon(daemon, mnt);
  fs.rmSync(work, { recursive: true, force: true });
});

describe.skipIf(skipReason !== "")("/.prefetch", () => {
  test("status says what the engine does (disabled without remote origins); the folder is hidden", () => {
    expect(fs.readdirSync(mnt)).not.toContain(".prefetch");
    const status = fs.readFileSync(path.join(mnt, ".prefetch", "status"), "utf8");
    expect(status).toStartWith("MusicFS Prefetch Status\n");
    expect(status).toContain("engine: disabled");
  });

  test("a track played after another twice shows in the other's hint file", async () => {
    const [a, , c] = trackFiles(mnt).sort();
    const idOf = (p: string) => fs.statSync(p).ino - FILE_INO_BASE;
    for (let i = 0; i < 2; i++) for (const p of [a, c]) fs.readFileSync(p);
    const hint = path.join(mnt, ".prefetch", `hint_${String(idOf(a)).padStart(4, "0")}`);
    // The access log is written in batches every 2 s.
    expect(await waitFor(() => fs.existsSync(hint) && fs.readFileSync(hint, "utf8").split("\n").includes(String(idOf(c))), 8000)).toBe(true);
    expect(fs.readdirSync(path.join(mnt, ".prefetch"))).toContain(path.basename(hint));
    // c was followed by a only once: not learned yet.
    const back = fs.readFileSync(path.join(mnt, ".prefetch", `hint_${String(idOf(c)).padStart(4, "0")}`), "utf8");
    expect(back.split("\n")).not.toContain(String(idOf(a)));
    expect(() => fs.readFileSync(path.join(mnt, ".prefetch", "hint_99999999"))).toThrow(/ENOENT/);
    expect(() => fs.writeFileSync(path.join(mnt, ".prefetch", "status"), "x")).toThrow(/EROFS|EACCES|read-only/i);
  });
});
