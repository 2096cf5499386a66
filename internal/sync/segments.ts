// Turns a file match (which chunks the destination has, which runs are missing) into the byte
// ranges a local build copies: ranges of destination files, and source ranges for what is new.
// Missing runs with a base in the old file become a block delta when that moves fewer bytes.
import * as fs from "node:fs";
import * as path from "node:path";
import type { FileChunks } from "../manifest/index.ts";
import type { Segment } from "./build.ts";
import { preadFull } from "./build.ts";
import type { ChunkIndex, FileMatch } from "./chunks.ts";
import { computeDelta, deltaCost, signatures } from "./delta.ts";

export interface SegmentPlan {
  segments: Segment[];
  /** Bytes that come from the source. */
  literal: number;
}

function readRange(file: string, offset: number, length: number): Uint8Array {
  const buf = new Uint8Array(length);
  const fd = fs.openSync(file, "r");
  try {
    preadFull(fd, buf, 0, length, offset);
  } finally {
    fs.closeSync(fd);
  }
  return buf;
}

/** Appends a range, merging it with the previous one when they are contiguous in the same file. */
function push(out: Segment[], s: Segment): void {
  if (s.length === 0) return;
  const last = out[out.length - 1];
  if (last && last.file === s.file && last.offset + last.length === s.offset) last.length += s.length;
  else out.push({ ...s });
}

export function planSegments(dstRoot: string, srcFile: string, chunks: FileChunks, match: FileMatch, index: ChunkIndex, useDelta: boolean): SegmentPlan {
  const segments: Segment[] = [];
  const abs = (f: number) => path.join(dstRoot, index.files[f].rel);
  let literal = 0;
  let r = 0;
  for (let k = 0; k < chunks.lengths.length; ) {
    const loc = match.have[k];
    if (loc) {
      push(segments, { file: abs(loc.file), offset: loc.offset, length: loc.length });
      k++;
      continue;
    }
    const run = match.runs[r++];
    let done = false;
    if (useDelta && run.base) {
      try {
        const base = readRange(abs(run.base.file), run.base.offset, run.base.length);
        const target = readRange(srcFile, run.offset, run.length);
        const sig = signatures(base);
        const ops = computeDelta(sig, target);
        // Worth it only if the delta plus its signatures cost less than the run itself.
        if (deltaCost(ops) + 12 * sig.weak.length < run.length) {
          for (const o of ops) {
            if (o.op === "copy") push(segments, { file: abs(run.base.file), offset: run.base.offset + o.block * sig.blockSize, length: o.length });
            else {
              push(segments, { file: null, offset: run.offset + o.start, length: o.length });
              literal += o.length;
            }
          }
          done = true;
        }
      } catch {
        // A base or source that cannot be read now falls back to the plain copy; the build
        // verifies every chunk anyway.
      }
    }
    if (!done) {
      push(segments, { file: null, offset: run.offset, length: run.length });
      literal += run.length;
    }
    k = run.first + run.count;
  }
  return { segments, literal };
}
