// Change detection on origins (FR-10): what was created, modified or deleted under a folder.
// Local disks push changes (inotify through fs.watch, debounced); every other origin is polled:
// a listing compared with the last one by size and mtime (NFS and SMB too: inotify does not see
// other clients' writes to a network share). Consumers re-scan what changed (mount --config).
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { joinOriginPath, normalizeOriginPath } from "./paths.ts";
import type { Origin, OriginChange, OriginWatcher, WatchOptions } from "./types.ts";
import { walk } from "./walk.ts";

/** Watches `dir` of any origin: its own push watcher when it has one (Origin.watch), else polling. */
export function watchOrigin(origin: Origin, dir: string, onChanges: (changes: OriginChange[]) => void, opts: WatchOptions = {}): OriginWatcher {
  return origin.watch?.(dir, onChanges, opts) ?? pollWatch(origin, dir, onChanges, opts);
}

interface Seen {
  size: number;
  mtimeMs: number;
}

/**
 * Lists `dir` every `intervalMs` and reports files that appeared, changed size or mtime, or
 * vanished since the listing before (the first listing only sets the baseline). A folder that
 * cannot be listed reports no deletions under it, and a failed listing of `dir` none at all: an
 * origin that is down has not lost its files.
 */
export function pollWatch(origin: Origin, dir: string, onChanges: (changes: OriginChange[]) => void, opts: WatchOptions = {}): OriginWatcher {
  const root = normalizeOriginPath(dir, origin.id);
  const intervalMs = Math.max(10, opts.intervalMs ?? 300_000);
  let known: Map<string, Seen> | null = null;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const poll = async (): Promise<void> => {
    const now = new Map<string, Seen>();
    const unreadable: string[] = [];
    for await (const e of walk(origin, root, { onError: (d, err) => (unreadable.push(d), opts.onError?.(err)) })) now.set(e.path, { size: e.size, mtimeMs: e.mtimeMs });
    if (closed) return;
    if (unreadable.includes(root)) return; // keep the old baseline
    const before = known;
    known = now;
    if (before === null) return;
    const changes: OriginChange[] = [];
    for (const [p, s] of now) {
      const b = before.get(p);
      if (!b) changes.push({ kind: "created", path: p });
      else if (b.size !== s.size || b.mtimeMs !== s.mtimeMs) changes.push({ kind: "modified", path: p });
    }
    for (const [p, s] of before) {
      if (now.has(p)) continue;
      if (unreadable.some((d) => p.startsWith(d === "/" ? "/" : `${d}/`))) now.set(p, s); // not seen, not gone
      else changes.push({ kind: "deleted", path: p });
    }
    if (changes.length > 0) onChanges(changes);
  };
  const loop = (): void => {
    poll()
      .catch((e) => opts.onError?.(e))
      .finally(() => {
        if (!closed) timer = setTimeout(loop, intervalMs);
      });
  };
  loop();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}

/**
 * inotify on the host folder `hostDir` (fs.watch, recursive), reported as paths of an origin whose
 * root is `hostRoot`. Events are coalesced per path until `debounceMs` pass without one (at most
 * 10 x that while events keep coming); then each path is looked at: gone → deleted; there after a
 * create or rename event → created; else modified. `stat` must apply the origin's confinement
 * (a symlink out of the root is not the origin's file, and is not reported).
 */
export function inotifyWatch(
  hostRoot: string,
  hostDir: string,
  stat: (originPath: string) => Promise<{ isDir: boolean }>,
  onChanges: (changes: OriginChange[]) => void,
  opts: WatchOptions = {},
): OriginWatcher {
  const debounceMs = Math.max(1, opts.debounceMs ?? 200);
  const pending = new Map<string, "rename" | "change">();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let firstPendingAt = 0;
  let closed = false;
  const prefix = nodePath.relative(hostRoot, hostDir);

  const flush = async (): Promise<void> => {
    timer = undefined;
    const batch = [...pending];
    pending.clear();
    const changes: OriginChange[] = [];
    for (const [p, ev] of batch) {
      try {
        if ((await stat(p)).isDir) {
          if (ev === "rename") changes.push({ kind: "created", path: p });
          continue;
        }
        changes.push({ kind: ev === "rename" ? "created" : "modified", path: p });
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === "ENOENT") changes.push({ kind: "deleted", path: p });
        // Anything else (EPATH: a link out of the root) is not a change of this origin's files.
      }
    }
    if (!closed && changes.length > 0) onChanges(changes);
  };

  // Throws when inotify cannot watch the folder (missing, or fs.inotify.max_user_watches reached).
  const watcher = fs.watch(hostDir, { recursive: true }, (event, name) => {
    if (closed || name === null) return;
    const p = normalizeOriginPath(joinOriginPath("/", nodePath.join(prefix, String(name))));
    // A rename seen once stays a rename (a file replaced by rename, then written to).
    if (pending.get(p) !== "rename") pending.set(p, event === "rename" ? "rename" : "change");
    if (timer === undefined) firstPendingAt = performance.now();
    clearTimeout(timer);
    const wait = performance.now() - firstPendingAt > 10 * debounceMs ? 0 : debounceMs;
    timer = setTimeout(() => void flush().catch((e) => opts.onError?.(e)), wait);
  });
  watcher.on("error", (e) => opts.onError?.(e));
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      watcher.close();
    },
  };
}
