// The music catalog: SQLite (bun:sqlite, WAL) with tracks, a word index (FTS5) and a substring
// index (trigram), filled by scanning folders.
export { openCatalog, defaultCatalogPath, CatalogError, SCHEMA_VERSION, type OpenOptions } from "./db.ts";
export { scanLibrary, type ScanOptions, type ScanSummary, type ScanProgress, type ScanIssue } from "./scan.ts";
export { upsertTracks, BULK_ROWS, getTrack, getTrackByPath, trackCount, allTracks, trackSelectList, rowToTrack, COLUMNS, type Track, type TrackInput, type TrackTags } from "./track.ts";
export { fingerprintFile } from "./fingerprint.ts";
export { AUDIO_EXTENSIONS } from "./walk.ts";
export { setOverlay, clearOverlay, getOverlay, overlayVersions, applyEdits, TAG_PROPS, type OverlayRecord } from "./overlays.ts";
export { FTS_COLUMNS, TRIGRAM_COLUMNS, BM25_WEIGHTS } from "./schema.ts";
// Scanning remote origins (scan-origin.ts, scan-config.ts) is imported from its own files: it
// pulls in the S3 and SFTP clients, which the mount's workers and `search` never need.
