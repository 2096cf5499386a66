// The mount's side of the metadata overlay (FR-5.3): which tracks have tag edits, and each one's
// plan (synthesised header + the original's audio range), computed once per edit version and
// origin file state. One instance per FUSE worker; plans are small (a header), built from the
// file's head bytes. A file whose header cannot be planned (malformed, unreadable) is served as
// it is, with one log line: an edit must never make a track unreadable.
import type { Database } from "bun:sqlite";
import * as fs from "node:fs";
import { getOverlay, overlayVersions } from "../catalog/overlays.ts";
import type { Track } from "../catalog/track.ts";
import { OverlayError, planOverlay, toOverlayTags, type OverlayPlan, type ReadRange } from "../overlay/index.ts";

interface Entry {
  key: string;
  pending: Promise<OverlayPlan | null>;
  /** Set once pending settles: the plan, or null to serve the original. */
  done?: OverlayPlan | null;
}

export class OverlayPlans {
  private versions = new Map<number, number>();
  /** Tracks whose served bytes changed while this mount ran: their pages must not be kept. */
  private readonly touched = new Set<number>();
  private readonly plans = new Map<number, Entry>();

  constructor(
    private readonly db: Database,
    private readonly log: (line: string) => void,
  ) {
    this.reload();
  }

  /** Re-reads which tracks have edits (after the catalog changed). */
  reload(): void {
    const next = overlayVersions(this.db);
    for (const id of this.versions.keys()) if (next.get(id) !== this.versions.get(id)) this.touched.add(id);
    for (const [id, v] of next) if (this.versions.get(id) !== v) this.touched.add(id);
    this.versions = next;
  }

  /** Whether any track has edits (most catalogs have none: callers skip their checks). */
  any(): boolean {
    return this.versions.size > 0;
  }

  has(trackId: number): boolean {
    return this.versions.has(trackId);
  }

  /** False for a track edited (or un-edited) during this mount: the kernel's cached pages are stale. */
  keepCache(trackId: number): boolean {
    return !this.touched.has(trackId);
  }

  private keyOf(t: Track): string {
    return `${this.versions.get(t.id)}:${t.size}:${t.mtimeMs}`;
  }

  /** The plan when already computed (null: serve the original), undefined when not yet. */
  ready(t: Track): OverlayPlan | null | undefined {
    const e = this.plans.get(t.id);
    return e && e.key === this.keyOf(t) ? e.done : undefined;
  }

  /** The plan of `t` (null: serve the original), reading the original's head through `read`. */
  plan(t: Track, read: ReadRange): Promise<OverlayPlan | null> {
    const key = this.keyOf(t);
    const cur = this.plans.get(t.id);
    if (cur && cur.key === key) return cur.pending;
    const entry: Entry = { key, pending: Promise.resolve(null) };
    entry.pending = this.compute(t, read).then(
      (p) => (entry.done = p),
      (e) => {
        // The origin failed: the next open tries again (and may reach another copy).
        if (this.plans.get(t.id) === entry) this.plans.delete(t.id);
        throw e;
      },
    );
    this.plans.set(t.id, entry);
    return entry.pending;
  }

  private async compute(t: Track, read: ReadRange): Promise<OverlayPlan | null> {
    const rec = getOverlay(this.db, t.id);
    if (!rec) return null;
    try {
      return await planOverlay(t.format, read, t.size, toOverlayTags(rec.edits));
    } catch (e) {
      if (e instanceof OverlayError && e.code === "read-failed") throw (e.cause ?? e);
      this.log(`overlay of ${t.path}: ${(e as Error).message}; serving the file as it is`);
      return null;
    }
  }
}

/** A ReadRange over a local file, opened for this one plan. */
export function localRange(file: string): ReadRange {
  return async (offset, length) => {
    const fd = fs.openSync(file, "r");
    try {
      const buf = new Uint8Array(length);
      const n = fs.readSync(fd, buf, 0, length, offset);
      return buf.subarray(0, n);
    } finally {
      fs.closeSync(fd);
    }
  };
}
