// startFuse: lock, clear a stale mount, load the FileSystem in each worker, mount, answer INIT,
// clone one /dev/fuse fd per worker and let the workers serve. The main thread never reads
// /dev/fuse after INIT, so its event loop (signals, timers, RPC) stays free.
import * as fs from "node:fs";
import * as os from "node:os";
import { fuseClone } from "./libc.ts";
import { negotiateInit, type Negotiated } from "./init.ts";
import {
  abortConnection,
  acquireMountLock,
  canonicalMountpoint,
  clearStaleMount,
  defaultAllowOther,
  findMount,
  type MountLock,
  type MountMethod,
  mountFuse,
  setReadAhead,
  unmountFuse,
} from "./mount.ts";
import { newOpStatsBuffer, sumOpStats, type OpTotals } from "./op-stats.ts";
import { FUSE_DEV_IOC_CLONE } from "./proto.ts";
import type { FromWorker, ToWorker } from "./worker.ts";
import { takePrestartedWorker } from "./prestart.ts";

export interface FuseOptions {
  mountpoint: string;
  /** Absolute path or URL of a module exporting `createFileSystem(options, {worker})` (or a default factory). */
  fsModule: string;
  /** Structured-clonable options passed to the factory in every worker. */
  fsOptions?: unknown;
  /** Request-loop workers (default: one per core). */
  workers?: number;
  /** Worker entry (default: runtimePath("internal/fuse/worker.ts")); override for other bundle layouts. */
  workerUrl?: string;
  /** fs type `fuse.<subtype>` (default "musicfs"). */
  subtype?: string;
  /** Mount source (default "musicfs"). Stale-mount detection trusts mounts with this source. */
  fsname?: string;
  /** Let other users (and root) use the mount. Default: as root yes; otherwise when /etc/fuse.conf has user_allow_other. */
  allowOther?: boolean;
  method?: MountMethod;
  /** Kernel cache time for names and attributes, seconds (default 1). */
  entryTimeout?: number;
  attrTimeout?: number;
  /** Cache time for ENOENT lookups, seconds (default 0 = not cached). */
  negativeTimeout?: number;
  readdirplus?: boolean;
  /**
   * Mount read-ahead in KiB (default 4096; 0 leaves the kernel's 128). Chunk-cache reads of an
   * album: 128 KiB 1.3 GB/s, 1 MiB 2.2, 4 MiB 2.5-2.6, 16 MiB no better (2026-12-07).
   */
  readAheadKb?: number;
  lockDir?: string;
  /** How long unmount waits for open files on the detached mount before aborting the connection (ms, default 2000). */
  unmountGraceMs?: number;
  /**
   * Answers FileSystem.callMain requests from the workers on the main thread (one router, one
   * cache per process). A thrown error reaches the worker with its `code` (an errno name).
   */
  onCall?: (request: unknown, worker: number) => Promise<unknown>;
  /** Called when a stale mount was cleared (for logs). */
  onStaleCleared?: (mountpoint: string) => void;
}

export interface FuseMount {
  readonly mountpoint: string;
  readonly method: MountMethod;
  readonly negotiated: Negotiated;
  /** "major:minor" of the mount (minor = /sys/fs/fuse/connections id). */
  readonly dev: string;
  /** Unmounts (lazily), waits for the workers to stop, releases the lock. Idempotent. */
  unmount(): Promise<void>;
  /** Resolves when every worker has stopped (after unmount, or an external umount). */
  readonly closed: Promise<void>;
  /** Requests answered so far by opcode, summed over the workers (for metrics). */
  opStats(): OpTotals[];
}

const MIB = 1 << 20;

// COMPILED and runtimePath live in internal/runtime (shared with the chunk and tag workers).
export { COMPILED, runtimePath } from "../runtime/index.ts";
import { COMPILED, runtimePath } from "../runtime/index.ts";

function waitMessage(w: Worker, type: FromWorker["type"]): Promise<FromWorker> {
  return new Promise((resolve, reject) => {
    const onMsg = (ev: MessageEvent<FromWorker>) => {
      if (ev.data.type === type || ev.data.type === "error") {
        w.removeEventListener("message", onMsg);
        if (ev.data.type === "error") reject(new Error(`FUSE worker: ${ev.data.message}`));
        else resolve(ev.data);
      }
    };
    w.addEventListener("message", onMsg);
    w.addEventListener("error", (ev) => reject(new Error(`FUSE worker failed to start: ${ev.message}`)), { once: true });
  });
}

