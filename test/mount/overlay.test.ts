// The metadata overlay through a real kernel mount: tags edited over the API show in the bytes a
// reader gets (checked with python3 mutagen, an independent reader), the audio bytes and the
// origin file stay as they were, stat reports the new size, the file moves in the tree by its
// new tags, edits survive a remount, and clearing them gives the original bytes back.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { generateLibrary, type GeneratedFile } from "../../internal/samplelib/index.ts";
import { FILE_INO_BASE } from "../../internal/vfs/index.ts";
import { tempDir } from "../helpers.ts";
import { findMutagen, mutagenRead } from "../overlay/helpers.ts";
import { isMounted, sha256, startMountDaemon, stopMountDaemon, waitFor, type MountDaemon, mountSkipReason } from "./helpers.ts";

const skipReason = mountSkipReason(() => (findMutagen() ? "" : "python3 mutagen is not installed (Debian: python3-mutagen)"));
if (skipReason) console.log(`skipping overlay mount tests: ${skipReason}`);

const work = tempDir("musicfs-overlay-mount-");
const lib = path.join(work, "lib");
const mnt = path.join(work, "mnt");
const db = path.join(work, "catalog.db");
let files: GeneratedFile[] = [];
let daemon: MountDaemon | null = null;
let mp3: GeneratedFile;
let flac: GeneratedFile;
const originSums = new Map<string, string>();

async function mount(scan: boolean): Promise<void> {
  daemon = await startMountDaemon(["--db", db, "--serve", "127.0.0.1:0", ...(scan ? [lib] : []), mnt]);
}

/** One Connect JSON call, as curl or a browser would make it. */
async function call(method: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${daemon!.ready.api}/musicfs.v1.MetadataService/${method}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** The mounted path of catalog track `id` (files keep inode FILE_INO_BASE + id wherever the tree puts them). */
function findInMount(id: number, dir = mnt): string | null {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return null; // a folder listed just before the tree changed (the kernel's cached listing)
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const hit = findInMount(id, p);
      if (hit) return hit;
    } else if (fs.statSync(p, { throwIfNoEntry: false })?.ino === FILE_INO_BASE + id) return p;
  }
  return null;
}

/** The audio part of an MP3 or FLAC file: after its ID3v2 tags / metadata blocks, before an ID3v1 trailer. */
function audioOf(b: Uint8Array, format: string): Uint8Array {
  if (format === "mp3") {
    let off = 0;
    while (b[off] === 0x49 && b[off + 1] === 0x44 && b[off + 2] === 0x33) {
      const size = (b[off + 6] << 21) | (b[off + 7] << 14) | (b[off + 8] << 7) | b[off + 9];
      off += 10 + size + (b[off + 5] & 0x10 ? 10 : 0);
    }
    const end = b.length >= 128 && b[b.length - 128] === 0x54 && b[b.length - 127] === 0x41 && b[b.length - 126] === 0x47 ? b.length - 128 : b.length;
    return b.subarray(off, end);
  }
  let off = 4;
  for (;;) {
    const last = b[off] & 0x80;
    off += 4 + ((b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]);
    if (last) return b.subarray(off);
  }
}

let ids: { mp3: number; flac: number };

beforeAll(async () => {
  if (skipReason) return;
  files = generateLibrary(lib, { artists: 2, albumsPerArtist: 2, tracksPerAlbum: 2, trackBytes: 200_000, seed: 8, formats: ["mp3", "flac"] });
  const good = files.filter((f) => !f.malformed && !f.hostile);
  mp3 = good.find((f) => f.format === "mp3")!;
  flac = good.find((f) => f.format === "flac")!;
  for (const f of files) originSums.set(f.path, sha256(f.path));
  fs.mkdirSync(mnt);
  await mount(true);
  const idOf = async (f: GeneratedFile) => Number((await call("GetMetadata", { virtualPath: f.path })).json.fileId);
  ids = { mp3: await idOf(mp3), flac: await idOf(flac) };
});

afterAll(async () => {
  await stopMountDaemon(daemon, mnt);
  fs.rmSync(work, { recursive: true, force: true });
});

