// `musicfs mount` for real: a sample library in real formats, scanned into a catalog, mounted
// through the kernel by a child process, read with ordinary file tools.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import * as fs from "node:fs";
import * as path from "node:path";
import { generateLibrary, retag, type GeneratedFile } from "../../internal/samplelib/index.ts";
import { BUN, REPO, tempDir } from "../helpers.ts";
import { isMounted, sha256, waitFor, mountSkipReason, trackFiles } from "./helpers.ts";

const skipReason = mountSkipReason();
if (skipReason) console.log(`skipping mount tests: ${skipReason}`);

const work = tempDir("musicfs-mount-");
const lib = path.join(work, "lib");
const mnt = path.join(work, "mnt");
const db = path.join(work, "catalog.db");
let files: GeneratedFile[] = [];
let child: ReturnType<typeof Bun.spawn> | null = null;


beforeAll(async () => {
  if (skipReason) return;
  files = generateLibrary(lib, { artists: 3, albumsPerArtist: 2, tracksPerAlbum: 3, trackBytes: 300_000, seed: 3 });
  fs.mkdirSync(mnt);
  child = await startMount([lib, mnt]);
});

let lastReady: Record<string, unknown> = {};

/** Starts `musicfs mount ARGS` and waits for its JSON ready line (kept in lastReady). */
async function startMount(args: string[], env: Record<string, string> = {}): Promise<ReturnType<typeof Bun.spawn>> {
  const p = Bun.spawn([BUN, path.join(REPO, "cmd/musicfs.ts"), "mount", "--db", db, "--json", ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  const reader = (p.stdout as ReadableStream<Uint8Array>).getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  const line = new TextDecoder().decode(value ?? new Uint8Array());
  if (!line.includes('"mounted"')) throw new Error(`mount did not start: ${line} ${await new Response(p.stderr as ReadableStream).text()}`);
  lastReady = JSON.parse(line.split("\n")[0]);
  return p;
}

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
    for (const p of trackFiles(mnt)) {
      const st = fs.statSync(p);
      const origin = files.find((f) => f.size === st.size && sha256(f.path) === sha256(p));
      expect(origin, `no origin file matches ${p}`).toBeDefined();
      checked++;
    }
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

  test("writes are refused with EROFS (folders are namespace edits, test/mount/namespace-mount.test.ts); missing names are ENOENT", () => {
    expect(() => fs.writeFileSync(path.join(mnt, "new.txt"), "x")).toThrow(/EROFS|read-only/i);
    const any = trackFiles(mnt)[0];
    expect(() => fs.writeFileSync(any, "x")).toThrow(/EROFS|read-only/i);
    expect(() => fs.appendFileSync(any, "x")).toThrow(/EROFS|read-only/i);
    expect(() => fs.truncateSync(any, 0)).toThrow(/EROFS|read-only|EPERM|ENOSYS/i);
    expect(() => fs.statSync(path.join(mnt, "No Such Artist"))).toThrow(/ENOENT/);
  });

  test("find and md5sum over the whole tree equal the source files", () => {
    const found = Bun.spawnSync(["find", mnt, "-type", "f", "-not", "-name", "cover*.jpg"], { stdout: "pipe" }).stdout.toString().trim().split("\n");
    expect(found.length).toBe(files.length);
    const sums = (paths: string[]) => Bun.spawnSync(["md5sum", ...paths], { stdout: "pipe" }).stdout.toString().trim().split("\n").map((l) => l.split(" ")[0]).sort();
    expect(sums(found)).toEqual(sums(files.map((f) => f.path)));
  });

  test("8 parallel readers and random-offset reads match the source", async () => {
    const mounted = trackFiles(mnt);
    const bySize = new Map(files.map((f) => [f.size, f.path]));
    const target = mounted.find((p) => fs.statSync(p).size > 200_000)!;
    const source = fs.readFileSync(bySize.get(fs.statSync(target).size)!);
    const readers = Array.from({ length: 8 }, () => fs.promises.readFile(target));
    for (const got of await Promise.all(readers)) expect(Buffer.compare(got, source)).toBe(0);
    const fd = fs.openSync(target, "r");
    try {
      let seed = 42;
      for (let i = 0; i < 200; i++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const off = seed % source.length;
        const len = 1 + (seed % 70_000);
        const buf = Buffer.alloc(len);
        const n = fs.readSync(fd, buf, 0, len, off);
        expect(n).toBe(Math.min(len, source.length - off));
        expect(Buffer.compare(buf.subarray(0, n), source.subarray(off, off + n))).toBe(0);
      }
    } finally {
      fs.closeSync(fd);
    }
  });

  test("a rescan shows a retagged file's new size and bytes without a remount", async () => {
    const t = files.find((f) => !f.malformed && !f.hostile && f.format === "flac")!;
    const p = path.join(mnt, t.tags.artist!, `${t.tags.album} (${t.tags.year}) [FLAC]`, `${String(t.tags.trackNo).padStart(2, "0")} - ${t.tags.title}.flac`);
    const before = fs.statSync(p).size;
    await retag(t.path, { comment: "a much longer comment than before ".repeat(20) });
    const scan = Bun.spawnSync([BUN, path.join(REPO, "cmd/musicfs.ts"), "scan", "--db", db, lib], { stdout: "pipe", stderr: "pipe" });
    expect(scan.exitCode).toBe(0);
    const after = fs.statSync(t.path).size;
    expect(after).toBeGreaterThan(before);
    expect(await waitFor(() => fs.statSync(p).size === after, 5000)).toBe(true);
    // Attributes the kernel cached (1 s) may still say the old size for a moment.
    const want = sha256(t.path);
    expect(await waitFor(() => sha256(p) === want, 3000)).toBe(true);
  });

  test("/.collections: Recently Added and one folder per decade, entries link into the tree", () => {
    const names = fs.readdirSync(path.join(mnt, ".collections"));
    const good = files.filter((f) => !f.malformed && f.tags.year); // hostile names are cataloged too
    const decades = [...new Set(good.map((f) => `${Math.floor(f.tags.year! / 10) * 10}s`))].sort();
    expect(names).toContain("Recently Added");
    for (const d of decades) expect(names).toContain(d);
    expect(fs.readdirSync(mnt)).not.toContain(".collections"); // hidden, like .search
    // Every track was just scanned: all are recently added.
    const recent = fs.readdirSync(path.join(mnt, ".collections", "Recently Added"));
    expect(recent.length).toBe(fs.readdirSync(path.join(mnt, ".search", "*")).length);
    const d = decades[0];
    const lo = Number(d.slice(0, 4));
    const inDecade = good.filter((f) => f.tags.year! >= lo && f.tags.year! <= lo + 9);
    const entries = fs.readdirSync(path.join(mnt, ".collections", d));
    expect(entries.length).toBe(inDecade.length);
    for (const e of entries) {
      const target = fs.readlinkSync(path.join(mnt, ".collections", d, e));
      expect(target.startsWith(mnt + "/")).toBe(true);
      expect(fs.statSync(target).isFile()).toBe(true);
    }
    expect(() => fs.readdirSync(path.join(mnt, ".collections", "No Such Collection"))).toThrow(/ENOENT/);
  });

  test("opens are logged: Most Played and Recently Played follow what was opened", async () => {
    const all = trackFiles(mnt).filter((p) => !p.includes("/."));
    const favourite = all[0];
    const last = all[all.length - 1];
    for (let i = 0; i < 12; i++) fs.closeSync(fs.openSync(favourite, "r"));
    await Bun.sleep(20);
    fs.closeSync(fs.openSync(last, "r"));
    const first = (name: string) => {
      const dir = path.join(mnt, ".collections", name);
      const entries = fs.readdirSync(dir);
      return entries.length ? fs.readlinkSync(path.join(dir, entries[0])) : null;
    };
    // The log is written in batches (every 2 s), off the read path.
    expect(await waitFor(() => first("Most Played") === favourite && first("Recently Played") === last, 8000)).toBe(true);
  });

  test("reads are logged too: bytes read per track, reported at release and written in batches", async () => {
    const track = trackFiles(mnt).filter((p) => !p.includes("/."))[1];
    const id = fs.statSync(track).ino - 2 ** 32;
    const size = fs.readFileSync(track).length;
    const catalog = new Database(db, { readonly: true });
    const logged = () => (catalog.query("SELECT COALESCE(SUM(bytes), 0) AS b FROM access_log WHERE event = 'read' AND track_id = ?").get(id) as { b: number }).b;
    try {
      expect(await waitFor(() => logged() >= size, 8000)).toBe(true);
    } finally {
      catalog.close();
    }
  });

  test("a folder listed before a rescan lists the tracks the rescan added (the kernel's cached listing is dropped)", async () => {
    const t = files.find((f) => !f.malformed && !f.hostile && f.format === "flac")!;
    const album = path.join(mnt, t.tags.artist!, `${t.tags.album} (${t.tags.year}) [FLAC]`);
    const before = fs.readdirSync(album);
    expect(fs.readdirSync(album)).toEqual(before); // listed twice: cached by the kernel now
    const copy = path.join(path.dirname(t.path), "bonus.flac");
    fs.copyFileSync(t.path, copy);
    await retag(copy, { title: "Bonus Track", trackNo: 99 });
    const scan = Bun.spawnSync([BUN, path.join(REPO, "cmd/musicfs.ts"), "scan", "--db", db, lib], { stdout: "pipe", stderr: "pipe" });
    expect(scan.exitCode).toBe(0);
    expect(await waitFor(() => fs.readdirSync(album).includes("99 - Bonus Track.flac"), 5000)).toBe(true);
  });

  test("SIGTERM unmounts cleanly", async () => {
    child!.kill("SIGTERM");
    expect(await waitFor(() => child!.exitCode !== null, 10_000)).toBe(true);
    expect(isMounted(mnt)).toBe(false);
  });

  test("--serve answers the search API in-process; under systemd it notifies READY and STOPPING", async () => {
    // A stand-in for systemd's notify socket: a Unix datagram listener that appends what it gets to a file
    // (polled here; reading its stdout as a stream sometimes gave an empty chunk under load).
    const sock = path.join(work, "notify.sock");
    const got = path.join(work, "notify.log");
    fs.writeFileSync(got, "");
    const listener = Bun.spawn(["python3", "-u", "-c", `import socket,sys
s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
open(sys.argv[2], "a").write("listening\\n")
while True:
    m = s.recv(4096).decode().replace("\\n", "|")
    with open(sys.argv[2], "a") as f: f.write(m + "\\n")`, sock, got], { stdout: "inherit", stderr: "inherit" });
    const received = () => fs.readFileSync(got, "utf8");
    const next = async (want: string) => {
      await waitFor(() => received().includes(want) || listener.exitCode !== null, 10_000);
      return received();
    };
    expect(await next("listening")).toContain("listening");
    const p = await startMount(["--serve", "127.0.0.1:0", mnt], { NOTIFY_SOCKET: sock });
    try {
      expect(await next("READY=1")).toContain("READY=1");
      const api = String(lastReady.api);
      expect(api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${api}/musicfs.v1.MusicFS/Search`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "*", limit: 2 }) });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { results: unknown[] }).results.length).toBe(2);
      p.kill("SIGTERM");
      expect(await next("STOPPING=1")).toContain("STOPPING=1");
      expect(await waitFor(() => p.exitCode !== null, 10_000)).toBe(true);
      expect(isMounted(mnt)).toBe(false);
    } finally {
      if (p.exitCode === null) p.kill("SIGKILL");
      listener.kill();
    }
  });

  test("after kill -9 the next mount clears the stale mount and works", async () => {
    const p = await startMount([mnt]);
    p.kill("SIGKILL");
    await p.exited;
    expect(() => fs.readdirSync(mnt)).toThrow(/ENOTCONN|not connected/i);
    child = await startMount([mnt]);
    expect(fs.readdirSync(mnt).length).toBeGreaterThan(0);
    child.kill("SIGTERM");
    expect(await waitFor(() => child!.exitCode !== null, 10_000)).toBe(true);
    expect(isMounted(mnt)).toBe(false);
  });
});
