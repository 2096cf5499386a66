// An in-memory SearchBackend for the RPC tests, so they do not depend on the catalog's progress.
// Its query language is deliberately tiny: whitespace-separated terms, all must match
// (case-insensitive substring of artist/album/title); an unbalanced `"` is a syntax error at the
// quote's position; the term `hang` never finishes (until aborted) to exercise the deadline;
// the term `boom` throws an internal error.
import { QuerySyntaxError, type SearchBackend, type SearchHit, type TrackInfo } from "../../internal/rpc/index.ts";

export interface FakeTrack {
  id: number;
  path: string;
  artist: string;
  album: string;
  title: string;
  year: number;
}

export function makeTracks(n: number): FakeTrack[] {
  const artists = ["Metallica", "Björk", "Nina Simone", "Daft Punk", "Portishead"];
  const out: FakeTrack[] = [];
  for (let i = 1; i <= n; i++) {
    const artist = artists[i % artists.length];
    const album = `Album ${i % 17}`;
    const title = `Song ${i}`;
    out.push({ id: i, path: `/${artist}/${album}/${String(i).padStart(4, "0")} ${title}.flac`, artist, album, title, year: 1970 + (i % 50) });
  }
  return out;
}

export function fakeBackend(tracks: FakeTrack[]): SearchBackend & { calls: number } {
  const backend = {
    calls: 0,
    search(query: string, opts: { limit: number; offset: number; signal?: AbortSignal }) {
      backend.calls++;
      const quote = [...query].filter((c) => c === '"').length;
      if (quote % 2 === 1) throw new QuerySyntaxError("unterminated phrase", query.lastIndexOf('"'));
      const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
      if (terms.includes("boom")) throw new Error("disk I/O error in /var/lib/secret.db");
      if (terms.includes("hang")) {
        return new Promise<never>((_, reject) => opts.signal?.addEventListener("abort", () => reject(opts.signal?.reason)));
      }
      const started = performance.now();
      const all = tracks.filter((t) => terms.every((w) => `${t.artist} ${t.album} ${t.title}`.toLowerCase().includes(w)));
      const hits: SearchHit[] = all.slice(opts.offset, opts.offset + opts.limit).map((t) => ({ ...t, score: 1 }));
      return { hits, total: all.length, tookMs: performance.now() - started };
    },
    trackCount: () => tracks.length,
    getTrack(path: string): TrackInfo | null {
      const t = tracks.find((x) => x.path === path);
      return t ? { id: t.id, path: t.path, title: t.title, artist: t.artist, album: t.album, year: t.year, format: "flac" } : null;
    },
  };
  return backend;
}