describe.skipIf(skipReason !== "")("metadata overlay through the mount", () => {
  test("UpdateMetadata: the file moves to its new tags' path and starts with a header carrying them", async () => {
    for (const [f, id] of [[mp3, ids.mp3], [flac, ids.flac]] as const) {
      const r = await call("UpdateMetadata", { fileId: String(id), title: `Edited ${f.format}`, artist: "Overlay Artist", genre: "", trackNumber: 7 });
      expect(r.status).toBe(200);
      expect(r.json.success).toBe(true);
    }
    // The tree follows the catalog within a second or two (workers check once a second).
    expect(await waitFor(() => fs.existsSync(path.join(mnt, "Overlay Artist")), 10_000)).toBe(true);
    const names = new Map<string, string>();
    for (const [f, id] of [[mp3, ids.mp3], [flac, ids.flac]] as const) {
      const p = findInMount(id)!;
      expect(p.startsWith(path.join(mnt, "Overlay Artist") + "/")).toBe(true);
      expect(path.basename(p)).toBe(`07 - Edited ${f.format}.${f.format}`);
      // stat settles on the virtual size once the kernel's cached attributes expire (1 s).
      expect(await waitFor(() => fs.statSync(p).size === fs.readFileSync(p).length, 5000)).toBe(true);
      const bytes = fs.readFileSync(p);
      expect(fs.statSync(p).size).toBe(bytes.length);
      // Audio bytes unchanged; origin file unchanged.
      const original = fs.readFileSync(f.path);
      expect(Buffer.from(audioOf(bytes, f.format)).equals(Buffer.from(audioOf(original, f.format)))).toBe(true);
      expect(sha256(f.path)).toBe(originSums.get(f.path)!);
      names.set(f.format, `x.${f.format}`);
      fs.writeFileSync(path.join(work, `x.${f.format}`), bytes);
    }
    // An independent reader sees the overlay's tags, not the file's.
    const m = mutagenRead(work, { "m.mp3": fs.readFileSync(path.join(work, "x.mp3")), "f.flac": fs.readFileSync(path.join(work, "x.flac")) });
    const id3 = m[path.join(work, "m.mp3")] ?? Object.values(m).find((v) => "frames" in v)!;
    const frames = id3.frames as Record<string, string[]>;
    expect(frames.TIT2).toEqual(["Edited mp3"]);
    expect(frames.TPE1).toEqual(["Overlay Artist"]);
    expect(frames.TRCK?.[0]).toStartWith("7");
    expect(frames.TCON).toBeUndefined();
    expect(frames.TALB).toEqual([mp3.tags.album!]);
    const vorbis = (Object.values(m).find((v) => "tags" in v)!.tags as [string, string][]);
    const get = (k: string) => vorbis.filter(([key]) => key === k).map(([, v]) => v);
    expect(get("TITLE")).toEqual(["Edited flac"]);
    expect(get("ARTIST")).toEqual(["Overlay Artist"]);
    expect(get("GENRE")).toEqual([]);
    expect(get("ALBUM")).toEqual([flac.tags.album!]);
  });

  test("GetMetadata by a path inside the mount reports the edits; a search folder finds the new title", async () => {
    const p = findInMount(ids.flac)!;
    const r = await call("GetMetadata", { virtualPath: path.relative(mnt, p) });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ fileId: String(ids.flac), title: "Edited flac", artist: "Overlay Artist", track: 7 });
    expect((r.json.customTags as Record<string, string>)["musicfs.overlay.fields"]).toContain("title");
    const hits = fs.readdirSync(path.join(mnt, ".search", "title:edited"));
    expect(hits.length).toBe(2);
  });

  test("bad edits are refused with the field named, nothing changes", async () => {
    const before = fs.readFileSync(findInMount(ids.mp3)!);
    const r = await call("UpdateMetadata", { fileId: String(ids.mp3), date: "yesterday" });
    expect(r.status).toBe(400);
    expect(String(r.json.message)).toContain("date");
    const un = await call("UpdateMetadata", { fileId: String(ids.mp3), lyrics: "la la" });
    expect(un.status).toBe(400);
    expect(String(un.json.message)).toContain("lyrics");
    const missing = await call("UpdateMetadata", { fileId: "999999", title: "x" });
    expect(missing.status).toBe(404);
    await Bun.sleep(1200);
    expect(Buffer.from(fs.readFileSync(findInMount(ids.mp3)!)).equals(Buffer.from(before))).toBe(true);
  });

  test("edits survive a remount", async () => {
    await stopMountDaemon(daemon, mnt);
    expect(isMounted(mnt)).toBe(false);
    await mount(false);
    const p = findInMount(ids.mp3)!;
    expect(path.basename(p)).toBe("07 - Edited mp3.mp3");
    // The listing (READDIRPLUS) already carried the virtual size: no stale original size to wait out.
    expect(fs.statSync(p).size).toBe(fs.readFileSync(p).length);
    const f = findInMount(ids.flac)!;
    expect(fs.statSync(f).size).toBe(fs.readFileSync(f).length);
    const m = mutagenRead(work, { "again.mp3": fs.readFileSync(p) });
    expect((Object.values(m)[0].frames as Record<string, string[]>).TIT2).toEqual(["Edited mp3"]);
  });

  test("ClearOverlay gives back the original bytes and path", async () => {
    for (const id of [ids.mp3, ids.flac]) expect((await call("ClearOverlay", { fileId: String(id) })).json.success).toBe(true);
    for (const [f, id] of [[mp3, ids.mp3], [flac, ids.flac]] as const) {
      expect(await waitFor(() => {
        const p = findInMount(id);
        return p !== null && !p.includes("Overlay Artist") && fs.statSync(p).size === f.size && sha256(p) === originSums.get(f.path);
      }, 10_000)).toBe(true);
    }
    // The kernel may keep the old folder's entry for its 1 s TTL.
    expect(await waitFor(() => !fs.existsSync(path.join(mnt, "Overlay Artist")), 5000)).toBe(true);
  });
});
