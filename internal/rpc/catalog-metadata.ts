// MetadataBackend over the catalog file: reads on the caller's connection, edits on a writable
// connection of its own opened on first use (serve and mount --serve read the catalog read-only).
import type { Database } from "bun:sqlite";
import { clearOverlay, getOverlay, getTrack, openCatalog, setOverlay } from "../catalog/index.ts";
import type { EventBus } from "../events/bus.ts";
import type { OverlayTags } from "../overlay/index.ts";
import { ROOT_INO } from "../vfs/index.ts";
import type { MetadataBackend, MetadataInfo } from "./metadata-service.ts";

/**
 * A track id for `p`: "#<id>", a path on an origin (as the catalog stores it), or a path inside a
 * mount (any tree the mounts stored in this catalog: mount_tree, keyed by template and origins).
 */
export function resolveTrackPath(db: Database, p: string): number | null {
  const byId = /^#(\d{1,15})$/.exec(p);
  if (byId) return getTrack(db, Number(byId[1])) ? Number(byId[1]) : null;
  const direct = db.query("SELECT id FROM tracks WHERE path = ? LIMIT 2").all(p) as { id: number }[];
  if (direct.length === 1) return direct[0].id;
  if (!db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'mount_tree'").get()) return null;
  const parts = p.split("/").filter((s) => s !== "" && s !== ".");
  if (parts.length === 0) return null;
  const found = new Set<number>();
  const child = db.query("SELECT ino, track_id FROM mount_tree WHERE key = ? AND parent = ? AND name = ?");
  for (const { key } of db.query("SELECT key FROM mount_tree_meta").all() as { key: string }[]) {
    let ino = ROOT_INO;
    let track: number | null = null;
    for (const name of parts) {
      const r = child.get(key, ino, name) as { ino: number; track_id: number | null } | null;
      if (!r) {
        track = null;
        break;
      }
      ino = r.ino;
      track = r.track_id;
    }
    if (track !== null) found.add(track);
  }
  return found.size === 1 ? [...found][0] : null;
}

export function catalogMetadata(readDb: Database, dbFile: string, events?: EventBus): MetadataBackend {
  let writeDb: Database | null = null;
  const writer = () => (writeDb ??= openCatalog(dbFile));
  const changed = (id: number, fields: string) => {
    const t = getTrack(readDb, id);
    events?.publish({ eventType: "file_modified", fileId: id, originId: t?.origin, path: t?.path, metadata: { change: "metadata", fields } });
  };
  return {
    resolve: (p) => resolveTrackPath(readDb, p),
    match(key) {
      if ("fileId" in key) return getTrack(readDb, key.fileId) ? key.fileId : null;
      if ("path" in key) return resolveTrackPath(readDb, key.path);
      const rows = readDb.query("SELECT id FROM tracks WHERE mb_recording_id = ? LIMIT 2").all(key.mbRecordingId) as { id: number }[];
      return rows.length === 1 ? rows[0].id : null;
    },
    info(id): MetadataInfo | null {
      const t = getTrack(readDb, id);
      if (!t) return null;
      return { track: t, overlay: getOverlay(readDb, id) };
    },
    update(id: number, tags: OverlayTags) {
      const rec = setOverlay(writer(), id, tags);
      changed(id, Object.keys(tags).join(","));
      return rec.version;
    },
    clear(id: number) {
      const had = clearOverlay(writer(), id);
      if (had) changed(id, "*");
      return had;
    },
    close() {
      writeDb?.close();
      writeDb = null;
    },
  };
}
