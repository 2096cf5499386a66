import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalOrigin } from "../../internal/origins/local.ts";
import { rangeStream, walk } from "../../internal/origins/walk.ts";
import { errnoName, OriginError } from "../../internal/origins/types.ts";

let tmp: string;
let root: string;
let origin: LocalOrigin;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-local-"));
  root = path.join(tmp, "lib");
  fs.mkdirSync(path.join(root, "Artist", "Album"), { recursive: true });
  fs.writeFileSync(path.join(root, "Artist", "Album", "01.flac"), "0123456789");
  fs.writeFileSync(path.join(tmp, "secret.txt"), "top secret");
  fs.mkdirSync(path.join(tmp, "outside"));
  fs.writeFileSync(path.join(tmp, "outside", "x.mp3"), "outside");
  fs.symlinkSync(path.join(tmp, "secret.txt"), path.join(root, "evil-link.flac"));
  fs.symlinkSync(path.join(tmp, "outside"), path.join(root, "evil-dir"));
  fs.symlinkSync("Artist/Album/01.flac", path.join(root, "good-link.flac"));
  fs.symlinkSync("/etc/passwd", path.join(root, "passwd.mp3"));
  origin = new LocalOrigin({ id: "loc", root });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    expect(e).toBeInstanceOf(OriginError);
    return (e as OriginError).code;
  }
}

describe("local origin", () => {
  test("reads ranges, clamps at EOF", async () => {
    expect(new TextDecoder().decode(await origin.read("/Artist/Album/01.flac", 2, 3))).toBe("234");
    expect(new TextDecoder().decode(await origin.read("/Artist/Album/01.flac", 8, 100))).toBe("89");
    expect((await origin.read("/Artist/Album/01.flac", 10, 5)).length).toBe(0);
    expect((await origin.read("/Artist/Album/01.flac", 1000, 5)).length).toBe(0);
    expect(await code(origin.read("/Artist/Album/01.flac", -1, 5))).toBe("EINVAL");
  });

  test("stat, list and walk", async () => {
    expect(await origin.stat("/Artist/Album/01.flac")).toMatchObject({ size: 10, isDir: false });
    expect((await origin.stat("/")).isDir).toBe(true);
    const names = (await origin.list("/")).map((e) => e.name).sort();
    // Escaping symlinks are left out; the one staying inside is listed.
    expect(names).toEqual(["Artist", "good-link.flac"]);
    const files = [];
    for await (const f of walk(origin)) files.push(f.path);
    expect(files.sort()).toEqual(["/Artist/Album/01.flac", "/good-link.flac"]);
  });

  test("hostile paths never escape the root", async () => {
    const hostile = [
      "../secret.txt", "/../secret.txt", "/Artist/../../secret.txt", "Artist/Album/../../../secret.txt",
      "/evil-link.flac", "/evil-dir/x.mp3", "/passwd.mp3", "/Artist\0/x", "..", "/..", "/./../secret.txt",
    ];
    for (const p of hostile) {
      const c = await code(origin.read(p, 0, 100));
      expect([p, c]).toEqual([p, "EPATH"]);
      expect(await code(origin.stat(p))).toBe("EPATH");
    }
    expect(await code(origin.list("/evil-dir"))).toBe("EPATH");
    // An absolute host path is taken relative to the origin root, never the host root.
    expect(await code(origin.read("/etc/passwd", 0, 10))).toBe("ENOENT");
    expect(await code(origin.read(path.join(tmp, "secret.txt"), 0, 10))).toBe("ENOENT");
    // A symlink that stays inside is fine.
    expect(new TextDecoder().decode(await origin.read("/good-link.flac", 0, 3))).toBe("012");
    expect(await code(origin.read("/nope.flac", 0, 1))).toBe("ENOENT");
    // The mount answers a hostile path with EACCES.
    expect(errnoName(await origin.read("/../x", 0, 1).catch((e) => e))).toBe("EACCES");
  });

  test("range stream over ranged reads", async () => {
    const parts: string[] = [];
    for await (const c of rangeStream(origin, "/Artist/Album/01.flac", 2, 9, 3)) parts.push(new TextDecoder().decode(c));
    expect(parts).toEqual(["234", "567", "8"]);
    expect(await new Response(rangeStream(origin, "/Artist/Album/01.flac")).text()).toBe("0123456789");
  });

  test("health: healthy root, unhealthy missing root", async () => {
    expect((await origin.health()).status).toBe("healthy");
    const gone = new LocalOrigin({ id: "gone", root: path.join(tmp, "missing") });
    const h = await gone.health();
    expect(h.status).toBe("unhealthy");
    expect(h.error).toContain("missing");
    expect(() => new LocalOrigin({ id: "rel", root: "relative/path" })).toThrow(/absolute/);
  });
});
