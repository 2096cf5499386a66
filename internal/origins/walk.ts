// Recursive walk over any origin's list(): breadth-first with a small concurrency so remote
// origins (one round trip per directory) are not walked one directory at a time.
import { joinOriginPath, normalizeOriginPath } from "./paths.ts";
import type { DirEntry, Origin } from "./types.ts";

export interface WalkEntry extends DirEntry {
  /** Origin path with a leading "/". */
  path: string;
}

export interface WalkOptions {
  concurrency?: number;
  /** Called for directories that cannot be listed; the walk goes on. */
  onError?: (dir: string, e: unknown) => void;
}

/** Origins that can list a whole subtree at once (S3: a flat listing). */
interface RecursiveLister {
  listRecursive(dir: string): AsyncIterable<WalkEntry>;
}

/** Yields every file (not directory) under `dir`. */
export async function* walk(origin: Origin, dir = "/", opts: WalkOptions = {}): AsyncGenerator<WalkEntry> {
  const flat = (origin as Partial<RecursiveLister>).listRecursive;
  if (typeof flat === "function") {
    try {
      yield* flat.call(origin, dir);
    } catch (e) {
      opts.onError?.(normalizeOriginPath(dir, origin.id), e);
    }
    return;
  }
  const conc = Math.max(1, opts.concurrency ?? 4);
  const queue = [normalizeOriginPath(dir, origin.id)];
  while (queue.length > 0) {
    const batch = queue.splice(0, conc);
    const listed = await Promise.all(batch.map(async (d) => {
      try {
        return { d, entries: await origin.list(d) };
      } catch (e) {
        opts.onError?.(d, e);
        return { d, entries: [] as DirEntry[] };
      }
    }));
    for (const { d, entries } of listed) {
      for (const e of entries) {
        const path = joinOriginPath(d, e.name);
        if (e.isDir) queue.push(path);
        else yield { ...e, path };
      }
    }
  }
}

/**
 * A stream of [start, end) of a file built from ranged reads, for origins without a native
 * stream (the Origin interface makes openStream optional). Pulls `chunk` bytes at a time.
 */
export function rangeStream(origin: Origin, path: string, start = 0, end = Number.MAX_SAFE_INTEGER, chunk = 1024 * 1024): ReadableStream<Uint8Array> {
  let pos = start;
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      if (pos >= end) return ctrl.close();
      const b = await origin.read(path, pos, Math.min(chunk, end - pos));
      if (b.length === 0) return ctrl.close();
      pos += b.length;
      ctrl.enqueue(b);
    },
  });
}
