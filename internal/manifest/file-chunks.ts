// Chunks one file from disk through a reused buffer, optionally with SHA-256 chunk IDs.
import * as fs from "node:fs";
import { chunkStream, DEFAULT_PARAMS, type CdcParams } from "../cdc/fastcdc.ts";
import { CHUNK_ID_BYTES, chunkIdInto } from "../hash/index.ts";

export interface FileChunks {
  size: number;
  /** Chunk lengths in file order; offsets are their running sum. */
  lengths: number[];
  /** 32 bytes per chunk (SHA-256), concatenated; empty when IDs were not asked for. */
  ids: Uint8Array;
}

const READ_BUFFER = 4 << 20;
let sharedBuf: Uint8Array | null = null;

/** Reuses one module-wide read buffer: chunking is synchronous, so calls never overlap. */
function readBuffer(params: CdcParams): Uint8Array {
  const need = Math.max(READ_BUFFER, 2 * params.max);
  if (!sharedBuf || sharedBuf.length < need) sharedBuf = new Uint8Array(need);
  return sharedBuf;
}

/** Chunks an open file descriptor from its start. Throws the fs error if a read fails. */
export function chunkFd(fd: number, params: CdcParams = DEFAULT_PARAMS, withIds = true): FileChunks {
  const lengths: number[] = [];
  let ids = new Uint8Array(withIds ? 64 * CHUNK_ID_BYTES : 0);
  let pos = 0;
  const read = (buf: Uint8Array, off: number, len: number) => {
    const n = fs.readSync(fd, buf, off, len, pos);
    pos += n;
    return n;
  };
  const size = chunkStream(
    read,
    (_offset, length, buf, at) => {
      if (withIds) {
        const need = (lengths.length + 1) * CHUNK_ID_BYTES;
        if (need > ids.length) {
          const grown = new Uint8Array(ids.length * 2);
          grown.set(ids);
          ids = grown;
        }
        chunkIdInto(buf.subarray(at, at + length), ids.subarray(need - CHUNK_ID_BYTES, need));
      }
      lengths.push(length);
    },
    params,
    readBuffer(params),
  );
  return { size, lengths, ids: ids.subarray(0, withIds ? lengths.length * CHUNK_ID_BYTES : 0) };
}

/** Chunks a file by path. */
export function chunkFileSync(file: string, params: CdcParams = DEFAULT_PARAMS, withIds = true): FileChunks {
  const fd = fs.openSync(file, "r");
  try {
    return chunkFd(fd, params, withIds);
  } finally {
    fs.closeSync(fd);
  }
}
