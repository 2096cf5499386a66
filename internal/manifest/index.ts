export { walkTree, excludeMatcher, type FileEntry, type WalkProblem, type WalkResult, type WalkOptions } from "./walk.ts";
export { chunkFileSync, chunkFd, type FileChunks } from "./file-chunks.ts";
export { chunkFiles, chunkPipelined, FileChunkError, defaultParallelism, PIPELINE_MIN_BYTES, type ChunkManyOptions } from "./pool.ts";
export { sizeStats, SizeHistogram, type SizeStats, type HistogramBin } from "./stats.ts";
export { runChunk, type ChunkRunReport, type FileChunkReport, type ChunkListing, type ChunkRunOptions } from "./chunk-run.ts";
