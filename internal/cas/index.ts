export { ChunkStore, type ChunkStoreOptions, type StoreStats } from "./store.ts";
export { CachedReader, BLOCK_SIZE, type CacheStats, type CachedReaderOptions, type RangeSource, type TrackLike } from "./cached-reader.ts";
export { ChunkStoreReader, type ChunkStoreReaderOptions, type StoredBlock } from "./store-reader.ts";
export { HitBatch, isCacheHitsReport, type CacheHitsReport } from "./hit-batch.ts";