/** Answer buffers the workers gave back (WorkerInfo.giveBack), reused before fresh memory. */
const spareBuffers: ArrayBuffer[] = [];
const SPARE_BUFFERS_KEPT = 16;

function answerCall(w: Worker, worker: number, m: FromWorker, onCall: NonNullable<FuseOptions["onCall"]>): void {
  if (m.type === "spare") {
    if (spareBuffers.length < SPARE_BUFFERS_KEPT) spareBuffers.push(m.buf);
    return;
  }
  if (m.type !== "call") return;
  onCall(m.request, worker).then(
    (value) => {
      // Bytes are copied once and the copy's buffer is transferred: the answer may be a view of
      // a block the cache keeps, which a transfer would detach.
      if (value instanceof Uint8Array) {
        const spare = spareBuffers.length > 0 && spareBuffers[spareBuffers.length - 1].byteLength >= value.length ? spareBuffers.pop()! : null;
        const own = spare ? new Uint8Array(spare, 0, value.length) : value.slice();
        if (spare) own.set(value);
        w.postMessage({ type: "reply", id: m.id, value: own } satisfies ToWorker, [own.buffer as ArrayBuffer]);
      } else w.postMessage({ type: "reply", id: m.id, value } satisfies ToWorker);
    },
    (e) => w.postMessage({ type: "reply", id: m.id, error: { message: (e as Error)?.message ?? String(e), code: (e as { code?: string })?.code } } satisfies ToWorker),
  );
}

/**
 * Calls start(1..count) in a later task, so the caller's ready line goes out first; resolves once
 * they have been called (each late worker's exit is awaited once it serves).
 */
function startLateWorkers(count: number, start: (i: number) => void): Promise<void> {
  if (count <= 0) return Promise.resolve();
  return new Promise((resolve) =>
    setTimeout(() => {
      for (let i = 1; i <= count; i++) start(i);
      resolve();
    }, 0),
  );
}

/** A clone of master (added to `owned`), or master itself when /dev/fuse cannot be opened. */
function cloneOrShare(master: number, owned: number[]): number {
  let fd: number;
  try {
    fd = fs.openSync("/dev/fuse", "r+");
  } catch {
    return master;
  }
  owned.push(fd);
  fuseClone(fd, master, FUSE_DEV_IOC_CLONE);
  return fd;
}

