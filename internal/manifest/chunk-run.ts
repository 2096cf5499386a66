// The work behind `musicfs chunk`: walk the inputs, chunk every file (both cores when it pays),
// and gather per-file and total statistics. Errors are per file and never stop the run.
import { type CdcParams } from "../cdc/fastcdc.ts";
import { CHUNK_ID_BYTES, toHex } from "../hash/index.ts";
import { chunkFiles, FileChunkError } from "./pool.ts";
import { SizeHistogram, sizeStats, type HistogramBin, type SizeStats } from "./stats.ts";
import { walkTree, type FileEntry } from "./walk.ts";

export interface ChunkListing {
  offset: number;
  length: number;
  id: string;
}

export interface FileChunkReport extends SizeStats {
  path: string;
  /** Present with `list`. */
  list?: ChunkListing[];
}

export interface ChunkRunReport {
  /** Version of this JSON shape; bumped on incompatible changes. */
  schema: 1;
  params: CdcParams;
  ids: "sha256";
  files: FileChunkReport[];
  errors: { path: string; error: string; code?: string }[];
  total: SizeStats & {
    files: number;
    /** Distinct chunk IDs across all files; bytes - uniqueBytes is what dedup would save. */
    uniqueChunks: number;
    uniqueBytes: number;
    histogram: HistogramBin[];
    seconds: number;
    bytesPerSecond: number;
  };
}

export interface ChunkRunOptions {
  params: CdcParams;
  list?: boolean;
  parallelism?: number;
  onProgress?: (bytesDone: number, bytesTotal: number, path: string) => void;
}

/** Display path of a walked file: the argument itself for a file, argument/rel inside a folder. */
function displayPath(root: string, entry: FileEntry, rootIsFile: boolean): string {
  return rootIsFile ? root : `${root.replace(/\/+$/, "")}/${entry.rel}`;
}

export async function runChunk(paths: string[], opts: ChunkRunOptions): Promise<ChunkRunReport> {
  const started = performance.now();
  const errors: ChunkRunReport["errors"] = [];
  const names: string[] = [];
  const abs: string[] = [];
  const sizes: number[] = [];
  for (const root of paths) {
    const walked = walkTree(root);
    for (const p of walked.problems) errors.push({ path: p.path, error: p.error });
    const rootIsFile = walked.files.length === 1 && walked.files[0].abs === root;
    for (const f of walked.files) {
      if (f.kind !== "file") continue;
      names.push(displayPath(root, f, rootIsFile));
      abs.push(f.abs);
      sizes.push(f.size);
    }
  }
  const bytesTotal = sizes.reduce((a, b) => a + b, 0);
  let bytesDone = 0;
  const results = await chunkFiles(abs, sizes, {
    params: opts.params,
    withIds: true, // IDs always: chunk measures what sync and diff really do, and counts duplicates
    parallelism: opts.parallelism,
    onFile: (i) => {
      bytesDone += sizes[i];
      opts.onProgress?.(bytesDone, bytesTotal, names[i]);
    },
  });
  const files: FileChunkReport[] = [];
  const histogram = new SizeHistogram();
  const allLengths: number[] = [];
  // Keyed by the first 8 bytes of the SHA-256 (16 hex chars): plenty for a statistic, and small.
  const seen = new Set<string>();
  let uniqueBytes = 0;
  results.forEach((r, i) => {
    if (r instanceof FileChunkError) {
      errors.push({ path: names[i], error: r.message, code: r.code });
      return;
    }
    histogram.addAll(r.lengths);
    r.lengths.forEach((l, k) => {
      allLengths.push(l);
      const key = toHex(r.ids, k * CHUNK_ID_BYTES, 8);
      if (!seen.has(key)) {
        seen.add(key);
        uniqueBytes += l;
      }
    });
    const report: FileChunkReport = { path: names[i], ...sizeStats(r.lengths) };
    report.bytes = r.size;
    if (opts.list) {
      let offset = 0;
      report.list = r.lengths.map((length, k) => {
        const item = { offset, length, id: toHex(r.ids, k * CHUNK_ID_BYTES, CHUNK_ID_BYTES) };
        offset += length;
        return item;
      });
    }
    files.push(report);
  });
  const seconds = (performance.now() - started) / 1000;
  const total = sizeStats(allLengths);
  return {
    schema: 1,
    params: { ...opts.params },
    ids: "sha256",
    files,
    errors,
    total: { ...total, files: files.length, uniqueChunks: seen.size, uniqueBytes, histogram: histogram.bins(), seconds, bytesPerSecond: seconds > 0 ? total.bytes / seconds : 0 },
  };
}
