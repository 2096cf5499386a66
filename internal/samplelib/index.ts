// Sample music library generator: real MP3 (ID3v2.4 + MPEG frames), FLAC and WAV files written
// without external tools, for tests and benchmarks.
export { generateLibrary, storedTags, ARTIST_NAMES, type LibraryOptions, type GeneratedFile } from "./library.ts";
export { writeTrack, encodeTrack, retag, readTags, formatOf } from "./write.ts";
export { FORMAT_FIELDS, type SampleFormat, type TrackTags } from "./tags.ts";
export { Prng, subSeed } from "./prng.ts";
export { solidPng } from "./cover.ts";
