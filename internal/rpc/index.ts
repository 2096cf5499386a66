// Public surface of the RPC package. Other packages (cmd/serve, the sync service) import from here.
export { startServer, defineService, type StartServerOptions, type RunningServer, type ServiceRegistration } from "./server.ts";
export { registerMusicfsServices, musicfsService, type MusicfsServiceOptions, type PrefetchBackend } from "./musicfs-service.ts";
export { metadataService, editsFromRequest, type MetadataBackend, type MetadataInfo } from "./metadata-service.ts";
export { catalogMetadata, resolveTrackPath } from "./catalog-metadata.ts";
export { QuerySyntaxError, type SearchBackend, type SearchHit, type SearchOptions, type SearchResult, type SearchSort, type TrackInfo } from "./backend.ts";
export { DEFAULT_LIMIT, MAX_LIMIT, SEARCH_DEADLINE_MS } from "./search.ts";
export { parseListen, isLoopback, DEFAULT_LISTEN, type ListenAddress } from "./listen.ts";
export { tokenMatches } from "./auth.ts";
export { HealthState } from "./health.ts";
export { catalogBackend, ftsSearch, trackInfo, type CatalogSearch } from "./catalog-backend.ts";
export { originsBackend, type OriginsBackend, type CacheHandle } from "./origins-backend.ts";
export { createMetrics, type Metrics, type MetricsSources, type FuseOpStats } from "./metrics.ts";