export async function startFuse(opts: FuseOptions): Promise<FuseMount> {
  const mountpoint = canonicalMountpoint(opts.mountpoint);
  const fsname = opts.fsname ?? "musicfs";
  const nWorkers = Math.max(1, opts.workers ?? os.availableParallelism());
  const lock: MountLock = acquireMountLock(mountpoint, opts.lockDir);
  const workers: Worker[] = [];
  const fds: number[] = [];
  let mounted: MountMethod | null = null;
  try {
    if (clearStaleMount(mountpoint, fsname)) opts.onStaleCleared?.(mountpoint);
    if (!fs.statSync(mountpoint).isDirectory()) throw new Error(`${mountpoint} is not a directory`);

    // Load the FileSystem in the first worker before mounting: a broken module fails here,
    // mount-free. The other workers start once the mount answers (startLateWorkers): on a
    // 2-core machine their start-up would compete with the first's and delay the mount ~10 ms.
    const url = opts.workerUrl ?? runtimePath("internal/fuse/worker.ts");
    const spawn = (i: number): Worker => {
      const w = (i === 0 ? takePrestartedWorker(url) : null) ?? new Worker(url);
      workers.push(w);
      if (opts.onCall) w.addEventListener("message", (ev: MessageEvent<FromWorker>) => answerCall(w, i, ev.data, opts.onCall!));
      w.postMessage({ type: "load", fsModule: opts.fsModule, fsOptions: opts.fsOptions, worker: i } satisfies ToWorker);
      return w;
    };
    const first = spawn(0);
    await waitMessage(first, "loaded");

    const m = mountFuse({ mountpoint, subtype: opts.subtype ?? "musicfs", fsname, allowOther: opts.allowOther ?? defaultAllowOther(), method: opts.method });
    mounted = m.method;
    fds.push(m.fd);
    const neg = negotiateInit(m.fd, { maxWrite: MIB, maxPages: 256, readdirplus: opts.readdirplus ?? true, maxBackground: 64 });
    const info = findMount(mountpoint);
    const dev = info?.dev ?? "";
    if (dev && (opts.readAheadKb ?? 4096) > 0) setReadAhead(dev, opts.readAheadKb ?? 4096);

    const statBufs: SharedArrayBuffer[] = [];
    const exited: Promise<string>[] = [];
    /** Starts worker i's request loop on fd; its exit (or crash) resolves one of `exited`. */
    const serve = (w: Worker, i: number, fd: number) => {
      exited.push(
        new Promise<string>((resolve) => {
          w.addEventListener("message", (ev: MessageEvent<FromWorker>) => {
            if (ev.data.type === "exit") resolve(ev.data.reason);
          });
          w.addEventListener("error", (ev) => resolve(`error: ${ev.message}`));
          w.addEventListener("close", () => resolve("closed"));
        }),
      );
      const stats = newOpStatsBuffer();
      statBufs.push(stats);
      const cfg = {
        stats,
        fd,
        maxWrite: neg.maxWrite,
        maxRead: neg.maxRead,
        entryTimeout: opts.entryTimeout ?? 1,
        attrTimeout: opts.attrTimeout ?? 1,
        negativeTimeout: opts.negativeTimeout ?? 0,
        worker: i,
      };
      w.postMessage({ type: "serve", cfg } satisfies ToWorker);
    };
    serve(first, 0, m.fd);

    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      for (const w of workers) w.terminate();
      for (const fd of fds) {
        try {
          fs.closeSync(fd);
        } catch {}
      }
      lock.release();
    };
    // One cloned fd per further worker (each clone has its own processing queue, so replies never
    // wait on another worker's lock). Without access to /dev/fuse (non-root, mode 0600) they share
    // the fd fusermount3 gave us: the kernel hands each request to exactly one reader either way.
    const lateStarted = startLateWorkers(nWorkers - 1, (i) => {
      if (finished) return;
      const w = spawn(i);
      waitMessage(w, "loaded").then(
        () => {
          if (finished) return w.terminate();
          let fd: number;
          try {
            fd = cloneOrShare(m.fd, fds);
          } catch (e) {
            w.terminate();
            process.stderr.write(`musicfs fuse: worker ${i} not started: ${String(e)}\n`);
            return;
          }
          serve(w, i, fd);
        },
        (e) => {
          w.terminate();
          process.stderr.write(`musicfs fuse: worker ${i} failed to load: ${String(e)}\n`);
        },
      );
    });
    // Every worker stops when the connection ends; the late ones may still be loading then.
    const closed = (async () => {
      await lateStarted;
      for (let seen = -1; seen !== exited.length; ) {
        seen = exited.length;
        await Promise.all(exited);
      }
    })().then(finish);
    let unmounting: Promise<void> | null = null;
    const method = m.method;
    return {
      mountpoint,
      method,
      negotiated: neg,
      dev,
      closed,
      opStats: () => sumOpStats(statBufs),
      unmount() {
        unmounting ??= (async () => {
          try {
            unmountFuse(mountpoint, method);
          } catch (e) {
            if (!finished) throw e;
          }
          // Workers see ENODEV once the kernel drops the connection; if files are still open on
          // the detached mount that waits for them, so abort the connection after a grace period.
          // A pending timer would keep the process alive after a fast unmount: clear it.
          const waitClosed = async (ms: number): Promise<boolean> => {
            let timer: ReturnType<typeof setTimeout> | undefined;
            const timedOut = new Promise<boolean>((r) => (timer = setTimeout(r, ms, false)));
            try {
              return await Promise.race([closed.then(() => true), timedOut]);
            } finally {
              clearTimeout(timer);
            }
          };
          if (!(await waitClosed(opts.unmountGraceMs ?? 2000))) {
            if (dev) abortConnection(dev);
            await waitClosed(1000);
          }
          finish();
        })();
        return unmounting;
      },
    };
  } catch (e) {
    if (mounted !== null) {
      try {
        unmountFuse(mountpoint, mounted);
      } catch {}
    }
    for (const w of workers) w.terminate();
    for (const fd of fds) {
      try {
        fs.closeSync(fd);
      } catch {}
    }
    lock.release();
    throw e;
  }
}

/**
 * Unmounts on SIGINT/SIGTERM/SIGHUP, then exits (128 + signal number). Returns a function that
 * removes the handlers.
 */
export function unmountOnSignals(m: FuseMount, signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"], exit = true): () => void {
  const handler = (sig: NodeJS.Signals) => {
    m.unmount().then(
      () => exit && process.exit(128 + (os.constants.signals[sig] ?? 0)),
      (e) => {
        process.stderr.write(`musicfs: unmount failed: ${String(e)}\n`);
        if (exit) process.exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}
