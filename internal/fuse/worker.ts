// Worker entrypoint: builds the FileSystem from a module path + options, then serves one
// /dev/fuse fd with a blocking Session loop. List this file as an extra entrypoint of
// `bun build --compile` so `new URL("./worker.ts", import.meta.url)` resolves inside the executable.
import * as fs from "node:fs";
import type { FileSystem, FileSystemFactory } from "./filesystem.ts";
import { Session, type SessionConfig } from "./session.ts";

export type ToWorker =
  | { type: "preload"; fsModule: string }
  | { type: "load"; fsModule: string; fsOptions: unknown; worker: number }
  | { type: "serve"; cfg: SessionConfig }
  | { type: "reply"; id: number; value?: unknown; error?: { message: string; code?: string } };

export type FromWorker =
  | { type: "loaded" }
  | { type: "error"; message: string }
  | { type: "exit"; reason: string }
  | { type: "call"; id: number; request: unknown }
  | { type: "spare"; buf: ArrayBuffer };

declare const self: Worker;

let fsys: FileSystem | null = null;

// Calls into the main thread (FuseOptions.onCall): for state that must exist once per process,
// such as the origin router and the chunk cache. Errors come back with their errno code.
let nextCallId = 1;
const calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
function callMain(request: unknown): Promise<unknown> {
  const id = nextCallId++;
  return new Promise((resolve, reject) => {
    calls.set(id, { resolve, reject });
    post({ type: "call", id, request });
  });
}

function post(m: FromWorker): void {
  self.postMessage(m);
}

async function load(m: Extract<ToWorker, { type: "load" }>): Promise<void> {
  const mod = (await import(m.fsModule)) as { createFileSystem?: FileSystemFactory; default?: FileSystemFactory };
  const factory = mod.createFileSystem ?? mod.default;
  if (typeof factory !== "function") throw new Error(`${m.fsModule} exports neither createFileSystem nor a default factory`);
  fsys = await factory(m.fsOptions, { worker: m.worker, callMain, giveBack: (buf) => self.postMessage({ type: "spare", buf } satisfies FromWorker, [buf]) });
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  if (m.type === "reply") {
    const c = calls.get(m.id);
    calls.delete(m.id);
    if (!c) return;
    if (m.error) c.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
    else c.resolve(m.value);
    return;
  }
  if (m.type === "preload") {
    // Only warms the module cache (prestart.ts); a failure is reported by the "load" that follows.
    import(m.fsModule).catch(() => {});
    return;
  }
  if (m.type === "load") {
    load(m).then(
      () => post({ type: "loaded" }),
      (e) => post({ type: "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
    );
    return;
  }
  if (m.type === "serve" && fsys !== null) {
    const session = new Session(fsys, m.cfg);
    session.run().then(
      (reason) => post({ type: "exit", reason }),
      (e) => {
        fs.writeSync(2, `musicfs fuse worker ${m.cfg.worker} crashed: ${String(e)}\n`);
        post({ type: "exit", reason: `crashed: ${String(e)}` });
      },
    );
  }
};
