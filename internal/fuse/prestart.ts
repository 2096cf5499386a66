// A FUSE worker started before the command has parsed its options: creating a worker (a new JS
// VM) and loading its FileSystem module take ~15-20 ms on a 2-core VM, which then overlap with the
// main thread loading the command and checking the catalog instead of following them. startFuse
// takes the worker (takePrestartedWorker) when it asks for the same entry; an unused one is
// unref'd and never keeps the process alive. Imports nothing heavy: cmd/musicfs.ts loads it first.
import { runtimePath } from "../runtime/index.ts";

let early: { url: string; worker: Worker } | null = null;

/** Starts the FUSE worker entry now, and has it import `fsModule` (a runtimePath) ahead of the load. */
export function prestartFuseWorker(fsModule?: string): void {
  if (early) return;
  const url = runtimePath("internal/fuse/worker.ts");
  const worker = new Worker(url);
  worker.unref();
  if (fsModule) worker.postMessage({ type: "preload", fsModule });
  early = { url, worker };
}

/** The prestarted worker when it runs `url`, once; else null. */
export function takePrestartedWorker(url: string): Worker | null {
  if (!early || early.url !== url) return null;
  const w = early.worker;
  early = null;
  w.ref();
  return w;
}
