export { ChunkStore, type ChunkStoreOptions, type StoreStats } from "./store.ts";
export { CachedReader, BLOCK_SIZE, type CacheStats, type CachedReaderOptions, type RangeSource, type TrackLike } from "./cached-reader.ts";
