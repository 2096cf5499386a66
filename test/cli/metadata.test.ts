// `musicfs metadata` against a catalog file: set, get, bad input, import with a bad row, clear;
// the catalog's search follows the edits; the origin file is never written.
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { generateLibrary } from "../../internal/samplelib/index.ts";
import { runCli, tempDir } from "../helpers.ts";

const work = tempDir("musicfs-metadata-cli-");
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("musicfs metadata", () => {
  const lib = path.join(work, "lib");
  const db = path.join(work, "catalog.db");
  const files = generateLibrary(lib, { artists: 2, albumsPerArtist: 1, tracksPerAlbum: 2, seed: 4, formats: ["mp3", "flac"], trackBytes: 4000 }).filter((f) => !f.malformed && !f.hostile);
  const [a, b] = files;
  const before = fs.readFileSync(a.path);

  test("set edits a track by its origin path; get shows the edits marked; search finds them", () => {
    expect(runCli(["scan", "--db", db, lib]).code).toBe(0);
    const set = runCli(["metadata", "set", "--db", db, a.path, "title=Quixotic Dawn", "track=3", "genre="]);
    expect(set.stderr).toBe("");
    expect(set.code).toBe(0);
    const get = runCli(["metadata", "get", "--db", db, "--json", a.path]);
    expect(get.code).toBe(0);
    const m = JSON.parse(get.stdout);
    expect(m).toMatchObject({ title: "Quixotic Dawn", track: 3, artist: a.tags.artist });
    expect(m.genre).toBeUndefined();
    expect(m.editedFields.sort()).toEqual(["genre", "title", "trackNo"]);
    const human = runCli(["metadata", "get", "--db", db, a.path]).stdout;
    expect(human).toMatch(/\* title\s+Quixotic Dawn/);
    expect(human).toMatch(/\* genre\s+\(removed\)/);
    const found = JSON.parse(runCli(["search", "--db", db, "--json", "quixotic"]).stdout);
    expect(found.hits.map((h: { path: string }) => h.path)).toEqual([a.path]);
    expect(Buffer.from(fs.readFileSync(a.path)).equals(Buffer.from(before))).toBe(true);
  });

  test("bad input: a clear message and exit 2, nothing stored", () => {
    const bad = runCli(["metadata", "set", "--db", db, a.path, "date=yesterday"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("date");
    const unknown = runCli(["metadata", "set", "--db", db, a.path, "mood=happy"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown field "mood"');
    const noPairs = runCli(["metadata", "set", "--db", db, a.path, "title"]);
    expect(noPairs.code).toBe(2);
    const missing = runCli(["metadata", "get", "--db", db, path.join(lib, "nope.mp3")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no track");
    expect(runCli(["metadata", "frobnicate", "--db", db]).code).toBe(2);
    expect(JSON.parse(runCli(["metadata", "get", "--db", db, "--json", a.path]).stdout).title).toBe("Quixotic Dawn");
  });

  test("import: good rows are stored, a bad row is reported with its number and makes the exit code 1", () => {
    const csv = path.join(work, "edits.csv");
    fs.writeFileSync(csv, `path,album,year\n${b.path},Imported Album,1987\n${path.join(lib, "ghost.flac")},X,2000\n`);
    const r = runCli(["metadata", "import", "--db", db, csv]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("imported 1 of 2 rows");
    expect(r.stderr).toContain("row 3");
    const m = JSON.parse(runCli(["metadata", "get", "--db", db, "--json", b.path]).stdout);
    expect(m).toMatchObject({ album: "Imported Album", date: "1987" });
  });

  test("clear --id puts the file's own tags back", () => {
    const id = JSON.parse(runCli(["metadata", "get", "--db", db, "--json", a.path]).stdout).fileId;
    const r = runCli(["metadata", "clear", "--db", db, "--id", String(id)]);
    expect(r.code).toBe(0);
    const m = JSON.parse(runCli(["metadata", "get", "--db", db, "--json", "--id", String(id)]).stdout);
    expect(m).toMatchObject({ title: a.tags.title, editedFields: [] });
    expect(m.genre ?? null).toBe(a.tags.genre ?? null);
  });
});
