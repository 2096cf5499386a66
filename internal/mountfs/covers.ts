// Album covers of the mount (FR-16), computed on the main thread: FUSE workers ask for them
// (WorkerInfo.callMain) when a `cover.jpg`, `cover-150.jpg` or `cover-300.jpg` is looked up.
// Extraction reads only the tracks' headers (ranged); thumbnails cost ~100 ms of CPU each, so the
// results are kept: in memory (an LRU bounded in bytes) and, when the mount has a chunk cache
// (--config), in it too, under the album's key, so a remount does not resize again. A FUSE
// worker's loop never runs the resize itself.
import * as fs from "node:fs";
import { extractCover, pickAlbumCover, resizeCover, type Cover } from "../cover/index.ts";
import type { ChunkStore } from "../cas/index.ts";
import type { TrackRef } from "../origins/index.ts";
import { COVER_FILES, type CoverRequest, type CoverTrack } from "./cover-files.ts";

export { COVER_FILES, type CoverRequest, type CoverTrack };

export type RemoteRead = (ref: TrackRef, offset: number, length: number) => Promise<Uint8Array>;

const CACHE_BYTES = 64 << 20;

export class CoverService {
  private readonly picks = new Map<string, Promise<Cover | null>>();
  private readonly files = new Map<string, Promise<Uint8Array | null>>();
  private bytes = 0;

  constructor(
    private readonly remoteRead: RemoteRead | null,
    private readonly log: (line: string) => void,
    private readonly store: ChunkStore | null = null,
  ) {}

  /** The bytes of one cover file of an album, or null when none of its tracks has a usable picture. */
  get(req: CoverRequest): Promise<Uint8Array | null> {
    const album = req.tracks.map((t) => `${t.id}:${t.size}:${t.mtimeMs}`).join(",");
    const key = `${album}#${req.file}`;
    const hit = this.files.get(key);
    if (hit) {
      this.files.delete(key);
      this.files.set(key, hit);
      return hit;
    }
    const p = this.fromStore(key) ?? this.pick(album, req.tracks).then((cover) => (cover ? this.render(cover, req.file) : null)).then((b) => this.toStore(key, b));
    this.files.set(key, p);
    p.then(
      (b) => this.account(b?.length ?? 0),
      () => this.files.delete(key), // an origin failure is tried again on the next lookup
    );
    return p;
  }

  /** A cover file made before (this mount or an earlier one), verified like any chunk. */
  private fromStore(key: string): Promise<Uint8Array | null> | null {
    if (!this.store) return null;
    try {
      const hex = this.store.lookupBlock(`cover:${key}`, 0);
      const bytes = hex ? this.store.get(hex) : null;
      return bytes ? Promise.resolve(bytes) : null;
    } catch {
      return null; // a broken cache is a miss
    }
  }

  private toStore(key: string, bytes: Uint8Array | null): Uint8Array | null {
    if (bytes && this.store) {
      try {
        const hex = this.store.put(bytes); // null on a full disk: the cover is served anyway
        if (hex) this.store.mapBlock(`cover:${key}`, 0, hex);
      } catch {
        /* uncached */
      }
    }
    return bytes;
  }

  private pick(album: string, tracks: CoverTrack[]): Promise<Cover | null> {
    let p = this.picks.get(album);
    if (!p) {
      p = pickAlbumCover(tracks, (t) => extractCover((o, n) => this.read(t, o, n), t.size, t.format)).then(({ pick, skipped }) => {
        for (const s of skipped) this.log(`cover of track ${s.track.id}: ${s.error.message}`);
        return pick?.cover ?? null;
      });
      this.picks.set(album, p);
      p.catch(() => this.picks.delete(album));
      // Picks are small (one picture) but unbounded in number: keep the last thousand albums.
      if (this.picks.size > 1000) this.picks.delete(this.picks.keys().next().value!);
    }
    return p;
  }

  /** Full size is the picture itself when it is a JPEG (the name says .jpg), else re-encoded at its own size. */
  private async render(cover: Cover, file: number): Promise<Uint8Array> {
    const px = COVER_FILES[file].px;
    if (px === "full") return cover.mime === "image/jpeg" ? cover.bytes : (await resizeCover(cover.bytes, Math.max(cover.width, cover.height, 1))).bytes;
    return (await resizeCover(cover.bytes, px)).bytes;
  }

  private read(t: CoverTrack, offset: number, length: number): Promise<Uint8Array> {
    if (t.path) {
      const fd = fs.openSync(t.path, "r");
      try {
        const buf = new Uint8Array(length);
        return Promise.resolve(buf.subarray(0, fs.readSync(fd, buf, 0, length, offset)));
      } finally {
        fs.closeSync(fd);
      }
    }
    if (!t.ref || !this.remoteRead) return Promise.reject(new Error(`track ${t.id} cannot be read here`));
    return this.remoteRead(t.ref, offset, length);
  }

  private account(n: number): void {
    this.bytes += n;
    while (this.bytes > CACHE_BYTES && this.files.size > 1) {
      const [k, v] = this.files.entries().next().value!;
      this.files.delete(k);
      void v.then((b) => (this.bytes -= b?.length ?? 0));
    }
  }
}
