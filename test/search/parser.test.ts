// The query parser: accepted forms, and rejected ones with the exact error position.
import { describe, expect, test } from "bun:test";
import { parseQuery, QueryError, caretLines } from "../../internal/search/index.ts";

describe("parseQuery accepts", () => {
  test("bare words are AND-ed", () => {
    expect(parseQuery("enter sandman")).toMatchObject({ kind: "and", items: [{ kind: "text", field: null, mode: "word", value: "enter" }, { kind: "text", value: "sandman" }] });
  });

  test("fields, exact values, phrases", () => {
    expect(parseQuery("artist:metallica")).toMatchObject({ kind: "text", field: "artist", mode: "word", value: "metallica" });
    expect(parseQuery("artist:=Metallica")).toMatchObject({ kind: "text", field: "artist", mode: "exact", value: "Metallica" });
    expect(parseQuery('album:"Master of Puppets"')).toMatchObject({ kind: "text", field: "album", mode: "phrase", value: "Master of Puppets" });
    expect(parseQuery('artist:="Sigur Rós"')).toMatchObject({ mode: "exact", value: "Sigur Rós" });
    expect(parseQuery('"say \\"hi\\""')).toMatchObject({ mode: "phrase", value: 'say "hi"' });
    expect(parseQuery("album_artist:x")).toMatchObject({ field: "albumartist" });
    expect(parseQuery("ARTIST:x")).toMatchObject({ field: "artist" });
  });

  test("ranges in every spelling", () => {
    const r = (q: string) => parseQuery(q) as unknown as Record<string, unknown>;
    expect(r("year:1990..1999")).toMatchObject({ kind: "range", field: "year", lo: 1990, hi: 1999, loInclusive: true, hiInclusive: true });
    expect(r("bitrate:256..")).toMatchObject({ lo: 256, hi: null });
    expect(r("year:..1980")).toMatchObject({ lo: null, hi: 1980 });
    expect(r("year:[1980 TO 1989]")).toMatchObject({ lo: 1980, hi: 1989, loInclusive: true, hiInclusive: true });
    expect(r("year:{1980 TO 1989}")).toMatchObject({ loInclusive: false, hiInclusive: false });
    expect(r("year:[1980 TO *]")).toMatchObject({ lo: 1980, hi: null });
    expect(r("year:>=2000")).toMatchObject({ lo: 2000, hi: null, loInclusive: true });
    expect(r("year:<2000")).toMatchObject({ lo: null, hi: 2000, hiInclusive: false });
    expect(r("year:1991")).toMatchObject({ lo: 1991, hi: 1991 });
    expect(r("size:2M..")).toMatchObject({ lo: 2 * 1024 * 1024 });
    expect(r("duration:3:30..")).toMatchObject({ lo: 210 });
  });

  test("boolean operators, precedence and grouping", () => {
    // AND binds tighter than OR.
    expect(parseQuery("a b OR c")).toMatchObject({ kind: "or", items: [{ kind: "and" }, { kind: "text", value: "c" }] });
    expect(parseQuery("a AND (b OR c)")).toMatchObject({ kind: "and", items: [{ value: "a" }, { kind: "or" }] });
    expect(parseQuery("-live")).toMatchObject({ kind: "not", item: { value: "live" } });
    expect(parseQuery("NOT live")).toMatchObject({ kind: "not", item: { value: "live" } });
    expect(parseQuery("-artist:x")).toMatchObject({ kind: "not", item: { field: "artist" } });
    // Lowercase operators are plain words.
    expect(parseQuery("this or that")).toMatchObject({ kind: "and", items: [{}, { value: "or" }, {}] });
  });

  test("wildcards and fuzziness", () => {
    expect(parseQuery("beat*")).toMatchObject({ mode: "prefix", value: "beat" });
    expect(parseQuery("*tall*")).toMatchObject({ mode: "substring", value: "tall" });
    expect(parseQuery("*tall")).toMatchObject({ mode: "substring", value: "tall" });
    expect(parseQuery("metalica~1")).toMatchObject({ mode: "fuzzy", value: "metalica", distance: 1 });
    expect(parseQuery("metalica~")).toMatchObject({ mode: "fuzzy", distance: 1 });
    expect(parseQuery("metalica~2")).toMatchObject({ distance: 2 });
    expect(parseQuery("*")).toMatchObject({ kind: "all" });
  });
});

// [query, position, message fragment]
const BAD: [string, number, string][] = [
  ["", 0, "empty query"],
  ["   ", 0, "empty query"],
  ["(rock", 0, "missing ')'"],
  ["rock)", 4, "unmatched ')'"],
  ["()", 1, "empty parentheses"],
  ["rock OR", 7, "after OR"],
  ["OR rock", 0, "left"],
  ["rock AND", 8, "after AND"],
  ["NOT", 3, "after NOT"],
  ["rock -", 5, "'-' must be followed"],
  ['"open', 0, "unterminated quote"],
  ['title:"abc', 6, "unterminated quote"],
  ['""', 0, "empty phrase"],
  ["foo:bar", 0, "unknown field 'foo'"],
  ["rock foo:bar", 5, "unknown field"],
  ["artist:", 7, "missing value"],
  ["artist: x", 7, "missing value"],
  ["year:abc", 5, "not a number"],
  ["year:1990..x", 11, "not a number"],
  ["year:..", 5, "at least one bound"],
  ["year:[1980 TO", 13, "upper bound"],
  ["year:[1980 1989]", 11, "'TO'"],
  ["year:[1980 TO 1989", 5, "missing ']'"],
  ["year:[x TO 1989]", 6, "not a number"],
  ["artist:[a TO b]", 7, "numeric fields"],
  ["metalica~3", 9, "0, 1 or 2"],
  ["be*at", 2, "'*' works only"],
  ["rock s*", 5, "at least 2 characters"],
  ["cover:maybe", 6, "yes or no"],
  ["bitrate:320k", 8, "not a number"],
];

describe("parseQuery rejects with a position", () => {
  for (const [q, pos, msg] of BAD) {
    test(JSON.stringify(q), () => {
      let err: unknown;
      try {
        parseQuery(q);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(QueryError);
      const qe = err as QueryError;
      expect(qe.message).toContain(msg);
      expect(qe.position).toBe(pos);
      expect(qe.query).toBe(q);
      expect(qe.name).toMatch(/SyntaxError/); // the rpc layer duck-types on this
    });
  }
});

test("caretLines points at the position, control characters blanked", () => {
  expect(caretLines("year:abc", 5)).toBe("year:abc\n     ^");
  expect(caretLines("a\tb", 2)).toBe("a b\n  ^");
  expect(caretLines("Björk)", 5)).toBe("Björk)\n     ^");
});
