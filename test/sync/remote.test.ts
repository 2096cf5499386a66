// Remote sync against registerSyncService on a real HTTP/2 server (127.0.0.1, port 0): push and
// pull give identical trees, a retag moves under 10 KB on the wire (AC-10), tokens are enforced,
// hostile manifests are refused, and an interrupted push resumes without re-sending chunks.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { connectNodeAdapter, createConnectTransport } from "@connectrpc/connect-node";
import * as fs from "node:fs";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { EntryKind, EntrySchema, GetManifestResponseSchema, ManifestBatchSchema, SyncService } from "../../proto/gen/musicfs/sync/v1/sync_pb.ts";
import { parseRemoteSpec, syncRemote } from "../../internal/sync/remote/index.ts";
import { syncFolders } from "../../internal/sync/index.ts";
import { pack } from "../../internal/sync/remote/codec.ts";
import { localCodecs } from "../../internal/sync/remote/codec.ts";
import { killDuring, randomBytes, snapshot, strayTemps, tempDir, track, treeDiff, write } from "./helpers.ts";
import { startSyncServer, type SyncServerHandle } from "../../internal/sync/remote/h2c-server.ts";

const TOKEN = "test-token-123";
const BUN = process.execPath;
let root = "";
let exportDir = "";
let server: SyncServerHandle;
const roots: string[] = [];

