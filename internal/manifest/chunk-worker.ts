// Worker side of the chunking pool: whole files (cut + IDs) or SHA-256 of ranges that the main
// thread already cut (the two-core pipeline for one large file). Listed as an entrypoint of the
// compiled build (scripts/build.ts), loaded by pool.ts.
import * as fs from "node:fs";
import { CHUNK_ID_BYTES, chunkIdInto } from "../hash/index.ts";
import { chunkFileSync } from "./file-chunks.ts";
import type { WorkerReply, WorkerRequest } from "./pool.ts";

declare const self: Worker;

let hashBuf = new Uint8Array(0);
let openPath = "";
let openFd = -1;

function fdFor(path: string): number {
  if (path !== openPath) {
    if (openFd >= 0) fs.closeSync(openFd);
    openFd = -1;
    openPath = "";
    openFd = fs.openSync(path, "r");
    openPath = path;
  }
  return openFd;
}

/** Hashes contiguous chunks [start, start + sum(lengths)) of a file with one pread. */
function hashRanges(path: string, start: number, lengths: Uint32Array): Uint8Array {
  let total = 0;
  for (let i = 0; i < lengths.length; i++) total += lengths[i];
  if (hashBuf.length < total) hashBuf = new Uint8Array(Math.max(total, 16 << 20));
  const fd = fdFor(path);
  let got = 0;
  while (got < total) {
    const n = fs.readSync(fd, hashBuf, got, total - got, start + got);
    if (n === 0) throw new Error(`${path}: file shrank while chunking (expected ${total} bytes at ${start})`);
    got += n;
  }
  const ids = new Uint8Array(lengths.length * CHUNK_ID_BYTES);
  let at = 0;
  for (let i = 0; i < lengths.length; i++) {
    chunkIdInto(hashBuf.subarray(at, at + lengths[i]), ids.subarray(i * CHUNK_ID_BYTES, (i + 1) * CHUNK_ID_BYTES));
    at += lengths[i];
  }
  return ids;
}

self.onmessage = (ev: MessageEvent<WorkerRequest>) => {
  const req = ev.data;
  let reply: WorkerReply;
  try {
    if (req.op === "file") {
      const r = chunkFileSync(req.path, req.params, req.withIds);
      const ids = r.ids.slice();
      reply = { id: req.id, ok: true, size: r.size, lengths: r.lengths, ids };
      self.postMessage(reply, [ids.buffer as ArrayBuffer]);
      return;
    }
    if (req.op === "hash") {
      const ids = hashRanges(req.path, req.start, req.lengths);
      Atomics.add(req.progress, 0, 1);
      reply = { id: req.id, ok: true, size: 0, lengths: [], ids };
      self.postMessage(reply, [ids.buffer as ArrayBuffer]);
      return;
    }
    // "close": drop the cached descriptor so the file can be removed or replaced.
    if (openFd >= 0) fs.closeSync(openFd);
    openFd = -1;
    openPath = "";
    reply = { id: req.id, ok: true, size: 0, lengths: [], ids: new Uint8Array(0) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    reply = { id: req.id, ok: false, error: err?.message ?? String(e), code: err?.code };
  }
  self.postMessage(reply);
};
