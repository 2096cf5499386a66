// The overlay's storage in the catalog: merge semantics, the effective tags search sees, clear,
// rescans keeping the edits over fresh file tags, refusal of bad edits, cascade on delete.
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CatalogError, clearOverlay, getOverlay, getTrackByPath, openCatalog, overlayVersions, scanLibrary, setOverlay } from "../../internal/catalog/index.ts";
import { OverlayError } from "../../internal/overlay/index.ts";
import { generateLibrary, retag } from "../../internal/samplelib/index.ts";
import { search } from "../../internal/search/index.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-overlays-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("overlay storage", async () => {
  const lib = path.join(root, "lib");
  const files = generateLibrary(lib, { artists: 2, albumsPerArtist: 1, tracksPerAlbum: 3, seed: 5, formats: ["mp3", "flac"], trackBytes: 4000 }).filter((f) => !f.malformed && !f.hostile);
  const db = openCatalog(path.join(root, "c.db"));
  await scanLibrary(db, [lib]);
  const file = files[0];
  const before = getTrackByPath(db, file.path)!;

  test("an edit changes the catalog's tags (search finds the new title) and keeps the file's", () => {
    const rec = setOverlay(db, before.id, { title: "Zanzibar Nights", trackNo: 9 });
    expect(rec.version).toBe(1);
    expect(rec.original.title).toBe(before.title);
    const t = getTrackByPath(db, file.path)!;
    expect(t.title).toBe("Zanzibar Nights");
    expect(t.trackNo).toBe(9);
    expect(t.artist).toBe(before.artist);
    expect(search(db, "zanzibar", { limit: 10 }).hits.map((h) => h.id)).toEqual([before.id]);
    expect(overlayVersions(db).get(before.id)).toBe(1);
  });

  test("edits merge: a later edit of other fields keeps the earlier ones; null removes", () => {
    const rec = setOverlay(db, before.id, { artist: ["Ana", "Bo"], date: "1999-04-01", genre: null });
    expect(rec.version).toBe(2);
    expect(rec.edits).toEqual({ title: ["Zanzibar Nights"], trackNo: ["9"], artist: ["Ana", "Bo"], date: ["1999-04-01"], genre: null });
    const t = getTrackByPath(db, file.path)!;
    expect(t).toMatchObject({ title: "Zanzibar Nights", artist: "Ana; Bo", year: 1999, genre: null });
  });

  test("bad edits are refused before anything is stored; unknown tracks too", () => {
    expect(() => setOverlay(db, before.id, { title: "a\0b" })).toThrow(OverlayError);
    expect(() => setOverlay(db, before.id, { bogus: 1 } as never)).toThrow(/unknown field/);
    expect(() => setOverlay(db, 999_999, { title: "x" })).toThrow(CatalogError);
    expect(getOverlay(db, before.id)!.version).toBe(2);
  });

  test("a rescan of the changed file keeps the edits over its new tags", async () => {
    await retag(file.path, { album: "Retagged Album", title: "File Title" });
    fs.utimesSync(file.path, new Date(), new Date(Date.now() + 5000));
    const s = await scanLibrary(db, [lib]);
    expect(s.updated).toBe(1);
    const t = getTrackByPath(db, file.path)!;
    // The file's new album shows (not edited); the edited title stays.
    expect(t.album).toBe("Retagged Album");
    expect(t.title).toBe("Zanzibar Nights");
    expect(getOverlay(db, before.id)!.original.title).toBe("File Title");
  });

  test("clear puts the file's own tags back", () => {
    expect(clearOverlay(db, before.id)).toBe(true);
    expect(clearOverlay(db, before.id)).toBe(false);
    const t = getTrackByPath(db, file.path)!;
    expect(t).toMatchObject({ title: "File Title", album: "Retagged Album", trackNo: before.trackNo, artist: before.artist, genre: before.genre });
    expect(search(db, "zanzibar", { limit: 10 }).total).toBe(0);
  });

  test("a track that leaves the catalog takes its edits along", async () => {
    const other = getTrackByPath(db, files[1].path)!;
    setOverlay(db, other.id, { title: "Gone Soon" });
    fs.rmSync(files[1].path);
    await scanLibrary(db, [lib]);
    expect(getOverlay(db, other.id)).toBeNull();
    db.close();
  });
});
