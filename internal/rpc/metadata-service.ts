// musicfs.v1.MetadataService: tag edits kept in the catalog and served by the mount in a
// synthesised header (the metadata overlay, FR-5.3); the origin files are never written.
// GetMetadata reports the effective tags (file's, edits over them); UpdateMetadata merges
// (fields set change, others stay; "" or 0 removes a tag); ClearOverlay drops every edit of a file.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import * as fs from "node:fs";
import type { OverlayRecord, Track } from "../catalog/index.ts";
import { OverlayError, type OverlayTags } from "../overlay/index.ts";
import { importFormat, parseImport, type ImportKey } from "../overlay/import.ts";
import type { TrackInfo } from "./backend.ts";
import {
  BatchUpdateProgressSchema,
  ClearOverlayResponseSchema,
  ImportProgressSchema,
  MetadataResponseSchema,
  MetadataService,
  UpdateMetadataResponseSchema,
  type UpdateMetadataRequest,
} from "../../proto/gen/musicfs/v1/musicfs_pb.ts";

export interface MetadataInfo {
  track: Track;
  overlay: OverlayRecord | null;
}

/** What the service needs of a catalog (catalog-metadata.ts); throws OverlayError for bad edits. */
export interface MetadataBackend {
  /** Track id of a path on an origin or inside a mount; null when none (or several) match. */
  resolve(path: string): number | null;
  /** Track id of an import row's key; null when none (or several) match. */
  match(key: ImportKey): number | null;
  info(id: number): MetadataInfo | null;
  /** Merges edits; returns the overlay's new version. Unknown id: an Error naming it. */
  update(id: number, tags: OverlayTags): number;
  /** Drops the edits; false when there were none. */
  clear(id: number): boolean;
  close?(): void;
}

/** Largest import file ImportMetadata reads (a CSV row is ~200 bytes: ~250 000 rows). */
const MAX_IMPORT_BYTES = 50 * 1024 * 1024;

const FIELDS_NOT_IN_OVERLAY: (keyof UpdateMetadataRequest)[] = [
  "comment", "lyrics", "copyright", "compilation", "artistSort", "albumArtistSort", "albumSort", "titleSort",
  "replaygainTrackGain", "replaygainTrackPeak", "replaygainAlbumGain", "replaygainAlbumPeak", "label", "albumType", "coverUrl",
];

/**
 * The overlay's edit record from an UpdateMetadataRequest. proto3 `optional` tells set from unset;
 * a set "" (or a 0 track/disc number) removes the tag. Fields the overlay does not write yet are
 * refused by name rather than dropped without a word.
 */
export function editsFromRequest(req: UpdateMetadataRequest): OverlayTags {
  const unsupported = FIELDS_NOT_IN_OVERLAY.filter((f) => req[f] !== undefined);
  if (Object.keys(req.customTags).length > 0) unsupported.push("customTags");
  if (unsupported.length > 0) throw new ConnectError(`the overlay does not edit ${unsupported.join(", ")} yet (it edits title, artist, album, album_artist, genre, composer, date, track_number, disc_number, mb_recording_id, mb_album_id, mb_artist_id)`, Code.InvalidArgument);
  const text = (v: string | undefined) => (v === undefined ? undefined : v === "" ? null : v);
  const num = (v: number | undefined) => (v === undefined ? undefined : v === 0 ? null : v);
  const tags: OverlayTags = {
    title: text(req.title),
    artist: text(req.artist),
    album: text(req.album),
    albumArtist: text(req.albumArtist),
    genre: text(req.genre),
    composer: text(req.composer),
    date: text(req.date),
    trackNo: num(req.trackNumber),
    discNo: num(req.discNumber),
    mbRecordingId: text(req.mbRecordingId),
    mbAlbumId: text(req.mbAlbumId),
    mbArtistId: text(req.mbArtistId),
  };
  for (const k of Object.keys(tags) as (keyof OverlayTags)[]) if (tags[k] === undefined) delete tags[k];
  if (Object.keys(tags).length === 0) throw new ConnectError("the request changes no field", Code.InvalidArgument);
  return tags;
}

function fileId(v: bigint): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new ConnectError(`file_id must be a positive track id, got ${v}`, Code.InvalidArgument);
  return n;
}

/** OverlayError → INVALID_ARGUMENT, an unknown track → NOT_FOUND; the rest stays internal. */
function toConnect(e: unknown, id?: number): ConnectError {
  if (e instanceof ConnectError) return e;
  if (e instanceof OverlayError) return new ConnectError(e.message, Code.InvalidArgument);
  if (e instanceof Error && e.name === "CatalogError" && /no track/.test(e.message)) return new ConnectError(`no track with file_id ${id}`, Code.NotFound);
  return new ConnectError("metadata update failed inside the server", Code.Internal, undefined, undefined, e);
}

const opt = <T>(v: T | null | undefined): T | undefined => (v === null || v === undefined ? undefined : v);
const big = (v: number | null | undefined) => (v === null || v === undefined ? undefined : BigInt(Math.round(v)));

/** The fields every answer has, from a catalog track (or a search backend's lookup). */
function basicFields(t: TrackInfo) {
  return {
    fileId: BigInt(t.id),
    title: opt(t.title),
    artist: opt(t.artist),
    album: opt(t.album),
    albumArtist: opt(t.albumArtist),
    year: opt(t.year),
    track: opt(t.trackNo),
    disc: opt(t.discNo),
    genre: opt(t.genre),
    format: opt(t.format),
    durationMs: big(t.durationMs),
    bitrate: big(t.bitrate),
  };
}

