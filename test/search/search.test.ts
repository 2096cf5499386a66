// Search semantics over a small hand-made catalog.
import { afterAll, describe, expect, test } from "bun:test";
import { QueryError, search, type SearchOptions } from "../../internal/search/index.ts";
import { upsertTracks } from "../../internal/catalog/index.ts";
import { fixtureDb, track } from "./fixture.ts";

const db = fixtureDb();
afterAll(() => db.close());

const titles = (q: string, opts: SearchOptions = {}) => search(db, q, opts).hits.map((h) => h.title);
const set = (q: string) => new Set(titles(q, { limit: 1000 }));

describe("words and fields", () => {
  test("bare words are AND-ed across the default fields", () => {
    expect(set("metallica")).toEqual(new Set(["Battery", "Master of Puppets", "Enter Sandman", "Songs about Metallica"]));
    expect(set("metallica puppets")).toEqual(new Set(["Battery", "Master of Puppets"]));
    expect(set("metallica nothing-like-this")).toEqual(new Set());
  });

  test("case and diacritics do not matter", () => {
    for (const q of ["bjork", "BJORK", "Björk", "björk"]) expect(set(q)).toEqual(new Set(["Jóga", "Bachelorette"]));
    expect(set("sigur ros")).toEqual(new Set(["Svefn-g-englar"]));
    expect(set("agaetis")).toEqual(new Set()); // æ is a letter of its own, not a+e
    expect(set("ágætis")).toEqual(new Set(["Svefn-g-englar"]));
    expect(set("joga")).toEqual(new Set(["Jóga"]));
  });

  test("field restriction", () => {
    expect(set("title:metallica")).toEqual(new Set(["Songs about Metallica"]));
    expect(set("artist:metallica")).toEqual(new Set(["Battery", "Master of Puppets", "Enter Sandman"]));
    expect(set("album:metallica")).toEqual(new Set(["Enter Sandman"]));
    expect(set("composer:debussy")).toEqual(new Set(["Clair de lune"]));
    expect(set("genre:metal")).toEqual(new Set(["Battery", "Master of Puppets", "Enter Sandman", "Songs about Metallica"]));
  });

  test("exact values (whole field, case-insensitive)", () => {
    expect(set("artist:=metallica")).toEqual(new Set(["Battery", "Master of Puppets", "Enter Sandman"]));
    expect(set("artist:=metal")).toEqual(new Set());
    expect(set('album:="Master of Puppets"')).toEqual(new Set(["Battery", "Master of Puppets"]));
  });

  test("phrases keep word order", () => {
    expect(set('"master of puppets"')).toEqual(new Set(["Battery", "Master of Puppets"]));
    expect(set('"puppets of master"')).toEqual(new Set());
    expect(set('title:"back in black"')).toEqual(new Set(["Back in Black"]));
  });

  test("punctuation inside words: AC/DC", () => {
    expect(set("AC/DC")).toEqual(new Set(["Back in Black"]));
    expect(set("artist:ac/dc")).toEqual(new Set(["Back in Black"]));
  });

  test("a bare four-digit number also matches the year", () => {
    expect(set("metallica 1991")).toEqual(new Set(["Enter Sandman"]));
  });
});

describe("numbers and flags", () => {
  test("ranges", () => {
    expect(set("year:1980..1989")).toEqual(new Set(["Battery", "Master of Puppets", "Indian Summer", "Back in Black"]));
    expect(set("year:[1980 TO 1989]")).toEqual(set("year:1980..1989"));
    expect(set("year:{1980 TO 1989}")).toEqual(new Set(["Battery", "Master of Puppets"]));
    expect(set("year:..1970")).toEqual(new Set(["Come Together", "Clair de lune"]));
    expect(set("year:>=2000")).toEqual(new Set(["Songs about Metallica"]));
    expect(set("year:<1969")).toEqual(new Set(["Clair de lune"]));
    expect(set("year:1991")).toEqual(new Set(["Enter Sandman"]));
  });

  test("bitrate is in kbit/s and covers the whole kbit", () => {
    expect(set("bitrate:256..")).toEqual(new Set(["Battery", "Master of Puppets", "Back in Black", "Indian Summer", "Jóga", "Bachelorette", "Svefn-g-englar", "Come Together", "Clair de lune"]));
    expect(set("bitrate:320")).toEqual(new Set(["Battery", "Master of Puppets"]));
    expect(set("bitrate:{128 TO 320}")).toEqual(new Set(["Back in Black", "Songs about Metallica"]));
  });

  test("track, format, cover, mbid", () => {
    expect(set("track:2")).toEqual(new Set(["Bachelorette", "Svefn-g-englar", "Master of Puppets"]));
    expect(set("format:wav")).toEqual(new Set(["Indian Summer"]));
    expect(set("format:.MP3 metallica")).toEqual(new Set(["Battery", "Master of Puppets", "Enter Sandman", "Songs about Metallica"]));
    expect(set("cover:yes")).toEqual(new Set(["Jóga", "Bachelorette"]));
    expect(search(db, "cover:no", { limit: 0 }).total).toBe(10);
    expect(set("mbid:A5B4C7D3-0000-4000-A000-000000000001")).toEqual(new Set(["Jóga"]));
  });
});

