// Scanning every sample format, plus truncated and garbage files: tags land in the catalog, and
// each broken file is kept untagged with its reason while the scan goes on.
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { getTrackByPath, openCatalog, scanLibrary } from "../../internal/catalog/index.ts";
import { generateLibrary, SAMPLE_FORMATS, storedTags } from "../../internal/samplelib/index.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-catalog-formats-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const lib = path.join(root, "lib");
const files = generateLibrary(lib, { artists: 8, albumsPerArtist: 2, tracksPerAlbum: 2, trackBytes: 5000, formats: SAMPLE_FORMATS, broken: true, seed: 4 });

const REASONS: Record<string, RegExp> = {
  "Broken/malformed.mp3": /ID3v2 tag size/,
  "Broken/truncated.flac": /truncated FLAC/,
  "Broken/garbage.m4a": /Atom size|Invalid|MP4|atom/i,
  "Broken/truncated.opus": /truncated: End-of-stream/,
};

describe("scan of every format", () => {
  for (const workers of [0, 2]) {
    test(`${workers === 0 ? "on the main thread" : "in two workers"}: tags stored, broken files untagged with a reason`, async () => {
      const db = openCatalog(":memory:");
      const s = await scanLibrary(db, [lib], { workers });
      expect(s).toMatchObject({ scanned: files.length, added: files.length, failed: Object.keys(REASONS).length, errors: [] });
      for (const f of files) {
        const t = getTrackByPath(db, f.path)!;
        expect(t.format).toBe(path.extname(f.path).slice(1));
        if (f.malformed) {
          expect(t.parseError).toMatch(REASONS[f.relPath]);
          expect(t.title).toBeNull();
          expect(t.fingerprint).toMatch(/^[0-9a-f]{16}$/);
          continue;
        }
        const want = storedTags(f.format, f.tags);
        expect(t.parseError).toBeNull();
        expect(t.title).toBe(want.title!.trim());
        expect(t.artist).toBe(want.artist ?? null);
        expect(t.album).toBe(want.album ?? null);
        expect(t.year).toBe(want.year ?? null);
        expect(t.trackNo).toBe(want.trackNo ?? null);
        expect(t.genre).toBe(want.genre ?? null);
        expect(t.albumArtist).toBe(want.albumArtist ?? null);
        expect(t.mbRecordingId).toBe(want.mbRecordingId ?? null);
        expect(t.hasCover).toBe(Boolean(want.cover));
        expect(t.sampleRate).toBe(44100);
      }
    });
  }
});