beforeAll(async () => {
  root = tempDir("musicfs-remote-");
  exportDir = path.join(root, "export");
  fs.mkdirSync(exportDir);
  server = await startSyncServer({ music: exportDir }, TOKEN);
});
afterAll(async () => {
  await server.close();
  fs.rmSync(root, { recursive: true, force: true });
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

/** A fresh sub-folder of the export, addressed as musicfs://.../music/<sub>. */
function exportSub(name: string): { dir: string; url: string } {
  return { dir: path.join(exportDir, name), url: `${server.url("music")}/${name}` };
}

function library(dir: string, titles: string[]): void {
  titles.forEach((t, i) => write(dir, `Artist ${i % 2}/Album/${String(i + 1).padStart(2, "0")} Track.mp3`, track(100 + i, 3 << 20, t), 1_600_000_000 + i));
  write(dir, "Björk/Jóga 日本語 🎵.mp3", track(50, 500_000, "Jóga"), 1_600_000_100);
  write(dir, "empty.txt", "", 1_600_000_200);
  if (!fs.existsSync(path.join(dir, "latest"))) fs.symlinkSync("Artist 0/Album/01 Track.mp3", path.join(dir, "latest"));
}

describe("push (local → musicfs://)", () => {
  test("copies a library, then a tag-only change moves < 10 KB on the wire (AC-10)", async () => {
    const src = path.join(root, "push-src");
    const { dir, url } = exportSub("push");
    library(src, ["One", "Two", "Three", "Four"]);
    const first = await syncRemote({ src, push: parseRemoteSpec(url) }, { token: TOKEN });
    expect(first.errors).toEqual([]);
    expect(first.files).toMatchObject({ total: 7, new: 7 });
    expect(treeDiff(src, dir)).toEqual([]);
    // Retag one track: new title, same audio.
    write(src, "Artist 1/Album/02 Track.mp3", track(101, 3 << 20, "Two (2024 Remaster) feat. Someone"), 1_700_000_000);
    const s = await syncRemote({ src, push: parseRemoteSpec(url) }, { token: TOKEN });
    expect(s.errors).toEqual([]);
    expect(s.files).toMatchObject({ changed: 1, unchanged: 6 });
    expect(s.wire!.sent + s.wire!.received).toBeLessThan(10_000);
    expect(s.bytes.moved).toBe(s.wire!.sent + s.wire!.received);
    expect(treeDiff(src, dir)).toEqual([]);
    expect(fs.existsSync(path.join(dir, ".musicfs-staging"))).toBe(false);
    expect(strayTemps(dir)).toEqual([]);
  });

  test("retagging many tracks sends the same literal bytes as a local sync (deltas survive the wire)", async () => {
    const src = path.join(root, "many-src");
    const local = path.join(root, "many-local");
    const { dir, url } = exportSub("many");
    const titles = (v: number) => Array.from({ length: 8 }, (_, i) => (v === 0 ? `T${i}` : `T${i} (Remastered ${2020 + v}) feat. Somebody Else`));
    titles(0).forEach((t, i) => write(src, `t${i}.mp3`, track(20 + 41 * i, 4 << 20, t), 1_600_000_000));
    await syncRemote({ src, push: parseRemoteSpec(url) }, { token: TOKEN });
    await syncFolders(src, local);
    titles(1).forEach((t, i) => write(src, `t${i}.mp3`, track(20 + 41 * i, 4 << 20, t), 1_700_000_000));
    const r = await syncRemote({ src, push: parseRemoteSpec(url) }, { token: TOKEN });
    const l = await syncFolders(src, local);
    expect(r.errors).toEqual([]);
    expect(r.bytes.literal).toBe(l.bytes.literal);
    expect(r.bytes.literal).toBeLessThan(8 * 4096);
    expect(treeDiff(src, dir)).toEqual([]);
  });

  test("non-default chunk sizes are used by both sides", async () => {
    const src = path.join(root, "params-src");
    const { dir, url } = exportSub("params");
    const params = { min: 4096, avg: 16384, max: 65536 };
    const data = randomBytes(2 << 20, 77);
    write(src, "f.bin", data, 1_600_000_000);
    await syncRemote({ src, push: parseRemoteSpec(url) }, { token: TOKEN, params });
    data.fill(0xff, 1 << 20, (1 << 20) + 100);
    write(src, "f.bin", data, 1_600_000_100);
    const r = await syncRemote({ src, push: parseRemoteSpec(url) }, { token: TOKEN, params });
    expect(r.bytes.moved).toBeLessThan(0.01 * data.length);
    expect(treeDiff(src, dir)).toEqual([]);
    const back = path.join(root, "params-back");
    await syncRemote({ pull: parseRemoteSpec(url), dst: back }, { token: TOKEN, params });
    data.fill(0xee, 1000, 1100);
    write(dir, "f.bin", data, 1_600_000_200);
    const p = await syncRemote({ pull: parseRemoteSpec(url), dst: back }, { token: TOKEN, params });
    expect(p.bytes.moved).toBeLessThan(0.01 * data.length);
    expect(treeDiff(dir, back)).toEqual([]);
  });

  test("renames cost no chunk data; --delete and --dry-run work remotely", async () => {
    const src = path.join(root, "push2-src");
    const { dir, url } = exportSub("push2");
    write(src, "a/x.flac", randomBytes(2 << 20, 5), 1_600_000_000);
    write(src, "b.flac", randomBytes(100_000, 6), 1_600_000_000);
    await syncRemote({ src, push: parseRemoteSpec(url) }, { token: TOKEN });
    fs.mkdirSync(path.join(src, "c"));
    fs.renameSync(path.join(src, "a/x.flac"), path.join(src, "c/moved.flac"));
    fs.rmSync(path.join(src, "a"), { recursive: true });
    const before = snapshot(dir);
    const dry = await syncRemote({ src, push: parseRemoteSpec(url) }, { token: TOKEN, delete: true, dryRun: true });
    expect(dry.files).toMatchObject({ new: 1, deleted: 1 });
    expect(dry.bytes.literal).toBe(0);
    expect(snapshot(dir)).toEqual(before);
    const s = await syncRemote({ src, push: parseRemoteSpec(url) }, { token: TOKEN, delete: true });
    expect(s.errors).toEqual([]);
    expect(s.bytes.literal).toBe(0);
    expect(s.wire!.sent).toBeLessThan(20_000);
    expect(treeDiff(src, dir)).toEqual([]);
    expect(fs.existsSync(path.join(dir, "a"))).toBe(false);
  });

  test("an interrupted push resumes from the staged chunks without sending them again", async () => {
    const src = path.join(root, "resume-src");
    const { dir, url } = exportSub("resume");
    write(src, "big.flac", randomBytes(3 << 20, 9), 1_600_000_000);
    const cut = await syncRemote({ src, push: parseRemoteSpec(url) }, { token: TOKEN, stopBeforeCommit: true });
    expect(cut.bytes.literal).toBe(3 << 20);
    expect(fs.existsSync(path.join(dir, "big.flac"))).toBe(false);
    expect(fs.readdirSync(path.join(dir, ".musicfs-staging")).length).toBeGreaterThan(0);
    const s = await syncRemote({ src, push: parseRemoteSpec(url) }, { token: TOKEN });
    expect(s.errors).toEqual([]);
    expect(s.bytes.literal).toBe(0);
    expect(s.wire!.sent).toBeLessThan(10_000);
    expect(treeDiff(src, dir)).toEqual([]);
    expect(fs.existsSync(path.join(dir, ".musicfs-staging"))).toBe(false);
  });

  test("a wrong or missing token is refused with a clear message", async () => {
    const src = path.join(root, "auth-src");
    write(src, "a", "a");
    const spec = parseRemoteSpec(exportSub("auth").url);
    expect(await failure(syncRemote({ src, push: spec }, {}))).toContain("missing bearer token");
    expect(await failure(syncRemote({ src, push: spec }, { token: "nope" }))).toContain("invalid bearer token");
    expect(await failure(syncRemote({ src, push: parseRemoteSpec(server.url("nosuch")) }, { token: TOKEN }))).toContain("no export named");
  });
});

describe("pull (musicfs:// → local)", () => {
  test("copies, then pulls a retag in < 10 KB; symlinks, empty and unicode names survive", async () => {
    const { dir, url } = exportSub("pull");
    library(dir, ["A", "B", "C"]);
    const dst = path.join(root, "pull-dst");
    const first = await syncRemote({ pull: parseRemoteSpec(url), dst }, { token: TOKEN });
    expect(first.errors).toEqual([]);
    expect(treeDiff(dir, dst)).toEqual([]);
    write(dir, "Artist 0/Album/03 Track.mp3", track(102, 3 << 20, "C (live)"), 1_700_000_000);
    fs.rmSync(path.join(dir, "empty.txt"));
    const s = await syncRemote({ pull: parseRemoteSpec(url), dst }, { token: TOKEN, delete: true });
    expect(s.errors).toEqual([]);
    expect(s.files).toMatchObject({ changed: 1, deleted: 1 });
    expect(s.wire!.sent + s.wire!.received).toBeLessThan(10_000);
    expect(treeDiff(dir, dst)).toEqual([]);
    expect(fs.existsSync(path.join(dst, ".musicfs-staging"))).toBe(false);
  });
});

describe("changes and interruptions", () => {
  test("a source file that changes during a push is sent again, never half old", async () => {
    const src = path.join(root, "chg-src");
    const { dir, url } = exportSub("chg");
    write(src, "a.flac", randomBytes(1 << 20, 1), 1_600_000_000);
    write(src, "b.flac", randomBytes(1 << 20, 2), 1_600_000_000);
    let changed = false;
    const s = await syncRemote(
      { src, push: parseRemoteSpec(url) },
      {
        token: TOKEN,
        onProgress: (_d, _t, p) => {
          // b.flac was chunked already; rewrite it before its chunks are read and sent.
          if (p === "b.flac" && !changed) {
            changed = true;
            write(src, "b.flac", randomBytes(1 << 20, 3), 1_600_000_100);
          }
        },
      },
    );
    expect(changed).toBe(true);
    expect(s.errors).toEqual([]);
    expect(treeDiff(src, dir)).toEqual([]);
  });

  test("a folder that is a file on the server is refused with a clear message", async () => {
    const { dir, url } = exportSub("afile");
    write(dir, "x.flac", "x");
    const msg = await failure(syncRemote({ pull: parseRemoteSpec(`${url}/x.flac`), dst: path.join(root, "afile-dst") }, { token: TOKEN }));
    expect(msg).toContain("is not a folder");
  });

  test("kill -9 of a pull client (8 kills): old or new files, the next pull resumes from staged chunks", async () => {
    const { dir, url } = exportSub("pullkill");
    const dst = path.join(root, "pullkill-dst");
    const gen = (g: number) => {
      for (let i = 0; i < 4; i++) write(dir, `t${i}.flac`, randomBytes(1_500_000, i % 2 === 0 ? 1000 * g + i : i + 1), 1_600_000_000 + (i % 2 === 0 ? g : 0));
    };
    gen(0);
    const t0 = performance.now();
    await syncRemote({ pull: parseRemoteSpec(url), dst }, { token: TOKEN, delete: true });
    const scale = Math.max(50, performance.now() - t0);
    let resumed = 0;
    for (let g = 1; g <= 8; g++) {
      const old = new Map([...snapshot(dst, { skipInternal: true })].map(([k, v]) => [k, v.hash]));
      gen(g);
      const next = new Map([...snapshot(dir, { skipInternal: true })].map(([k, v]) => [k, v.hash]));
      await killDuring(["pull", url, dst, TOKEN], scale, g % 2 === 0 ? "start" : "writing");
      for (const [rel, h] of snapshot(dst, { skipInternal: true })) {
        if (path.basename(rel).startsWith(".musicfs-tmp-")) continue;
        if (h.hash !== old.get(rel) && h.hash !== next.get(rel)) throw new Error(`generation ${g}: ${rel} is torn`);
      }
      const staged = stagedBytes(dst);
      const done = await syncRemote({ pull: parseRemoteSpec(url), dst }, { token: TOKEN, delete: true });
      expect(done.errors).toEqual([]);
      if (staged > 0) {
        resumed++;
        // Two changed files of 1.5 MB each: what was staged is not fetched again.
        expect(done.bytes.literal).toBeLessThanOrEqual(Math.max(0, 2 * 1_500_000 - staged) + 4096);
      }
      expect(treeDiff(dir, dst)).toEqual([]);
      expect(strayTemps(dst)).toEqual([]);
      expect(fs.existsSync(path.join(dst, ".musicfs-staging"))).toBe(false);
    }
    console.log(`pull kill -9: ${resumed} of 8 runs resumed from staged chunks`);
  }, 30_000);
});

describe("hostile peers", () => {
  const hostile = ["../escape", "/etc/passwd", "a/../../x", "nul\0byte", "back\\slash", "x/" + "n".repeat(300), ".musicfs-staging/ab/cd"];
  for (const bad of hostile) {
    test(`a manifest with ${JSON.stringify(bad.slice(0, 24))} is refused and nothing is written`, async () => {
      const fake = await fakeManifestServer([{ path: "ok.flac" }, { path: bad }]);
      const dst = tempDir("musicfs-hostile-");
      roots.push(dst);
      try {
        expect(await failure(syncRemote({ pull: parseRemoteSpec(`musicfs://127.0.0.1:${fake.port}/x`), dst }, {}))).toContain("refusing the peer's manifest");
        expect(fs.readdirSync(dst)).toEqual([]);
        expect(fs.existsSync(path.join(path.dirname(dst), "escape"))).toBe(false);
      } finally {
        await fake.close();
      }
    });
  }

  test("the server refuses hostile paths in offers and commits", async () => {
    const transport = createConnectTransport({ baseUrl: `http://127.0.0.1:${server.port}`, httpVersion: "2", useBinaryFormat: true, interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${TOKEN}`), next(req))] });
    const client = createClient(SyncService, transport);
    const { sessionId } = await client.openSession({ export: "music", subpath: "", indexPaths: ["../../etc/passwd"] });
    // (Bun's expect(promise).rejects cancels connect-node calls, so errors are caught by hand.)
    expect(await failure(client.offerFile({ sessionId, path: "../x", size: 0n }))).toContain("refusing path");
    const res = await client.commit({ sessionId, symlinks: [{ path: "/abs", kind: EntryKind.SYMLINK, target: "x" }], deletes: ["../../x"] });
    expect(res.results.map((r) => r.error !== "")).toEqual([true, true]);
    expect(await failure(client.getFileChunks({ export: "music", path: "/etc/passwd" }))).toContain("refusing path");
    expect(await failure((async () => {
      for await (const _ of client.getManifest({ export: "music", subpath: "../.." })) void _;
    })())).toContain("refusing path");
    expect(fs.existsSync("/abs")).toBe(false);
  });
});

describe("kill -9 of a push client", () => {
  test("20 random kills: every file old or new, the next run completes, staged chunks are not re-sent", async () => {
    const src = path.join(root, "kill-src");
    const { dir, url } = exportSub("kill");
    const gen = (g: number) => {
      for (let i = 0; i < 6; i++) write(src, `t${i}.flac`, randomBytes(400_000 + 50_000 * i, i % 2 === 0 ? 1000 * g + i : i + 1), 1_600_000_000 + (i % 2 === 0 ? g : 0));
      write(src, `moving/${g % 2 ? "a" : "b"}/m.flac`, randomBytes(700_000, 42), 1_600_000_000);
    };
    gen(0);
    const t0 = performance.now();
    await syncRemote({ src, push: parseRemoteSpec(url) }, { token: TOKEN, delete: true });
    const scale = Math.max(50, performance.now() - t0);
    let resumed = 0;
    for (let g = 1; g <= 20; g++) {
      const old = new Map([...snapshot(dir, { skipInternal: true })].map(([k, v]) => [k, v.hash]));
      gen(g);
      if (g % 2 === 1) fs.rmSync(path.join(src, "moving/b"), { recursive: true, force: true });
      else fs.rmSync(path.join(src, "moving/a"), { recursive: true, force: true });
      const next = new Map([...snapshot(src)].map(([k, v]) => [k, v.hash]));
      const need = (await syncRemote({ src, push: parseRemoteSpec(url) }, { token: TOKEN, delete: true, dryRun: true })).bytes.literal;
      await killDuring(["push", src, url, TOKEN], scale, g % 2 === 0 ? "start" : "writing");
      for (const [rel, h] of snapshot(dir, { skipInternal: true })) {
        if (path.basename(rel).startsWith(".musicfs-tmp-")) continue;
        if (h.hash !== old.get(rel) && h.hash !== next.get(rel)) throw new Error(`generation ${g}: ${rel} is torn`);
      }
      const staged = stagedBytes(dir);
      const done = await syncRemote({ src, push: parseRemoteSpec(url) }, { token: TOKEN, delete: true });
      expect(done.errors).toEqual([]);
      if (staged > 0) {
        resumed++;
        // Chunks staged by the killed run are not sent again.
        expect(done.bytes.literal).toBeLessThanOrEqual(Math.max(0, need - staged) + 4096);
      }
      expect(treeDiff(src, dir)).toEqual([]);
      expect(strayTemps(dir)).toEqual([]);
    }
    console.log(`push kill -9: ${resumed} of 20 runs resumed from staged chunks`);
  }, 60_000);
});

async function failure(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "no error",
    (e: Error) => e.message,
  );
}

function stagedBytes(dir: string): number {
  const st = path.join(dir, ".musicfs-staging");
  if (!fs.existsSync(st)) return 0;
  let n = 0;
  for (const f of fs.readdirSync(st, { recursive: true }) as string[]) {
    const p = path.join(st, f);
    const s = fs.statSync(p);
    if (s.isFile() && /^[0-9a-f]{64}$/.test(path.basename(f))) n += s.size;
  }
  return n;
}

/** A server whose GetManifest returns the given entries (for hostile-manifest tests). */
async function fakeManifestServer(entries: { path: string }[]): Promise<{ port: number; close(): Promise<void> }> {
  const handler = connectNodeAdapter({
    routes: (r) =>
      r.service(SyncService, {
        async *getManifest() {
          const batch = create(ManifestBatchSchema, { entries: entries.map((e) => create(EntrySchema, { path: e.path, kind: EntryKind.FILE, size: 1n, mtimeMs: 1, mode: 0o644 })) });
          yield create(GetManifestResponseSchema, { entries: pack(toBinary(ManifestBatchSchema, batch), localCodecs()[0]) });
        },
      }),
  });
  const srv = http2.createServer(handler);
  await new Promise<void>((res) => srv.listen(0, "127.0.0.1", () => res()));
  return { port: (srv.address() as AddressInfo).port, close: () => new Promise<void>((res) => srv.close(() => res())) };
}

