// Tags of remote files come from ranged reads (head and tail), never a whole download.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fingerprintFile } from "../../internal/catalog/fingerprint.ts";
import { LocalOrigin } from "../../internal/origins/local.ts";
import { originFingerprint, parseRemoteTags, rangeBlob, readHeadTail } from "../../internal/origins/ranged-tags.ts";
import type { Origin } from "../../internal/origins/types.ts";
import { encodeTrack } from "../../internal/samplelib/index.ts";

let tmp: string;
let origin: LocalOrigin;
const bytesRead = { n: 0 };
let counting: Origin;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-tags-"));
  const audio = new Uint8Array(6 * 1024 * 1024);
  for (let i = 0; i < audio.length; i += 4096) audio[i] = i & 255;
  const tags = { title: "Remote Song", artist: "Far Away", album: "Over The Wire", year: 1999, trackNo: 3 };
  fs.writeFileSync(path.join(tmp, "a.flac"), encodeTrack("flac", tags, audio));
  fs.writeFileSync(path.join(tmp, "b.mp3"), encodeTrack("mp3", tags, audio));
  origin = new LocalOrigin({ id: "o", root: tmp });
  counting = Object.assign(Object.create(origin), {
    read: async (p: string, o: number, l: number) => {
      const d = await origin.read(p, o, l);
      bytesRead.n += d.length;
      return d;
    },
  });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("ranged tag reading", () => {
  for (const f of ["a.flac", "b.mp3"]) {
    test(`${f}: tags from a few ranged reads`, async () => {
      bytesRead.n = 0;
      const size = fs.statSync(path.join(tmp, f)).size;
      const { metadata, stats } = await parseRemoteTags(counting, `/${f}`, size);
      expect(metadata.common.title).toBe("Remote Song");
      expect(metadata.common.artist).toBe("Far Away");
      expect(metadata.common.album).toBe("Over The Wire");
      expect(bytesRead.n).toBeLessThan(size / 4);
      expect(stats.requests).toBeLessThan(20);
    });
  }

  test("rangeBlob slices, clamps and caches blocks", async () => {
    const data = new Uint8Array(300_000).map((_, i) => i % 251);
    let calls = 0;
    const blob = rangeBlob(async (o, l) => (calls++, data.slice(o, o + l)), data.length, "", 65536);
    const a = new Uint8Array(await blob.slice(65530, 65540).arrayBuffer());
    expect([...a]).toEqual([...data.subarray(65530, 65540)]);
    expect(calls).toBe(2);
    await blob.slice(65531, 65535).arrayBuffer();
    expect(calls).toBe(2);
    expect(new Uint8Array(await blob.slice(299_990, 400_000).arrayBuffer()).length).toBe(10);
    expect(new Uint8Array(await blob.slice(500_000, 600_000).arrayBuffer()).length).toBe(0);
  });

  test("head/tail and the catalog fingerprint over ranged reads", async () => {
    const p = path.join(tmp, "a.flac");
    const size = fs.statSync(p).size;
    const { head, tail } = await readHeadTail(origin, "/a.flac", size);
    expect(head.length).toBe(65536);
    expect(Buffer.from(tail).equals(fs.readFileSync(p).subarray(size - 65536))).toBe(true);
    expect(await originFingerprint(origin, "/a.flac", size)).toBe(fingerprintFile(p, size));
    fs.writeFileSync(path.join(tmp, "tiny.mp3"), "tiny");
    expect(await originFingerprint(origin, "/tiny.mp3", 4)).toBe(fingerprintFile(path.join(tmp, "tiny.mp3"), 4));
    fs.writeFileSync(path.join(tmp, "mid.mp3"), new Uint8Array(100_000).fill(3));
    expect(await originFingerprint(origin, "/mid.mp3", 100_000)).toBe(fingerprintFile(path.join(tmp, "mid.mp3"), 100_000));
  });
});
