// Uses both cores for chunking: many files go to a pool of workers (each cuts and hashes whole
// files); one large file is cut on this thread while a worker computes the SHA-256 IDs of the
// chunks already cut (cutting and hashing run at similar speeds, so the pipeline nearly halves
// the wall time).
import * as fs from "node:fs";
import * as os from "node:os";
import { chunkStream, DEFAULT_PARAMS, type CdcParams } from "../cdc/fastcdc.ts";
import { CHUNK_ID_BYTES, chunkIdInto } from "../hash/index.ts";
import { runtimePath } from "../runtime/index.ts";
import { chunkFileSync, type FileChunks } from "./file-chunks.ts";

export type WorkerRequest =
  | { op: "file"; id: number; path: string; params: CdcParams; withIds: boolean }
  | { op: "hash"; id: number; path: string; start: number; lengths: Uint32Array; progress: Int32Array }
  | { op: "close"; id: number };

export type WorkerReply =
  | { id: number; ok: true; size: number; lengths: number[]; ids: Uint8Array }
  | { id: number; ok: false; error: string; code?: string };

/** An error for one file; the run goes on. */
export class FileChunkError extends Error {
  constructor(
    readonly path: string,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

class PoolWorker {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, (r: WorkerReply) => void>();

  constructor() {
    this.worker = new Worker(runtimePath("internal/manifest/chunk-worker.ts"));
    this.worker.onmessage = (ev: MessageEvent<WorkerReply>) => {
      const done = this.pending.get(ev.data.id);
      this.pending.delete(ev.data.id);
      done?.(ev.data);
    };
    this.worker.onerror = (ev) => {
      const reply: WorkerReply = { id: 0, ok: false, error: `chunk worker failed: ${ev.message}` };
      for (const done of this.pending.values()) done(reply);
      this.pending.clear();
    };
  }

  /** Sends a request (without its id); resolves with the worker's reply. */
  call(req: DistributiveOmit<WorkerRequest, "id">, transfer: Bun.Transferable[] = []): Promise<WorkerReply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ ...req, id }, transfer);
    });
  }

  terminate(): void {
    this.worker.terminate();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export function defaultParallelism(): number {
  return Math.max(1, Math.min(os.availableParallelism?.() ?? os.cpus().length, 8));
}

/** Files at least this big use the cut/hash pipeline instead of one worker each. */
export const PIPELINE_MIN_BYTES = 64 << 20;

export interface ChunkManyOptions {
  params?: CdcParams;
  withIds?: boolean;
  /** Workers to use; 1 = all on this thread. */
  parallelism?: number;
  /** Called as each file finishes (in completion order). */
  onFile?: (index: number, result: FileChunks | FileChunkError) => void;
}

/**
 * Chunks many files, using workers when that pays off. Never throws for one bad file: its slot
 * holds a FileChunkError (vanished, unreadable, shrank while read).
 */
export async function chunkFiles(paths: string[], sizes: number[], opts: ChunkManyOptions = {}): Promise<(FileChunks | FileChunkError)[]> {
  const params = opts.params ?? DEFAULT_PARAMS;
  const withIds = opts.withIds ?? true;
  const parallelism = opts.parallelism ?? defaultParallelism();
  const results: (FileChunks | FileChunkError)[] = new Array(paths.length);
  const finish = (i: number, r: FileChunks | FileChunkError) => {
    results[i] = r;
    opts.onFile?.(i, r);
  };
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  if (parallelism <= 1 || totalBytes < 8 << 20) {
    for (let i = 0; i < paths.length; i++) finish(i, chunkOneSync(paths[i], params, withIds));
    return results;
  }
  const workers: PoolWorker[] = [];
  try {
    const big: number[] = [];
    const small: number[] = [];
    for (let i = 0; i < paths.length; i++) (withIds && sizes[i] >= PIPELINE_MIN_BYTES ? big : small).push(i);
    // Large files first, one at a time, each on this thread plus one worker.
    for (const i of big) {
      if (workers.length === 0) workers.push(new PoolWorker());
      finish(i, await chunkPipelined(paths[i], params, workers[0]));
    }
    // Small files: largest first over the pool, so the tail is short.
    small.sort((a, b) => sizes[b] - sizes[a]);
    while (workers.length < Math.min(parallelism, small.length)) workers.push(new PoolWorker());
    let next = 0;
    await Promise.all(
      workers.slice(0, Math.min(parallelism, small.length)).map(async (w) => {
        while (next < small.length) {
          const i = small[next++];
          const reply = await w.call({ op: "file", path: paths[i], params, withIds });
          finish(i, reply.ok ? { size: reply.size, lengths: reply.lengths, ids: reply.ids } : new FileChunkError(paths[i], reply.error, reply.code));
        }
      }),
    );
  } finally {
    for (const w of workers) w.terminate();
  }
  return results;
}

function chunkOneSync(path: string, params: CdcParams, withIds: boolean): FileChunks | FileChunkError {
  try {
    return chunkFileSync(path, params, withIds);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return new FileChunkError(path, err?.message ?? String(e), err?.code);
  }
}

/** Batches of about this many bytes go to the hashing worker. */
const HASH_BATCH_BYTES = 8 << 20;
/** When more batches than this wait for the worker, this thread hashes the next batch itself. */
const MAX_BACKLOG = 2;

type Batch = { worker: Promise<WorkerReply> } | { inline: Uint8Array };

/**
 * Cuts `path` on this thread while `worker` hashes the chunks already cut (re-reading them from
 * the page cache). Hashing is slower than cutting, so whenever the worker falls behind, this thread
 * hashes a batch itself while its bytes are still in the buffer. The worker reports finished
 * batches through a shared counter, because this loop is synchronous and never sees messages.
 */
export async function chunkPipelined(path: string, params: CdcParams, worker: PoolWorker | null = null): Promise<FileChunks | FileChunkError> {
  const own = worker ?? new PoolWorker();
  const progress = new Int32Array(new SharedArrayBuffer(4));
  let fd = -1;
  try {
    fd = fs.openSync(path, "r");
    const lengths: number[] = [];
    const batches: Batch[] = [];
    let posted = 0;
    let batchStart = 0; // file offset of the current batch
    let batchFirst = 0; // index of its first chunk
    let batchBytes = 0;
    let inlineIds: Uint8Array | null = null;
    const startBatch = () => {
      inlineIds = posted - Atomics.load(progress, 0) > MAX_BACKLOG ? new Uint8Array(((HASH_BATCH_BYTES / params.min) | 0) * CHUNK_ID_BYTES + CHUNK_ID_BYTES) : null;
    };
    const endBatch = () => {
      const count = lengths.length - batchFirst;
      if (count === 0) return;
      if (inlineIds) batches.push({ inline: inlineIds.subarray(0, count * CHUNK_ID_BYTES) });
      else {
        const lens = Uint32Array.from(lengths.slice(batchFirst));
        batches.push({ worker: own.call({ op: "hash", path, start: batchStart, lengths: lens, progress }, [lens.buffer as ArrayBuffer]) });
        posted++;
      }
      batchStart += batchBytes;
      batchFirst = lengths.length;
      batchBytes = 0;
      startBatch();
    };
    startBatch();
    let pos = 0;
    const size = chunkStream(
      (buf, off, len) => {
        const n = fs.readSync(fd, buf, off, len, pos);
        pos += n;
        return n;
      },
      (_o, length, buf, at) => {
        if (inlineIds) {
          const k = lengths.length - batchFirst;
          chunkIdInto(buf.subarray(at, at + length), inlineIds.subarray(k * CHUNK_ID_BYTES, (k + 1) * CHUNK_ID_BYTES));
        }
        lengths.push(length);
        batchBytes += length;
        if (batchBytes >= HASH_BATCH_BYTES) endBatch();
      },
      params,
    );
    endBatch();
    const ids = new Uint8Array(lengths.length * CHUNK_ID_BYTES);
    let at = 0;
    for (const b of batches) {
      let part: Uint8Array;
      if ("inline" in b) part = b.inline;
      else {
        const reply = await b.worker;
        if (!reply.ok) return new FileChunkError(path, reply.error, reply.code);
        part = reply.ids;
      }
      ids.set(part, at);
      at += part.length;
    }
    await own.call({ op: "close" });
    return { size, lengths, ids };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return new FileChunkError(path, err?.message ?? String(e), err?.code);
  } finally {
    if (fd >= 0) fs.closeSync(fd);
    if (!worker) own.terminate();
  }
}
