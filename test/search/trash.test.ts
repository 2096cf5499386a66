// A track removed in a mount (rm → /.trash) is not found by search until it is restored.
import { expect, test } from "bun:test";
import { openCatalog, upsertTracks } from "../../internal/catalog/index.ts";
import { ensureNamespaceSchema } from "../../internal/mountfs/ns-store.ts";
import { search } from "../../internal/search/index.ts";
import { syntheticCatalog } from "../../bench/scenarios/search-rpc.ts";

test("trashed tracks are left out of hits and totals; restored ones come back", () => {
  const db = openCatalog(":memory:");
  const { tracks } = syntheticCatalog(200);
  const ids = upsertTracks(db, tracks);
  const artist = tracks[0].artist!;
  const before = search(db, `artist:"${artist}"`, { limit: 1000 });
  expect(before.total).toBeGreaterThan(1);
  ensureNamespaceSchema(db);
  db.query("INSERT INTO namespace_trash (track_id, path, trashed_at) VALUES (?, ?, ?)").run(ids[0], "/x", Date.now());
  const after = search(db, `artist:"${artist}"`, { limit: 1000 });
  expect(after.total).toBe(before.total - 1);
  expect(after.hits.map((h) => h.id)).not.toContain(ids[0]);
  db.query("DELETE FROM namespace_trash").run();
  expect(search(db, `artist:"${artist}"`, { limit: 1000 }).total).toBe(before.total);
  db.close();
});
