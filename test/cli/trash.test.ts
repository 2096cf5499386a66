// `musicfs trash list|restore|empty` as users call it: output, --json shapes, exit codes (1 when
// something could not be restored, 2 for usage errors), and the tree each action leaves.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { openCatalog, upsertTracks } from "../../internal/catalog/index.ts";
import { Namespace } from "../../internal/mountfs/namespace.ts";
import { prebuildTree, snapshotKey, TreeSnapshot } from "../../internal/mountfs/tree-snapshot.ts";
import { DEFAULT_TEMPLATE, FILE_INO_BASE } from "../../internal/vfs/index.ts";
import { runCli, tempDir } from "../helpers.ts";
import { track } from "../search/fixture.ts";

const work = tempDir("musicfs-trash-cli-");
const db = path.join(work, "catalog.db");
const ALBUM = "/Alpha/First (2001) [FLAC]";
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A fresh catalog with three tracks, two of them removed through the namespace (as rm on the mount does). */
beforeEach(() => {
  for (const f of fs.readdirSync(work)) fs.rmSync(path.join(work, f));
  const c = openCatalog(db);
  upsertTracks(c, [1, 2, 3].map((i) => track({ artist: "Alpha", album: "First", year: 2001, title: `A${i}`, trackNo: i })));
  const ns = Namespace.forTree(c);
  ns.unlink(`${ALBUM}/01 - A1.flac`);
  ns.unlink(`${ALBUM}/02 - A2.flac`);
  c.close();
});

/** The path of a track in the default mount's tree now, or undefined. */
function pathOf(id: number): string | undefined {
  const c = openCatalog(db);
  try {
    prebuildTree(c);
    const snap = new TreeSnapshot(c, snapshotKey(DEFAULT_TEMPLATE, "[]"));
    return snap.node(FILE_INO_BASE + id) ? snap.pathOf(FILE_INO_BASE + id) : undefined;
  } finally {
    c.close();
  }
}

describe("musicfs trash", () => {
  test("list: a table, or --json with id, path, time and tags", () => {
    const t = runCli(["trash", "list", "--db", db]);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain(`${ALBUM}/01 - A1.flac`);
    expect(t.stdout).toMatch(/^id\s+trashed \(UTC\)\s+path/);
    const j = runCli(["trash", "list", "--json", "--db", db]);
    expect(j.code).toBe(0);
    const out = JSON.parse(j.stdout);
    expect(out.schema).toBe(1);
    expect(out.entries.map((e: { id: number; path: string; title: string }) => [e.id, e.path, e.title])).toEqual([
      [1, `${ALBUM}/01 - A1.flac`, "A1"],
      [2, `${ALBUM}/02 - A2.flac`, "A2"],
    ]);
    expect(typeof out.entries[0].trashedAt).toBe("number");
    expect(new Date(out.entries[0].trashed).getTime()).toBe(out.entries[0].trashedAt);
  });

  test("restore by id and by path puts tracks back; an unknown one exits 1 and the rest still happen", () => {
    expect(pathOf(1)).toBe(`/.trash${ALBUM}/01 - A1.flac`);
    const r = runCli(["trash", "restore", "--db", db, "1", "/nothing/here.flac"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`restored ${ALBUM}/01 - A1.flac\n`);
    expect(r.stderr).toContain("/nothing/here.flac");
    expect(pathOf(1)).toBe(`${ALBUM}/01 - A1.flac`);
    const j = runCli(["trash", "restore", "--json", "--db", db, `/.trash${ALBUM}/02 - A2.flac`]);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual({ schema: 1, restored: [{ id: 2, from: `${ALBUM}/02 - A2.flac`, to: `${ALBUM}/02 - A2.flac` }], errors: [] });
    expect(pathOf(2)).toBe(`${ALBUM}/02 - A2.flac`);
    expect(runCli(["trash", "list", "--db", db]).stdout).toBe("the trash is empty\n");
  });

  test("restore of a folder restores what was removed from under it; a taken path gets (2)", () => {
    const c = openCatalog(db);
    Namespace.forTree(c).rename(`${ALBUM}/03 - A3.flac`, `${ALBUM}/02 - A2.flac`);
    c.close();
    const r = runCli(["trash", "restore", "--db", db, "/Alpha"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`restored ${ALBUM}/02 - A2.flac as ${ALBUM}/02 - A2 (2).flac (the path was taken)`);
    expect(pathOf(1)).toBe(`${ALBUM}/01 - A1.flac`);
    expect(pathOf(2)).toBe(`${ALBUM}/02 - A2 (2).flac`);
  });

  test("empty --yes hides the trashed tracks for good; without --yes (no terminal) it refuses", () => {
    const no = runCli(["trash", "empty", "--db", db]);
    expect(no.code).toBe(2);
    expect(no.stderr).toContain("--yes");
    expect(pathOf(1)).toBe(`/.trash${ALBUM}/01 - A1.flac`);
    const yes = runCli(["trash", "empty", "--yes", "--json", "--db", db]);
    expect(yes.code).toBe(0);
    expect(JSON.parse(yes.stdout)).toEqual({ schema: 1, purged: 2 });
    expect(pathOf(1)).toBeUndefined();
    expect(pathOf(3)).toBe(`${ALBUM}/03 - A3.flac`);
    expect(runCli(["trash", "restore", "--db", db, "1"]).code).toBe(1);
  });

  test("usage errors exit 2: no action, an unknown one, restore without arguments, stray arguments, a bad template", () => {
    for (const args of [["trash"], ["trash", "shred"], ["trash", "restore"], ["trash", "list", "x"], ["trash", "restore", "--template", "$nope", "1"]]) {
      const r = runCli([...args, "--db", db]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr.length).toBeGreaterThan(0);
    }
    const h = runCli(["trash", "--help"]);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain("musicfs trash");
  });
});
