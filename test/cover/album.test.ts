// pickAlbumCover over real files (samplelib tracks read through extractCover), and pictures
// written by an independent tagger (python3 mutagen) when it is installed.
import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { CoverError, extractCover, pickAlbumCover, type Cover } from "../../internal/cover/index.ts";
import { encodeTrack } from "../../internal/samplelib/index.ts";
import { tempDir } from "../helpers.ts";
import { findMutagen } from "../overlay/helpers.ts";
import { audio, jpegPicture, memOrigin, solidPng } from "./helpers.ts";

interface Track {
  name: string;
  format: string;
  file: Uint8Array;
  hasCover?: boolean | null;
}

const red = solidPng(0xff0000, 32);
const green = solidPng(0x00ff00, 48);

function track(name: string, format: "mp3" | "flac", cover?: Uint8Array, hasCover?: boolean | null): Track {
  return { name, format, file: encodeTrack(format, { title: name, cover }, audio(50_000)), hasCover };
}

function extractor(read: string[]) {
  return (t: Track): Promise<Cover | null> => {
    read.push(t.name);
    return extractCover(memOrigin(t.file).readRange, t.file.length, t.format);
  };
}

describe("pickAlbumCover", () => {
  test("the first track in play order that has a picture; later tracks are not read", async () => {
    const tracks = [track("1", "mp3"), track("2", "flac", red), track("3", "mp3", green)];
    const read: string[] = [];
    const r = await pickAlbumCover(tracks, extractor(read));
    expect(r.pick?.track.name).toBe("2");
    expect(r.pick?.cover.width).toBe(32);
    expect(read).toEqual(["1", "2"]);
    expect(r.skipped).toEqual([]);
  });

  test("hasCover false (the catalog's flag) skips a track without reading it", async () => {
    const read: string[] = [];
    const r = await pickAlbumCover([track("1", "mp3", red, false), track("2", "mp3", green, null)], extractor(read));
    expect(r.pick?.track.name).toBe("2");
    expect(read).toEqual(["2"]);
  });

  test("a track with a broken picture is skipped and reported", async () => {
    const broken = track("1", "flac", red);
    broken.file = broken.file.subarray(0, 100); // cut inside the metadata
    const r = await pickAlbumCover([broken, track("2", "mp3", green)], extractor([]));
    expect(r.pick?.track.name).toBe("2");
    expect(r.skipped.map((s) => [s.track.name, s.error.code])).toEqual([["1", "malformed"]]);
  });

  test("no track with a picture: pick null", async () => {
    const r = await pickAlbumCover([track("1", "mp3"), track("2", "flac")], extractor([]));
    expect(r.pick).toBeNull();
    expect(await pickAlbumCover([], extractor([]))).toEqual({ pick: null, skipped: [] });
  });

  test("read-failed is thrown, not skipped (the origin may come back)", async () => {
    const fail = async () => {
      throw new CoverError("read-failed", "origin down");
    };
    await expect(pickAlbumCover([track("1", "mp3", red), track("2", "mp3", green)], fail)).rejects.toThrow("origin down");
  });
});

const mutagen = findMutagen();
describe("pictures written by python3 mutagen", () => {
  if (!mutagen) {
    test.skip("python3 mutagen is not installed (apt-get install python3-mutagen)", () => {});
    return;
  }
  // Adds a front cover and a larger back cover (JPEG) with mutagen, to MP3 (ID3v2.3 and 2.4) and FLAC.
  const SCRIPT = String.raw`
import sys
from mutagen.id3 import ID3, APIC
from mutagen.flac import FLAC, Picture
path, front, back, version = sys.argv[1], open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read(), int(sys.argv[4])
if path.endswith(".mp3"):
    tag = ID3(path)
    tag.add(APIC(encoding=1, mime="image/png", type=3, desc="front", data=front))
    tag.add(APIC(encoding=1, mime="image/jpeg", type=4, desc="back", data=back))
    tag.save(v2_version=version)
else:
    f = FLAC(path)
    for data, kind, mime in ((front, 3, "image/png"), (back, 4, "image/jpeg")):
        p = Picture(); p.type = kind; p.mime = mime; p.desc = "x"; p.data = data
        f.add_picture(p)
    f.save()
`;
  test("MP3 v2.3, v2.4 (UTF-16 descriptions) and FLAC: the larger back cover, byte for byte", async () => {
    const dir = tempDir("musicfs-cover-");
    try {
      const front = solidPng(0x123456, 64);
      const back = await jpegPicture(320, 240);
      fs.writeFileSync(path.join(dir, "front.png"), front);
      fs.writeFileSync(path.join(dir, "back.jpg"), back);
      for (const [name, format, version] of [["a.mp3", "mp3", 3], ["b.mp3", "mp3", 4], ["c.flac", "flac", 4]] as const) {
        const p = path.join(dir, name);
        fs.writeFileSync(p, encodeTrack(format, { title: name }, audio(100_000)));
        const r = Bun.spawnSync([mutagen, "-c", SCRIPT, p, path.join(dir, "front.png"), path.join(dir, "back.jpg"), String(version)], { stderr: "pipe" });
        expect(r.stderr.toString()).toBe("");
        const file = new Uint8Array(fs.readFileSync(p));
        const c = await extractCover(memOrigin(file).readRange, file.length, format);
        expect([name, c?.mime, c?.width, c?.height, c?.front]).toEqual([name, "image/jpeg", 320, 240, false]);
        expect(Buffer.from(c!.bytes).equals(Buffer.from(back))).toBe(true);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
