// 100 000 synthetic rows: bulk insert keeps both indexes right, and broad queries return bounded
// pages with exact totals. Correctness only; timings are measured by benchmarks, not asserted.
import { afterAll, describe, expect, test } from "bun:test";
import { BULK_ROWS, openCatalog, trackCount, upsertTracks, type TrackInput } from "../../internal/catalog/index.ts";
import { RANK_CAP, search } from "../../internal/search/index.ts";
import { track } from "./fixture.ts";

const N = 100_000;
const WORDS = ["love", "night", "blue", "dream", "fire", "heart", "rain", "black", "gold", "road", "light", "song", "moon", "star"];
const db = openCatalog(":memory:");
afterAll(() => db.close());

// Deterministic: row i's words depend only on i.
const rows: TrackInput[] = [];
for (let i = 0; i < N; i++) {
  rows.push(
    track({
      path: `/m/${i % 1000}/${i}.flac`,
      title: `${WORDS[i % 14]} ${WORDS[(i * 7 + 3) % 13]}`,
      artist: `Band ${i % 1000}`,
      album: `Album ${i % 5000}`,
      year: 1950 + (i % 70),
      genre: i % 5 ? "Rock" : "Pop",
    }),
  );
}

describe("100k tracks", () => {
  test("bulk insert indexes every row", () => {
    expect(N).toBeGreaterThanOrEqual(BULK_ROWS);
    const ids = upsertTracks(db, rows);
    expect(ids.length).toBe(N);
    expect(trackCount(db)).toBe(N);
    // Triggers are back after the bulk load: a later single insert is searchable at once.
    upsertTracks(db, [track({ path: "/m/extra.flac", title: "Zyzzyva", artist: "Solo" })]);
    expect(search(db, "zyzzyva").total).toBe(1);
    expect(search(db, "*zzyv*").total).toBe(1);
  });

  test("a broad 2-character prefix: exact total, one page, unranked", () => {
    const r = search(db, "ba*", { limit: 50 }); // every "Band N"
    expect(r.total).toBe(N);
    expect(r.hits.length).toBe(50);
    expect(r.ranked).toBe(false);
    expect(r.hits.map((h) => h.id)).toEqual(Array.from({ length: 50 }, (_, k) => k + 1));
  });

  test("a word hitting more than RANK_CAP rows is not ranked; a selective one is", () => {
    const expectedRock = rows.filter((t) => t.genre === "Rock").length;
    expect(expectedRock).toBeGreaterThan(RANK_CAP);
    const broad = search(db, "rock", { limit: 10 });
    expect(broad.total).toBe(expectedRock);
    expect(broad.ranked).toBe(false);
    const love = rows.filter((t) => t.title!.split(" ").includes("love")).length;
    const narrow = search(db, "love band", { limit: 10 });
    expect(narrow.total).toBe(love);
    expect(narrow.ranked).toBe(true);
    expect(narrow.hits.length).toBe(10);
  });

  test("selective field and range queries are exact", () => {
    const r = search(db, 'artist:"band 42" year:1990..1999', { limit: 1000 });
    const want = rows.filter((t) => t.artist === "Band 42" && t.year! >= 1990 && t.year! <= 1999).length;
    expect(r.total).toBe(want);
    expect(r.hits.every((h) => h.artist === "Band 42" && h.year! >= 1990 && h.year! <= 1999)).toBe(true);
  });

  test("the whole catalog in library order is one page", () => {
    const r = search(db, "*", { limit: 20, sort: "artist" });
    expect(r.total).toBe(N + 1);
    expect(r.hits[0].artist).toBe("Band 0");
  });
});
