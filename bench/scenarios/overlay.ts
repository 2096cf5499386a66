// Metadata overlay (FR-5.3): time to plan a virtual file, i.e. read the original's tag or metadata
// blocks from bytes already in memory, merge a typical edit (title, artist, track, date) and
// synthesise the new header. Typical originals: an MP3 with an ID3v2.3 tag and a 40 KiB cover, an
// MP3 with a plain ID3v2.4 tag and an ID3v1 trailer, a FLAC with a 40 KiB PICTURE and padding.
// Each repetition times every call on its own and reports the per-call median and 95th percentile.
import { defineScenario, percentile } from "../../internal/bench/index.ts";
import { planOverlay, type OverlayTags } from "../../internal/overlay/index.ts";
import { encodeTrack, Prng, type SampleFormat, type TrackTags } from "../../internal/samplelib/index.ts";

const COVER_BYTES = 40 * 1024;
const EDIT: OverlayTags = { title: "Svefn-g-englar (edited)", artist: "Sigur Rós", trackNo: 2, trackTotal: 10, date: "1999-06-12" };

interface Sample {
  name: string;
  format: "mp3" | "flac";
  bytes: Uint8Array;
  readRange: (offset: number, length: number) => Promise<Uint8Array>;
}

function sample(name: string, kind: SampleFormat, cover: boolean, rng: Prng): Sample {
  const tags: TrackTags = {
    title: "Svefn-g-englar",
    artist: "Sigur Rós",
    album: "Ágætis byrjun",
    albumArtist: "Sigur Rós",
    genre: "Post-Rock",
    composer: "Jónsi",
    year: 1999,
    trackNo: 2,
    trackTotal: 10,
    discNo: 1,
    comment: "bench",
    mbRecordingId: "11111111-2222-4333-a444-555555555555",
    mbAlbumId: "21111111-2222-4333-a444-555555555555",
    mbArtistId: "31111111-2222-4333-a444-555555555555",
  };
  if (cover) tags.cover = rng.bytes(COVER_BYTES);
  const bytes = encodeTrack(kind, tags, rng.bytes(256 * 1024));
  return {
    name,
    format: kind === "flac" ? "flac" : "mp3",
    bytes,
    readRange: async (offset, length) => bytes.subarray(offset, offset + length),
  };
}

export const overlay = defineScenario({
  id: "overlay",
  description: "Metadata overlay: plan a virtual file (read the old tag from memory, merge an edit, synthesise the header)",
  metrics: [
    { id: "synth-us", unit: "us", better: "lower", description: "per-call median over the three typical files" },
    { id: "synth-p95-us", unit: "us", better: "lower", description: "per-call 95th percentile within the repetition" },
    { id: "mp3-us", unit: "us", better: "lower", description: "per-call median, the two MP3s" },
    { id: "flac-us", unit: "us", better: "lower", description: "per-call median, the FLAC" },
  ],
  size: { full: 3000, quick: 1500, unit: "calls" },
  repeat: { full: 10, quick: 5 },
  warmup: { full: 2, quick: 2 },
  async setup(ctx) {
    const rng = new Prng(2024);
    const samples = [sample("mp3-v23-cover", "mp3-id3v23", true, rng), sample("mp3-v24+v1", "mp3-id3v24+v1", false, rng), sample("flac-picture", "flac", true, rng)];
    const sizes: string[] = [];
    for (const s of samples) {
      const plan = await planOverlay(s.format, s.readRange, s.bytes.length, EDIT);
      if (!plan) throw new Error(`overlay: no plan for ${s.name}`);
      sizes.push(`${s.name} ${plan.header.length} B`);
    }
    ctx.note(`headers: ${sizes.join(", ")}`);
    return samples;
  },
  async run(samples, ctx) {
    const all: number[] = [];
    const mp3: number[] = [];
    const flac: number[] = [];
    let sink = 0;
    for (let i = 0; i < ctx.size; i++) {
      const s = samples[i % samples.length];
      const t0 = Bun.nanoseconds();
      const plan = await planOverlay(s.format, s.readRange, s.bytes.length, EDIT);
      const us = (Bun.nanoseconds() - t0) / 1e3;
      sink += plan!.header.length;
      all.push(us);
      (s.format === "flac" ? flac : mp3).push(us);
    }
    if (sink === 0) throw new Error("unreachable");
    const sorted = (v: number[]) => v.sort((a, b) => a - b);
    sorted(all);
    return {
      "synth-us": percentile(all, 0.5),
      "synth-p95-us": percentile(all, 0.95),
      "mp3-us": percentile(sorted(mp3), 0.5),
      "flac-us": percentile(sorted(flac), 0.5),
    };
  },
});
