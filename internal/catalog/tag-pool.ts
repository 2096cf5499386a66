// Reads tags on every core: music-metadata costs ~0.2 ms of CPU per file and the catalog writes
// ~0.2 ms per row on the main thread, so one thread tops out near 2 500 files/s and a pool of
// workers (one per core) lets parsing and writing overlap. Files go out in small chunks, two per
// worker in flight, so a worker never waits for the main thread to hand it more.
//
// A parser that hangs or crashes on a hostile file must not stop the scan: the worker counts the
// files it finished in shared memory, so when it stops making progress (or dies) the file it was
// on is recorded as untagged with the reason, its worker is replaced and the others are read again.
import { runtimePath } from "../runtime/index.ts";
import * as os from "node:os";
import { EMPTY_PROPS, readFileFacts, type FileFacts } from "./read-tags.ts";

export interface TagFile {
  path: string;
  size: number;
  format: string;
}

export interface TagRequest {
  id: number;
  files: TagFile[];
  /** Shared counter the worker bumps after each file, so a stuck or dead worker shows where. */
  progress: Int32Array;
}

/** Id 0 with no facts: the worker has loaded and is ready (sent once, first). */
export interface TagReply {
  id: number;
  facts: FileFacts[];
}

export interface TagPoolOptions {
  /** Worker threads (default: one per core, at most 8). */
  workers?: number;
  /** Files per message (default 32): large enough to amortise messaging, small enough to balance. */
  chunk?: number;
  /** A worker that finishes no file for this long is presumed stuck on its current one (default 10 s). */
  fileTimeoutMs?: number;
  /** Worker script (tests substitute one that hangs or crashes); default ./tag-worker.ts. */
  workerUrl?: string;
}

export function defaultTagWorkers(): number {
  return Math.max(1, Math.min(os.availableParallelism?.() ?? os.cpus().length, 8));
}

interface Slot {
  worker: Worker;
  /** Requests sent and not answered (index lists), in sending order = the order the worker handles them. */
  inflight: Map<number, number[]>;
  /** Files the worker has finished (bumped by the worker), and how many of them were answered. */
  progress: Int32Array;
  answered: number;
  /** Watchdog: fires every fileTimeoutMs while the worker is busy; no progress in between = stuck. */
  timer: ReturnType<typeof setTimeout> | null;
  seen: number;
  /** Loaded: the watchdog runs only from then on, so a slow start (a busy machine) is no timeout. */
  ready: boolean;
}

const IN_FLIGHT_PER_WORKER = 2;

/**
 * Reads the facts of `files` in worker threads; `onFacts(i, facts)` is called once per file, in
 * completion order, on this thread. Resolves when every file has been reported.
 */
export async function readFactsInWorkers(files: readonly TagFile[], onFacts: (index: number, facts: FileFacts) => void, opts: TagPoolOptions = {}): Promise<void> {
  const reported = new Uint8Array(files.length);
  const once = (i: number, f: FileFacts) => {
    if (reported[i]) return;
    reported[i] = 1;
    onFacts(i, f);
  };
  const unavailable = await runPool(files, once, opts);
  if (unavailable === null) return;
  // No worker could even start (e.g. a compiled executable built without tag-worker.ts as an
  // entrypoint): read the rest on this thread rather than fail every file.
  for (let i = 0; i < files.length; i++) if (!reported[i]) once(i, await readFileFacts(files[i].path, files[i].size, files[i].format));
}

