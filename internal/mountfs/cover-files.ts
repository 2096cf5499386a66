// The album cover files of the mount and what a FUSE worker sends the main thread for one
// (covers.ts makes them). Kept apart so the workers do not load the image code.
import type { CoverCandidate } from "../cover/album.ts";
import type { TrackRef } from "../origins/index.ts";

/** cover.jpg (full size), cover-150.jpg, cover-300.jpg: the file names and their largest side. */
export const COVER_FILES = [
  { name: "cover.jpg", px: "full" },
  { name: "cover-150.jpg", px: 150 },
  { name: "cover-300.jpg", px: 300 },
] as const;

/** One track of an album as the main thread needs it to read its header. */
export interface CoverTrack extends CoverCandidate {
  id: number;
  size: number;
  mtimeMs: number;
  format: string;
  /** A local file the main thread may read directly; else `ref` through the origins. */
  path?: string;
  ref?: TrackRef;
}

/** What a worker sends: the album's tracks in play order and which of the three files. */
export interface CoverRequest {
  op: "cover";
  tracks: CoverTrack[];
  file: number;
}