describe("boolean logic", () => {
  test("negation", () => {
    expect(set("metallica -battery")).toEqual(new Set(["Master of Puppets", "Enter Sandman", "Songs about Metallica"]));
    expect(set("metallica NOT title:metallica")).toEqual(new Set(["Battery", "Master of Puppets", "Enter Sandman"]));
    expect(set("metallica -year:1986")).toEqual(new Set(["Enter Sandman", "Songs about Metallica"]));
    // Only negations: everything else, including untagged tracks.
    expect(search(db, "-metallica -bjork", { limit: 0 }).total).toBe(12 - 4 - 2);
  });

  test("OR and parentheses", () => {
    expect(set("bjork OR sigur")).toEqual(new Set(["Jóga", "Bachelorette", "Svefn-g-englar"]));
    expect(set("(genre:rock OR genre:metal) year:..1985")).toEqual(new Set(["Come Together", "Back in Black"]));
    expect(set("genre:rock OR year:1991")).toEqual(new Set(["Come Together", "Back in Black", "Svefn-g-englar", "Enter Sandman"])); // Post-Rock has the word rock
    expect(set("genre:=rock OR year:1991")).toEqual(new Set(["Come Together", "Back in Black", "Enter Sandman"]));
    expect(set("metallica AND (battery OR sandman)")).toEqual(new Set(["Battery", "Enter Sandman"]));
    expect(set("(bjork -bachelorette) OR format:wav")).toEqual(new Set(["Jóga", "Indian Summer"]));
  });
});

describe("prefix, fuzzy, substring", () => {
  test("prefix", () => {
    expect(set("beat*")).toEqual(new Set(["Come Together", "Indian Summer"]));
    expect(set("artist:meta*")).toEqual(new Set(["Battery", "Master of Puppets", "Enter Sandman"]));
    expect(set("bj*")).toEqual(new Set(["Jóga", "Bachelorette"]));
  });

  test("fuzzy (edit distance, transpositions count 1)", () => {
    const m = new Set(["Battery", "Master of Puppets", "Enter Sandman", "Songs about Metallica"]);
    expect(set("metalica~1")).toEqual(m);
    expect(set("metlalica~1")).toEqual(m); // one transposition (al → la)
    expect(set("mettalica~1")).toEqual(new Set()); // two edits
    expect(set("metalika~1")).toEqual(new Set());
    expect(set("metalika~2")).toEqual(m);
    expect(set("artist:metalica~1")).toEqual(new Set(["Battery", "Master of Puppets", "Enter Sandman"]));
    expect(set("bjrk~1")).toEqual(new Set(["Jóga", "Bachelorette"]));
  });

  test("substring inside words (trigram), also in paths", () => {
    expect(set("*tallic*")).toEqual(new Set(["Battery", "Master of Puppets", "Enter Sandman", "Songs about Metallica"]));
    expect(set("title:*ndma*")).toEqual(new Set(["Enter Sandman"]));
    expect(set("*jör*")).toEqual(new Set(["Jóga", "Bachelorette"]));
    expect(set("*jor*")).toEqual(new Set(["Jóga", "Bachelorette"]));
    expect(set("path:broken")).toEqual(new Set([null]));
    expect(set("path:/music/AC*")).toEqual(new Set(["Back in Black"]));
    expect(set("*/d*")).toEqual(new Set(["Back in Black"])); // 2 characters: LIKE fallback
  });
});

