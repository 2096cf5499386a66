// pickAlbumCover: an album's cover is the largest picture of its first track (in play order)
// that has a usable one. Tracks are read one by one and only until that track is found.
import { CoverError } from "./errors.ts";
import type { Cover } from "./picture.ts";

export interface CoverCandidate {
  /** The catalog's "has a cover" flag: false skips the track without reading it; null/absent reads it. */
  hasCover?: boolean | null;
}

export interface AlbumCover<T> {
  track: T;
  cover: Cover;
}

export interface AlbumCoverPick<T> {
  /** The chosen track and its picture, or null when no track has a usable one. */
  pick: AlbumCover<T> | null;
  /** Tracks before the pick whose pictures are unusable (malformed, too large), with why. */
  skipped: { track: T; error: CoverError }[];
}

/**
 * Walks `tracks` (an album, in play order) and returns the first one whose `extract` gives a
 * picture. A CoverError other than read-failed is a property of that file, so the track is
 * skipped (and reported); read-failed and any other error are thrown: skipping a track whose
 * origin is down for now would give the album a different cover than next time.
 */
export async function pickAlbumCover<T extends CoverCandidate>(tracks: readonly T[], extract: (track: T) => Promise<Cover | null>): Promise<AlbumCoverPick<T>> {
  const skipped: { track: T; error: CoverError }[] = [];
  for (const track of tracks) {
    if (track.hasCover === false) continue;
    let cover: Cover | null;
    try {
      cover = await extract(track);
    } catch (e) {
      if (e instanceof CoverError && e.code !== "read-failed") {
        skipped.push({ track, error: e });
        continue;
      }
      throw e;
    }
    if (cover) return { pick: { track, cover }, skipped };
  }
  return { pick: null, skipped };
}
