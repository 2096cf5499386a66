// `age:` (alias `added:`): whole days since a track entered the catalog, for "Recently Added".
import { expect, test } from "bun:test";
import { openCatalog, upsertTracks } from "../../internal/catalog/index.ts";
import { search } from "../../internal/search/index.ts";
import { track } from "./fixture.ts";

test("age ranges count whole days since added_at; added is an alias", () => {
  const db = openCatalog(":memory:");
  const ids = upsertTracks(db, [track({ title: "today" }), track({ title: "last week" }), track({ title: "last year" })]);
  const day = 86_400_000;
  const now = Date.now();
  const setAge = (id: number, days: number) => db.query("UPDATE tracks SET added_at = ? WHERE id = ?").run(now - days * day - 1000, id);
  setAge(ids[0], 0);
  setAge(ids[1], 7);
  setAge(ids[2], 365);
  const titles = (q: string) => search(db, q, { sort: "added" }).hits.map((h) => h.title);
  expect(titles("age:..29")).toEqual(["today", "last week"]);
  expect(titles("added:..6")).toEqual(["today"]);
  expect(titles("age:30..")).toEqual(["last year"]);
  expect(titles("age:7")).toEqual(["last week"]);
  db.close();
});