function response(info: MetadataInfo) {
  const t = info.track;
  const e = info.overlay?.edits ?? {};
  const firstNum = (v: string[] | null | undefined) => (v ? Number.parseInt(v[0], 10) : undefined);
  return create(MetadataResponseSchema, {
    ...basicFields(t),
    trackTotal: firstNum(e.trackTotal),
    discTotal: firstNum(e.discTotal),
    date: e.date ? e.date[0] : t.year === null ? undefined : String(t.year),
    composer: opt(t.composer),
    mbRecordingId: opt(t.mbRecordingId),
    mbAlbumId: opt(t.mbAlbumId),
    mbArtistId: opt(t.mbArtistId),
    mbAlbumArtistId: opt(t.mbAlbumArtistId),
    mbReleaseGroupId: opt(t.mbReleaseGroupId),
    // Which fields are edits (the rest is the file's own): clients can show it.
    customTags: info.overlay ? { "musicfs.overlay.fields": Object.keys(e).join(","), "musicfs.overlay.version": String(info.overlay.version) } : {},
  });
}

/**
 * `backend` absent: the edit methods answer UNIMPLEMENTED, and GetMetadata uses `lookup` (a
 * search backend's read-only track lookup) when there is one.
 */
export function metadataService(
  backend: MetadataBackend | undefined,
  unimplemented: (method: string, missing: string) => never,
  lookup?: (path: string) => TrackInfo | null | Promise<TrackInfo | null>,
): Partial<ServiceImpl<typeof MetadataService>> {
  const need = (method: string): MetadataBackend => backend ?? unimplemented(method, "the metadata overlay (edits kept in a writable catalog: serve --db or mount --serve)");
  return {
    async getMetadata(req) {
      if (!backend && !lookup) unimplemented("GetMetadata", "track lookup in the catalog");
      if (req.virtualPath === "") throw new ConnectError("virtual_path cannot be empty", Code.InvalidArgument);
      const notFound = () => new ConnectError(`no track at ${JSON.stringify(req.virtualPath)} (a path on an origin, or inside a mount of this catalog)`, Code.NotFound);
      if (!backend) {
        const t = await lookup!(req.virtualPath);
        if (!t) throw notFound();
        return create(MetadataResponseSchema, basicFields(t));
      }
      const id = backend.resolve(req.virtualPath);
      const info = id === null ? null : backend.info(id);
      if (!info) throw notFound();
      return response(info);
    },
    async updateMetadata(req) {
      const b = need("UpdateMetadata");
      const id = fileId(req.fileId);
      const tags = editsFromRequest(req);
      try {
        b.update(id, tags);
      } catch (e) {
        throw toConnect(e, id);
      }
      return create(UpdateMetadataResponseSchema, { fileId: BigInt(id), success: true });
    },
    async clearOverlay(req) {
      const b = need("ClearOverlay");
      const id = fileId(req.fileId);
      if (!b.info(id)) throw new ConnectError(`no track with file_id ${id}`, Code.NotFound);
      const had = b.clear(id);
      return create(ClearOverlayResponseSchema, { fileId: BigInt(id), success: true, errorMessage: had ? undefined : "the file had no edits" });
    },
    // One progress message per item; a failing item reports its error and the batch goes on.
    async *batchUpdateMetadata(req) {
      const b = need("BatchUpdateMetadata");
      const total = req.items.length;
      let completed = 0;
      for (const item of req.items) {
        let error: string | undefined;
        let id = 0;
        try {
          id = fileId(item.fileId);
          if (!item.metadata) throw new ConnectError("the item has no metadata", Code.InvalidArgument);
          b.update(id, editsFromRequest(item.metadata));
        } catch (e) {
          error = toConnect(e, id).rawMessage;
        }
        completed++;
        yield create(BatchUpdateProgressSchema, { completed, total, currentFileId: item.fileId, errorMessage: error });
      }
    },
    // The file is read on the server's disk; rows that do not parse or match are reported, the rest imported.
    async *importMetadata(req) {
      const b = need("ImportMetadata");
      if (req.sourcePath === "") throw new ConnectError("source_path cannot be empty", Code.InvalidArgument);
      let parsed: ReturnType<typeof parseImport>;
      try {
        const format = importFormat(req.format, req.sourcePath);
        const st = fs.statSync(req.sourcePath);
        if (!st.isFile()) throw new ConnectError(`${req.sourcePath} is not a file`, Code.InvalidArgument);
        if (st.size > MAX_IMPORT_BYTES) throw new ConnectError(`${req.sourcePath} is ${st.size} bytes, more than the ${MAX_IMPORT_BYTES} an import reads`, Code.InvalidArgument);
        parsed = parseImport(fs.readFileSync(req.sourcePath, "utf8"), format);
      } catch (e) {
        if (e instanceof ConnectError || e instanceof OverlayError) throw toConnect(e);
        throw new ConnectError(`cannot read ${req.sourcePath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, Code.NotFound);
      }
      const total = parsed.rows.length + parsed.problems.length;
      let imported = 0;
      for (const p of parsed.problems) yield create(ImportProgressSchema, { imported, total, currentFile: `row ${p.row}`, errorMessage: p.message });
      for (const r of parsed.rows) {
        const id = b.match(r.key);
        let error: string | undefined;
        if (id === null) error = `no single track matches ${JSON.stringify(r.key)}`;
        else {
          try {
            b.update(id, r.tags);
            imported++;
          } catch (e) {
            error = toConnect(e, id).rawMessage;
          }
        }
        yield create(ImportProgressSchema, { imported, total, currentFile: `row ${r.row}`, errorMessage: error });
      }
    },
  };
}
