// `musicfs mount` for real: a sample library in real formats, scanned into a catalog, mounted
// through the kernel by a child process, read with ordinary file tools.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { generateLibrary, type GeneratedFile } from "../../internal/samplelib/index.ts";
import { BUN, REPO, tempDir } from "../helpers.ts";

const skipReason = !fs.existsSync("/dev/fuse") ? "no /dev/fuse" : process.getuid?.() !== 0 ? "not root (the mount test mounts with mount(2))" : "";
if (skipReason) console.log(`skipping mount tests: ${skipReason}`);

const work = tempDir("musicfs-mount-");
const lib = path.join(work, "lib");
const mnt = path.join(work, "mnt");
const db = path.join(work, "catalog.db");
let files: GeneratedFile[] = [];
let child: ReturnType<typeof Bun.spawn> | null = null;

function sha256(p: string): string {
  return new Bun.CryptoHasher("sha256").update(fs.readFileSync(p)).digest("hex");
}

function isMounted(p: string): boolean {
  return fs.readFileSync("/proc/self/mounts", "utf8").split("\n").some((l) => l.split(" ")[1] === p);
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await Bun.sleep(25);
  }
  return cond();
}

beforeAll(async () => {
  if (skipReason) return;
  files = generateLibrary(lib, { artists: 3, albumsPerArtist: 2, tracksPerAlbum: 3, trackBytes: 300_000, seed: 3 });
  fs.mkdirSync(mnt);
  child = Bun.spawn([BUN, path.join(REPO, "cmd/musicfs.ts"), "mount", "--db", db, "--library", lib, "--json", mnt], { stdout: "pipe", stderr: "pipe" });
  const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  const line = new TextDecoder().decode(value);
  expect(JSON.parse(line.split("\n")[0]).event).toBe("mounted");
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill("SIGTERM");
    await waitFor(() => child!.exitCode !== null, 5000);
  }
  if (isMounted(mnt)) Bun.spawnSync(["umount", "-l", mnt]);
  fs.rmSync(work, { recursive: true, force: true });
});

describe.skipIf(skipReason !== "")("musicfs mount", () => {
  test("the root lists artists by tag; hidden folders stay hidden", () => {
    const names = fs.readdirSync(mnt);
    const artists = new Set(files.filter((f) => !f.malformed && !f.hostile).map((f) => f.tags.artist!));
    for (const a of artists) expect(names).toContain(a.replace(/[\/\\:*?"<>|]/g, "_"));
    expect(names).not.toContain(".search");
  });

  test("every track's bytes read through the mount equal its origin file", () => {
    let checked = 0;
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else {
          const st = fs.statSync(p);
          const origin = files.find((f) => f.size === st.size && sha256(f.path) === sha256(p));
          expect(origin, `no origin file matches ${p}`).toBeDefined();
          checked++;
        }
      }
    };
    walk(mnt);
    expect(checked).toBe(files.length);
  });

  test("template path: $artist/$album ($year) [$format_upper]/$track - $title.$format", () => {
    const t = files.find((f) => !f.malformed && !f.hostile && f.format === "flac")!;
    const p = path.join(mnt, t.tags.artist!, `${t.tags.album} (${t.tags.year}) [FLAC]`, `${String(t.tags.trackNo).padStart(2, "0")} - ${t.tags.title}.flac`);
    expect(fs.existsSync(p)).toBe(true);
    expect(sha256(p)).toBe(sha256(t.path));
    expect(fs.statSync(p).size).toBe(t.size);
  });

  test("search folders list hits as symlinks that open the real bytes", () => {
    const t = files.find((f) => !f.malformed && !f.hostile && f.format === "mp3")!;
    const q = path.join(mnt, ".search", `artist:"${t.tags.artist}"`);
    const hits = fs.readdirSync(q);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0]).toMatch(/^001\. /);
    const hit = hits.find((h) => h.includes(t.tags.title!))!;
    expect(hit).toBeDefined();
    expect(fs.lstatSync(path.join(q, hit)).isSymbolicLink()).toBe(true);
    expect(sha256(path.join(q, hit))).toBe(sha256(t.path));
  });

  test("a query with no hits is an empty folder; a bad query is EINVAL, not a crash", () => {
    expect(fs.readdirSync(path.join(mnt, ".search", "artist:nobody-has-this-name"))).toEqual([]);
    expect(() => fs.readdirSync(path.join(mnt, ".search", "year:[1990 TO"))).toThrow(/EINVAL|invalid/i);
    expect(fs.readdirSync(mnt).length).toBeGreaterThan(0);
  });

  test("writes are refused with EROFS; missing names are ENOENT", () => {
    expect(() => fs.writeFileSync(path.join(mnt, "new.txt"), "x")).toThrow(/EROFS|read-only/i);
    const any = fs.readdirSync(mnt)[0];
    expect(() => fs.mkdirSync(path.join(mnt, any, "x"))).toThrow(/EROFS|read-only/i);
    expect(() => fs.statSync(path.join(mnt, "No Such Artist"))).toThrow(/ENOENT/);
  });

  test("SIGTERM unmounts cleanly", async () => {
    child!.kill("SIGTERM");
    expect(await waitFor(() => child!.exitCode !== null, 10_000)).toBe(true);
    expect(isMounted(mnt)).toBe(false);
  });
});
