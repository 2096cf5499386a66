// The tag-reading worker pool: the same rows as reading on the main thread, and a parser that
// hangs or crashes on one file costs only that file (recorded untagged with the reason).
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { allTracks, openCatalog, scanLibrary } from "../../internal/catalog/index.ts";
import { readFactsInWorkers } from "../../internal/catalog/tag-pool.ts";
import { generateLibrary, writeTrack, Prng } from "../../internal/samplelib/index.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-scanw-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("scan with worker threads", () => {
  const lib = path.join(root, "lib");
  const files = generateLibrary(lib, { artists: 4, albumsPerArtist: 2, tracksPerAlbum: 4, seed: 5, trackBytes: 4000 });

  test("two workers store exactly what the main thread stores", async () => {
    const inline = openCatalog(":memory:");
    const pooled = openCatalog(":memory:");
    const a = await scanLibrary(inline, [lib], { workers: 0 });
    const b = await scanLibrary(pooled, [lib], { workers: 2, batchSize: 7 });
    expect(b).toMatchObject({ scanned: files.length, added: files.length, failed: 1 });
    expect({ ...b, durationMs: 0 }).toEqual({ ...a, durationMs: 0 });
    const strip = (db: typeof inline) => allTracks(db).map(({ addedAt, updatedAt, ...t }) => t);
    expect(strip(pooled)).toEqual(strip(inline));
  });

  test("progress reports every batch, in order, ending with done", async () => {
    const db = openCatalog(":memory:");
    const seen: number[] = [];
    await scanLibrary(db, [lib], { workers: 2, batchSize: 10, onProgress: (p) => p.phase === "parse" && seen.push(p.done) });
    expect(seen.at(-1)).toBe(files.length);
    expect([...seen].sort((x, y) => x - y)).toEqual(seen);
  });
});

describe("tag pool failures", () => {
  const dir = path.join(root, "fail");
  const names = ["a.mp3", "b-hang.mp3", "c.flac", "d-crash.mp3", "e.mp3", "f.wav", "g.mp3"];
  fs.mkdirSync(dir, { recursive: true });
  const files = names.map((n, i) => {
    const p = path.join(dir, n);
    const format = n.slice(n.lastIndexOf(".") + 1) as "mp3" | "flac" | "wav";
    return { path: p, size: writeTrack(p, format, { title: n }, new Prng(i).bytes(2000)), format };
  });

  test("a hanging and a crashing parse fail alone; every other file is read", async () => {
    const got = new Map<string, { title: string | null; error: string | null }>();
    await readFactsInWorkers(files, (i, f) => got.set(names[i], { title: f.props.title, error: f.parseError }), {
      workers: 2,
      chunk: 3,
      fileTimeoutMs: 300,
      workerUrl: new URL("./fake-tag-worker.ts", import.meta.url).href,
    });
    expect(got.size).toBe(names.length);
    for (const n of names) {
      const r = got.get(n)!;
      if (n.includes("hang")) expect(r.error).toBe("tag parser gave no answer within 0.3 s");
      else if (n.includes("crash")) expect(r.error).toContain("parser bug");
      else expect(r).toEqual({ title: n, error: null });
    }
  });

  test("no files: resolves without starting workers", async () => {
    let calls = 0;
    await readFactsInWorkers([], () => calls++);
    expect(calls).toBe(0);
  });
});

describe("tag pool without workers", () => {
  test("a worker script that cannot load: every file is read on this thread instead", async () => {
    const dir = path.join(root, "noworker");
    fs.mkdirSync(dir, { recursive: true });
    const files = ["a", "b", "c"].map((n, i) => {
      const p = path.join(dir, `${n}.flac`);
      return { path: p, size: writeTrack(p, "flac", { title: n }, new Prng(i).bytes(1000)), format: "flac" };
    });
    const titles: (string | null)[] = [];
    await readFactsInWorkers(files, (i, f) => (titles[i] = f.props.title), { workers: 2, workerUrl: new URL("./no-such-worker.ts", import.meta.url).href });
    expect(titles).toEqual(["a", "b", "c"]);
  });
});
