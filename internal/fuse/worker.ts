// Worker entrypoint: builds the FileSystem from a module path + options, then serves one
// /dev/fuse fd with a blocking Session loop. List this file as an extra entrypoint of
// `bun build --compile` so `new URL("./worker.ts", import.meta.url)` resolves inside the executable.
import * as fs from "node:fs";
import type { FileSystem, FileSystemFactory } from "./filesystem.ts";
import { Session, type SessionConfig } from "./session.ts";

export type ToWorker =
  | { type: "load"; fsModule: string; fsOptions: unknown; worker: number }
  | { type: "serve"; cfg: SessionConfig };

export type FromWorker =
  | { type: "loaded" }
  | { type: "error"; message: string }
  | { type: "exit"; reason: string };

declare const self: Worker;

let fsys: FileSystem | null = null;

function post(m: FromWorker): void {
  self.postMessage(m);
}

async function load(m: Extract<ToWorker, { type: "load" }>): Promise<void> {
  const mod = (await import(m.fsModule)) as { createFileSystem?: FileSystemFactory; default?: FileSystemFactory };
  const factory = mod.createFileSystem ?? mod.default;
  if (typeof factory !== "function") throw new Error(`${m.fsModule} exports neither createFileSystem nor a default factory`);
  fsys = await factory(m.fsOptions, { worker: m.worker });
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
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
