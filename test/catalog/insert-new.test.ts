// TrackWriter.insertNew: the fast insert path the scanner uses for new files fills both indexes
// exactly as the triggers would, keeps the triggers, and rolls back whole on a duplicate path.
import { describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { openCatalog, trackCount, type TrackInput } from "../../internal/catalog/index.ts";
import { TrackWriter } from "../../internal/catalog/track.ts";
import { search } from "../../internal/search/index.ts";
import { track } from "../search/fixture.ts";

function rows(n: number, prefix: string): TrackInput[] {
  return Array.from({ length: n }, (_, i) => track({ path: `/m/${prefix}/${i}.flac`, title: `${prefix} Title ${i}`, artist: `Artist ${i % 7}`, album: "Ágætis byrjun" }));
}

function integrity(db: Database): void {
  // FTS5 compares its index with the content table and throws on any difference.
  db.run("INSERT INTO tracks_fts(tracks_fts) VALUES ('integrity-check')");
  db.run("INSERT INTO tracks_tri(tracks_tri) VALUES ('integrity-check')");
}

// The FTS triggers (the bulk path drops and recreates them); the generation triggers always stay.
const triggers = (db: Database) => (db.query("SELECT count(*) AS n FROM sqlite_master WHERE type = 'trigger' AND name IN ('tracks_ai', 'tracks_ad', 'tracks_au')").get() as { n: number }).n;

describe("TrackWriter.insertNew", () => {
  test("rows are searchable by word and substring; indexes consistent; triggers back", () => {
    const db = openCatalog(":memory:");
    const w = new TrackWriter(db);
    w.batch(() => w.insertNew(rows(5, "small"))); // below the threshold: upserts
    w.batch(() => w.insertNew(rows(300, "bulk")));
    expect(trackCount(db)).toBe(305);
    expect(search(db, "bulk title").total).toBe(300);
    expect(search(db, "byrjun").total).toBe(305);
    expect(search(db, "*ulk Tit*").total).toBe(300);
    expect(triggers(db)).toBe(3);
    integrity(db);
    // Later single writes still go through the triggers.
    w.upsert(track({ path: "/m/late.flac", title: "Zyzzyva" }));
    expect(search(db, "zyzzyva").total).toBe(1);
    integrity(db);
  });

  test("a duplicate path rolls the whole batch back, triggers included", () => {
    const db = openCatalog(":memory:");
    const w = new TrackWriter(db);
    w.batch(() => w.insertNew(rows(40, "first")));
    const dup = [...rows(30, "second"), rows(40, "first")[3]];
    expect(() => w.batch(() => w.insertNew(dup))).toThrow(/UNIQUE/);
    expect(trackCount(db)).toBe(40);
    expect(search(db, "second").total).toBe(0);
    expect(triggers(db)).toBe(3);
    integrity(db);
  });
});
