// Where a catalog row's bytes live, for a mount with configured origins. Rows scanned from
// folders (local, and NFS/SMB shares mounted by the OS) keep absolute paths; rows of S3/SFTP
// origins keep origin-relative paths. The router wants origin-relative paths for all of them.
import * as path from "node:path";
import type { Track } from "../catalog/index.ts";
import type { MusicFsConfig } from "../config/index.ts";
import type { OriginType, TrackLocation, TrackRef } from "../origins/index.ts";

/** What the mount's workers know of a configured origin: no credentials, only what routing needs. */
export interface OriginSummary {
  id: string;
  type: OriginType;
  /** Lower is preferred (as in the config). */
  priority: number;
  /** Host folder of a local/NFS/SMB origin (rows under it hold absolute paths). */
  root?: string;
}

/** The enabled origins of a config as the mount's workers see them (also the tree snapshot's key). */
export function summarizeOrigins(config: MusicFsConfig): OriginSummary[] {
  return config.origins
    .filter((o) => o.enabled)
    .map((o) => ({ id: o.id, type: o.type, priority: o.priority, root: o.type === "local" || o.type === "nfs" || o.type === "smb" ? path.resolve(o.path) : undefined }));
}

/** The origin id of rows from `musicfs scan DIR` without a config: absolute paths, read directly. */
export const PLAIN_LOCAL = "local";

export class Locations {
  private readonly byId = new Map<string, OriginSummary>();

  constructor(origins: readonly OriginSummary[]) {
    for (const o of origins) this.byId.set(o.id, o);
  }

  get configured(): boolean {
    return this.byId.size > 0;
  }

  /** A row this mount can read at all: an origin of the config, or a plain local scan. */
  readable(t: Track): boolean {
    return this.byId.has(t.origin) || (t.origin === PLAIN_LOCAL && path.isAbsolute(t.path));
  }

  /** Read with a descriptor in the worker (fast path): plain local rows and `local` origins. */
  direct(t: Track): boolean {
    const o = this.byId.get(t.origin);
    return o ? o.type === "local" : t.origin === PLAIN_LOCAL;
  }

  priority(t: Track): number {
    return this.byId.get(t.origin)?.priority ?? 0;
  }

  /** The row as a router location, or null when its path is not under its origin's root. */
  location(t: Track): TrackLocation | null {
    const o = this.byId.get(t.origin);
    if (!o) return null;
    if (o.root === undefined) return { originId: o.id, path: t.path };
    const rel = path.relative(o.root, t.path);
    if (rel.startsWith("..") || path.isAbsolute(rel)) return null;
    return { originId: o.id, path: "/" + rel.split(path.sep).join("/") };
  }

  /** The router's view of a track and its copies (best first). */
  trackRef(copies: readonly Track[]): TrackRef {
    const locations: TrackLocation[] = [];
    for (const c of copies) {
      const l = this.location(c);
      if (l) locations.push(l);
    }
    return { fingerprint: copies[0].fingerprint ?? undefined, size: copies[0].size, locations };
  }
}

/**
 * Collapses copies of one file on several origins (same fingerprint and size) into one entry,
 * the copy on the preferred origin first. Rows without a fingerprint stand alone.
 */
export function groupCopies(tracks: readonly Track[], loc: Locations): Track[][] {
  const groups = new Map<string, Track[]>();
  const out: Track[][] = [];
  for (const t of tracks) {
    if (!loc.readable(t)) continue;
    if (!t.fingerprint) {
      out.push([t]);
      continue;
    }
    const k = `${t.fingerprint}:${t.size}`;
    const g = groups.get(k);
    if (g) g.push(t);
    else {
      const fresh = [t];
      groups.set(k, fresh);
      out.push(fresh);
    }
  }
  for (const g of out) if (g.length > 1) g.sort((a, b) => loc.priority(a) - loc.priority(b) || Number(loc.direct(b)) - Number(loc.direct(a)) || a.id - b.id);
  return out;
}
