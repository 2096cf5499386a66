// Sample music library generator: real MP3 (ID3v2.4, ID3v2.3, ID3v1 + MPEG frames), FLAC, WAV,
// Ogg Opus and M4A files written without external tools, for tests and benchmarks.
export { generateLibrary, storedTags, ARTIST_NAMES, type LibraryOptions, type GeneratedFile } from "./library.ts";
export { writeTrack, encodeTrack, retag, readTags, formatOf } from "./write.ts";
export { FORMAT_FIELDS, SAMPLE_FORMATS, extensionOf, type SampleFormat, type TrackTags } from "./tags.ts";
export { id3v1Stored } from "./id3v1.ts";
export { oggCrc } from "./ogg.ts";
export { Prng, subSeed } from "./prng.ts";
export { solidPng } from "./cover.ts";