/** Resolves with null when every file was reported, or with why workers are unavailable. */
function runPool(files: readonly TagFile[], onFacts: (index: number, facts: FileFacts) => void, opts: TagPoolOptions): Promise<string | null> {
  if (files.length === 0) return Promise.resolve(null);
  const workerCount = Math.max(1, Math.min(opts.workers ?? defaultTagWorkers(), Math.ceil(files.length / 8)));
  const chunk = Math.max(1, opts.chunk ?? Math.min(32, Math.ceil(files.length / (workerCount * 4))));
  const fileTimeoutMs = opts.fileTimeoutMs ?? 10_000;

  const queue: number[][] = [];
  for (let i = 0; i < files.length; i += chunk) queue.push(range(i, Math.min(files.length, i + chunk)));
  let remaining = files.length;
  let nextId = 1;
  const slots: Slot[] = [];

  return new Promise<string | null>((resolve) => {
    let finished = false;
    const finish = (unavailable: string | null = null) => {
      if (finished) return;
      finished = true;
      for (const s of slots) {
        if (s.timer) clearTimeout(s.timer);
        s.worker.terminate();
      }
      resolve(unavailable);
    };

    const report = (i: number, facts: FileFacts) => {
      onFacts(i, facts);
      if (--remaining === 0) finish();
    };

    const arm = (slot: Slot) => {
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
      if (!slot.ready || slot.inflight.size === 0) return;
      slot.seen = Atomics.load(slot.progress, 0);
      slot.timer = setTimeout(() => {
        if (Atomics.load(slot.progress, 0) !== slot.seen) arm(slot);
        else fail(slot, `tag parser gave no answer within ${fileTimeoutMs / 1000} s`);
      }, fileTimeoutMs);
    };

    // The worker is stuck on, or died of, one file of the oldest request in flight; the shared
    // counter says which. That file is reported with `why`; the rest of that request and the
    // requests behind it go back to the front of the queue; the worker is replaced.
    const fail = (slot: Slot, why: string) => {
      const at = slots.indexOf(slot);
      if (at < 0 || finished) return;
      if (slot.timer) clearTimeout(slot.timer);
      slot.worker.terminate();
      const [busy, ...waiting] = [...slot.inflight.values()];
      slot.inflight.clear();
      queue.unshift(...waiting);
      if (busy) {
        const k = Math.min(busy.length - 1, Math.max(0, Atomics.load(slot.progress, 0) - slot.answered));
        const redo = [...busy.slice(0, k), ...busy.slice(k + 1)];
        if (redo.length > 0) queue.unshift(redo);
        report(busy[k], { props: EMPTY_PROPS, fingerprint: null, parseError: why });
      }
      if (finished) return;
      try {
        slots[at] = spawn();
      } catch (e) {
        finish(`tag worker failed to start: ${(e as Error)?.message ?? e}`);
        return;
      }
      pump();
    };

    const spawn = (): Slot => {
      const slot: Slot = { worker: newWorker(opts.workerUrl), inflight: new Map(), progress: new Int32Array(new SharedArrayBuffer(4)), answered: 0, timer: null, seen: 0, ready: false };
      slot.worker.onmessage = (ev: MessageEvent<TagReply>) => {
        if (ev.data.id === 0) {
          slot.ready = true;
          arm(slot);
          return;
        }
        const job = slot.inflight.get(ev.data.id);
        if (!job) return;
        slot.inflight.delete(ev.data.id);
        slot.answered += job.length;
        arm(slot);
        ev.data.facts.forEach((f, k) => report(job[k], f));
        pump();
      };
      slot.worker.onerror = (ev) => {
        ev.preventDefault?.();
        // Dying before the ready message means the worker cannot load at all, not a bad file.
        if (!slot.ready) finish(`tag worker failed to start: ${crashMessage(ev)}`);
        else fail(slot, `tag parser crashed: ${crashMessage(ev)}`);
      };
      return slot;
    };

    const pump = () => {
      if (finished) return;
      for (const slot of slots) {
        while (slot.inflight.size < IN_FLIGHT_PER_WORKER && queue.length > 0) {
          const job = queue.shift()!;
          const id = nextId++;
          slot.inflight.set(id, job);
          if (slot.inflight.size === 1) arm(slot);
          const req: TagRequest = { id, files: job.map((i) => files[i]), progress: slot.progress };
          slot.worker.postMessage(req);
        }
      }
    };

    try {
      for (let w = 0; w < workerCount; w++) slots.push(spawn());
    } catch (e) {
      finish(`tag worker failed to start: ${(e as Error)?.message ?? e}`);
      return;
    }
    pump();
  });
}

/** Bun's worker ErrorEvent message quotes the source around the throw; keep the error's own message. */
function crashMessage(ev: ErrorEvent): string {
  const own = (ev.error as Error | undefined)?.message;
  if (own) return own.slice(0, 300);
  const line = (ev.message ?? "").split("\n").find((l) => /^\s*\w*error:/i.test(l)) ?? ev.message?.split("\n")[0];
  return (line || "worker error").trim().slice(0, 300);
}

/**
 * The worker script. From source it sits next to this file. In the compiled executable the build
 * embeds it (it must be listed in scripts/build.ts) at /$bunfs/root/<repository path>; the
 * `new URL(..., import.meta.url)` form does not reach it there, because with --bytecode
 * import.meta.url still names the source file on the build machine (measured: the worker then
 * fails to load, or loads the on-disk source when the tree happens to exist).
 */
export const TAG_WORKER_PATH = "internal/catalog/tag-worker.ts";

function newWorker(url: string | undefined): Worker {
  if (url) return new Worker(url);
  return new Worker(runtimePath(TAG_WORKER_PATH));
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}