describe("ranking, sorting, paging", () => {
  test("bm25 ranks an artist match above a title mention", () => {
    const r = search(db, "metallica");
    expect(r.ranked).toBe(true);
    expect(r.hits.at(-1)!.title).toBe("Songs about Metallica");
    for (let i = 1; i < r.hits.length; i++) expect(r.hits[i - 1].score!).toBeGreaterThanOrEqual(r.hits[i].score!);
  });

  test("sort keys", () => {
    expect(titles("year:1..", { sort: "year" })).toEqual(["Clair de lune", "Come Together", "Back in Black", "Battery", "Master of Puppets", "Indian Summer", "Enter Sandman", "Jóga", "Bachelorette", "Svefn-g-englar", "Songs about Metallica"]);
    expect(titles("metallica", { sort: "title" })).toEqual(["Battery", "Enter Sandman", "Master of Puppets", "Songs about Metallica"]);
    expect(titles("artist:metallica", { sort: "album" })).toEqual(["Battery", "Master of Puppets", "Enter Sandman"]);
    expect(search(db, "*", { sort: "artist" }).hits[0].artist).toBe("AC/DC");
    expect(search(db, "*", { sort: "artist" }).hits.at(-1)!.artist).toBeNull();
    expect(search(db, "*", { sort: "added" }).hits[0].parseError).not.toBeNull();
    expect(search(db, "metallica", { sort: "path" }).hits.map((h) => h.path)).toEqual(search(db, "metallica", { sort: "path" }).hits.map((h) => h.path).sort());
  });

  test("limit, offset and total", () => {
    const all = titles("*", { sort: "title", limit: 100 });
    expect(all.length).toBe(12);
    const page = search(db, "*", { sort: "title", limit: 5, offset: 5 });
    expect(page.total).toBe(12);
    expect(page.hits.map((h) => h.title)).toEqual(all.slice(5, 10));
    expect(search(db, "*", { offset: 50 }).hits).toEqual([]);
    expect(() => search(db, "*", { limit: -1 })).toThrow(RangeError);
    expect(() => search(db, "*", { limit: 10_001 })).toThrow(RangeError);
  });

  test("origin filter", () => {
    expect(search(db, "*", { origin: "local", limit: 0 }).total).toBe(12);
    expect(search(db, "metallica", { origin: "nas", limit: 0 }).total).toBe(0);
  });

  test("very short terms are matched but not ranked", () => {
    const r = search(db, "bj*");
    expect(r.ranked).toBe(false);
    expect(r.total).toBeGreaterThan(0);
    expect(r.hits.map((h) => h.id)).toEqual([...r.hits.map((h) => h.id)].sort((a, b) => a - b));
  });

  test("user text never breaks the SQL or the FTS syntax", () => {
    for (const q of ["\"'; DROP TABLE tracks; --\"", "x' OR '1'='1", "title:\"a\"\"b\"", "NEAR(a b)", "artist:=\"O'Brien\"", "*%_*", "{title}:x", "col:\"^\""]) {
      try {
        search(db, q);
      } catch (e) {
        expect(e).toBeInstanceOf(QueryError);
      }
    }
    expect(search(db, "*", { limit: 0 }).total).toBe(12);
  });

  test("terms without letters or digits", () => {
    expect(() => search(db, "!!")).toThrow(QueryError);
    expect(search(db, "!!!").total).toBe(0); // three characters: a substring search
  });

  test("the index follows updates and deletes", () => {
    const local = fixtureDb();
    const [id] = upsertTracks(local, [track({ title: "Nothing Else Matters", artist: "Metallica", path: "/music/new.flac" })]);
    expect(search(local, "matters").hits.map((h) => h.id)).toEqual([id]);
    upsertTracks(local, [track({ title: "Nothing Else Counts", artist: "Metallica", path: "/music/new.flac" })]);
    expect(search(local, "matters").total).toBe(0);
    expect(search(local, "counts").hits.map((h) => h.id)).toEqual([id]);
    expect(search(local, "*matte*").total).toBe(0);
    local.run("DELETE FROM tracks WHERE id = ?", [id]);
    expect(search(local, "counts").total).toBe(0);
    expect(search(local, "*count*").total).toBe(0);
    // The fuzzy vocabulary is cached per connection and must notice writes.
    expect(search(local, "zebrra~1").total).toBe(0);
    upsertTracks(local, [track({ title: "Zebra", path: "/music/zebra.flac" })]);
    expect(search(local, "zebrra~1").total).toBe(1);
    local.close();
  });
});
