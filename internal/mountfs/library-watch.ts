// While mounted, the catalog follows the library (FR-10): every source (a folder given to mount,
// each origin of the config) is watched (inotify on local disks, a listing every poll interval
// elsewhere) and, once its changes settle, rescanned into the catalog, incrementally. The FUSE
// workers see the new catalog within a second (MusicFs.refresh): no remount.
import type { Database } from "bun:sqlite";
import * as nodePath from "node:path";
import { openCatalog } from "../catalog/db.ts";
import type { ScanSummary } from "../catalog/scan.ts";
import type { OriginChange, OriginWatcher } from "../origins/types.ts";

export interface WatchedSource {
  /** Shown in logs: a folder, or `origin <id>`. */
  name: string;
  /** The catalog's origin id of its tracks ("local" for folders given to mount). */
  originId: string;
  /** The catalog's path of a changed file (folders: absolute; S3 and SFTP: origin paths). */
  catalogPath(originPath: string): string;
  watch(onChanges: (changes: OriginChange[]) => void, onError: (e: unknown) => void): OriginWatcher;
  rescan(db: Database): Promise<ScanSummary>;
}

export interface LibraryWatcherOptions {
  /** A rescan starts this long after a source's last reported change. Default 1000 ms. */
  settleMs?: number;
  log: (line: string) => void;
  /** Each change as reported (events: file_added, file_modified, file_removed). */
  onChanges?: (source: WatchedSource, changes: OriginChange[]) => void;
  /** After each rescan (tests, stats). */
  onRescanned?: (source: WatchedSource, summary: ScanSummary | null) => void;
}

export class LibraryWatcher {
  private readonly watchers: OriginWatcher[] = [];
  private readonly dirty = new Set<WatchedSource>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly dbPath: string,
    private readonly sources: readonly WatchedSource[],
    private readonly opts: LibraryWatcherOptions,
  ) {}

  start(): this {
    for (const s of this.sources) {
      // A dead origin fails every poll: its error is logged when it first comes or changes.
      let last = "";
      const onError = (e: unknown) => {
        const text = errorText(e);
        if (text !== last) this.opts.log(`watch ${s.name}: ${text}`);
        last = text;
      };
      this.watchers.push(s.watch((changes) => ((last = ""), this.changed(s, changes)), onError));
    }
    return this;
  }

  private changed(s: WatchedSource, changes: OriginChange[]): void {
    if (this.closed) return;
    this.opts.onChanges?.(s, changes);
    this.dirty.add(s);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.drain(), this.opts.settleMs ?? 1000);
  }

  /** Rescans the changed sources one at a time; changes that come meanwhile get a rescan of their own. */
  private drain(): void {
    if (this.running || this.closed) return;
    this.running = (async () => {
      while (this.dirty.size > 0 && !this.closed) {
        const s = this.dirty.values().next().value!;
        this.dirty.delete(s);
        let summary: ScanSummary | null = null;
        let db: Database | null = null;
        try {
          // A connection of its own: the scan's transactions must not take in the mount's other writes.
          db = openCatalog(this.dbPath);
          summary = await s.rescan(db);
          const moved = summary.added + summary.updated + summary.removed + summary.moved;
          if (moved > 0 || summary.errors.length > 0) {
            this.opts.log(`rescanned ${s.name}: ${summary.added} added, ${summary.updated} updated, ${summary.removed} removed, ${summary.moved} moved${summary.errors.length ? `, ${summary.errors.length} error(s): ${summary.errors[0].message}` : ""}`);
          }
        } catch (e) {
          this.opts.log(`rescan of ${s.name} failed (the catalog keeps what it had): ${errorText(e)}`);
        } finally {
          db?.close();
        }
        this.opts.onRescanned?.(s, summary);
      }
    })().finally(() => {
      this.running = null;
      if (this.dirty.size > 0 && !this.closed) this.drain();
    });
  }

  /** Stops watching; resolves when a rescan in progress has finished. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    await this.running;
  }
}

/** A catalog path for a folder source: the folder's absolute path joined with the change's. */
export function folderPath(folder: string): (originPath: string) => string {
  const abs = nodePath.resolve(folder);
  return (p) => nodePath.join(abs, p);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
