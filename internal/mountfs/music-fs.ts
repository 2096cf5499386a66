// The FUSE file system of `musicfs mount`: the catalog's tracks in a tree rendered from a path
// template, plus hidden search folders (/.search/<query>/) whose entries are symlinks into the
// tree, and /.collections/. The tree is the catalog's stored snapshot (tree-snapshot.ts), read lazily.
// Bytes of local files are read with a descriptor straight into the reply buffer; files on other
// origins (S3, SFTP, NFS/SMB, or a local copy that failed) are read by the main thread, which owns
// the origin router and the chunk cache (WorkerInfo.callMain, answered in cmd/mount.ts).
import type { Database } from "bun:sqlite";
import * as fs from "node:fs";
import { openCatalog } from "../catalog/db.ts"; // not index.ts: the workers need no tag reader
import { rowToTrack, trackSelectList, type Track } from "../catalog/track.ts";
import { errno, FOPEN_CACHE_DIR, FOPEN_DIRECT_IO, FOPEN_KEEP_CACHE, type Attr, type DirSink, type FileSystem, type OpenReply, type RequestContext, type StatFs, type WorkerInfo } from "../fuse/index.ts";
import type { TrackRef } from "../origins/index.ts";
import { trackCacheKey } from "../origins/router.ts";
import { BLOCK_SIZE } from "../cas/cached-reader.ts";
import { ChunkStoreReader } from "../cas/store-reader.ts";
import { HitBatch } from "../cas/hit-batch.ts";
import { DEFAULT_TEMPLATE, type VfsNode } from "../vfs/index.ts";
import { collectionsByName, type CollectionDef } from "./collections.ts";
import { COLLECTIONS_DIR_INO, COVER_INO_BASE, coverIno, FILE_INO_BASE, HINT_INO_BASE, kindOf, PREFETCH_DIR_INO, PREFETCH_STATUS_INO, queryIno, RESULT_INO_BASE, ROOT_INO, SEARCH_DIR_INO } from "./inodes.ts";
import { predictNext, recentlyPlayed } from "./prefetch.ts";
import { COVER_FILES, type CoverRequest, type CoverTrack } from "./cover-files.ts";
import { ReadCounter, type OpenedEvent } from "./access-log.ts";
import { groupCopies, Locations, type OriginSummary } from "./locations.ts";
import { QueryRunner, queryKey } from "./queries.ts";
import { buildVfsTree, catalogSignature, ensureSnapshot, snapshotKey, TreeSnapshot, withFormat } from "./tree-snapshot.ts";
import { OverlayPlans } from "./overlay-plans.ts";
import { Namespace, NamespaceError } from "./namespace.ts";
import { plannedSegments, type OverlayPlan } from "../overlay/index.ts";

export interface MusicFsOptions {
  /** Catalog database file. */
  db: string;
  /** Path template (default: the predecessor's). */
  template?: string;
  /** Absolute mountpoint: search results link to `${mountpoint}/<tree path>`. */
  mountpoint: string;
  uid: number;
  gid: number;
  /** Most results a search folder lists (default 1000). */
  searchLimit?: number;
  /** Origins of `--config` (empty: only plain local rows, read directly). */
  origins?: OriginSummary[];
  /** Saved queries shown under /.collections/ besides the built-ins. */
  collections?: CollectionDef[];
  /**
   * Directory of the main thread's chunk store (ChunkStore.dir), when it has one: workers read its
   * hits themselves (ChunkStoreReader) and ask the main thread only for misses.
   */
  chunkStoreDir?: string;
  /**
   * An Int32 counter shared by the workers and the main thread, bumped by whoever notices or
   * makes a catalog change (a worker's refresh, the main thread's rescan after a change): every
   * worker then looks at the catalog on its next operation, not up to a second later, so two
   * workers do not answer with different trees (old and new sizes) for long.
   */
  catalogClock?: SharedArrayBuffer;
}

/** What a worker asks the main thread for: bytes of a track from the best origin, via the cache. */
export interface RemoteReadRequest {
  op: "read";
  ref: TrackRef;
  offset: number;
  size: number;
}

/**
 * File handles of tracks read through the main thread: this base plus the catalog id, so any
 * worker can serve any handle (descriptors, the other kind, are far below it).
 */
const REMOTE_FH_BASE = 2 ** 48;
/**
 * Handles of tracks with tag edits: this base plus the handle the track would have without them
 * (a descriptor or a remote handle); reads put the synthesised header in front of its bytes.
 */
const OVERLAY_FH_BASE = 2 ** 50;
/** The handle of an open cover file (its bytes are looked up by inode). */
const COVER_FH = 2 ** 53 - 2;
/** The handle of an open /.prefetch file (read through: FOPEN_DIRECT_IO). */
const INFO_FH = 2 ** 53 - 4;
/** Cover files a worker keeps (each a few KiB to a few hundred). */
const COVERS_KEPT = 64;
/** Remote reads go to the main thread in aligned blocks of this size; a worker keeps the last few. */
const REMOTE_BLOCK = 1 << 20;
const REMOTE_BLOCKS_KEPT = 8;

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const O_ACCMODE = 3;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;
const RENAME_NOREPLACE = 1;

/** How often a worker looks for a rescan (a cheap PRAGMA; the tree is rebuilt only on a change). */
const REFRESH_CHECK_MS = 1000;

export class MusicFs implements FileSystem {
  private tree: TreeSnapshot;
  private dataVersion = -1;
  private signature = "";
  private lastCheck = 0;
  private readonly clock: Int32Array | null;
  private seenClock = 0;
  private readonly queries: QueryRunner;
  /** The last listing linked per query folder, with the results and tree it was made from. */
  private readonly builtListings = new Map<number, { from: unknown; treeVersion: number; names: string[]; attrs: Attr[] }>();
  /** Query listings by directory handle, with the inode they belong to. */
  private readonly listings = new Map<number, { ino: number; names: string[]; attrs: Attr[] }>();
  /** Handles are unique across workers (worker number in the high bits): any worker may get any handle. */
  private nextFh: number;
  private readonly mountTime = Date.now() / 1000;
  private readonly loc: Locations;
  /** Every copy of a track by catalog id, the preferred first (mounts with origins; see copiesOf). */
  private readonly copies = new Map<number, Track[]>();
  private readonly callMain?: (request: unknown) => Promise<unknown>;
  /** Reads served per track since the last report to the access log. */
  private readonly reads = new ReadCounter();
  /** Tag edits (metadata overlay) and their synthesised headers. */
  private readonly overlays: OverlayPlans;
  /** Album cover files by inode, with the tree build they were made for (see coverBytes). */
  private readonly covers = new Map<number, { version: number; bytes: Promise<Uint8Array | null> }>();
  /** mkdir, mv, rm (to /.trash) and rmdir of the tree: stored in the catalog, origins untouched. */
  private readonly ns: Namespace;
  /** Recent remote blocks of this worker (LRU by insertion order), see remoteBlock. */
  private readonly blocks = new Map<string, Uint8Array | Promise<Uint8Array>>();
  /** The main thread's chunk cache, read-only: hits are served here (null: every remote block asks the main thread). */
  private readonly chunks: ChunkStoreReader | null;
  /** This worker's cache hits, reported to the main thread (stats, LRU order). */
  private readonly hits: HitBatch | null;
  /** Buffers of blocks read from the chunk cache and evicted from `blocks`, for the next ones (see readRemote). */
  private readonly spareBlocks: Uint8Array[] = [];
  /** Bumped by every tree build; dirListedIn: the build a folder was last opened from. */
  private treeVersion = 0;
  private readonly dirListedIn = new Map<number, number>();
  /** /.collections/ by folder name; computed when first listed after each tree build (decades follow the catalog). */
  private collectionsCache: Map<string, CollectionDef> | null = null;
  private get collections(): Map<string, CollectionDef> {
    return (this.collectionsCache ??= collectionsByName(this.db, this.opts.collections ?? []));
  }

  constructor(
    private readonly db: Database,
    private readonly opts: MusicFsOptions,
    worker = 0,
    callMain?: (request: unknown) => Promise<unknown>,
    private readonly giveBack?: (buf: ArrayBuffer) => void,
  ) {
    this.nextFh = worker * 2 ** 32 + 1;
    this.clock = opts.catalogClock ? new Int32Array(opts.catalogClock) : null;
    if (this.clock !== null) this.seenClock = Atomics.load(this.clock, 0);
    this.loc = new Locations(opts.origins ?? []);
    this.callMain = callMain;
    // The worker's blocks must be the main thread's cache blocks for the keys to match.
    this.chunks = callMain && opts.chunkStoreDir && REMOTE_BLOCK === BLOCK_SIZE ? ChunkStoreReader.open(opts.chunkStoreDir) : null;
    this.hits = this.chunks ? new HitBatch((r) => void callMain!(r).catch(() => {})) : null;
    this.queries = new QueryRunner(db, opts.searchLimit ?? 1000);
    this.overlays = new OverlayPlans(db, (line) => logError("overlay", new Error(line)));
    this.ns = new Namespace(db, this.treeKey, () => buildVfsTree(this.db, this.loc, this.opts.template ?? DEFAULT_TEMPLATE));
    this.tree = this.buildTree();
  }

  /** The snapshot key of this mount's tree: template and origins decide what shows where. */
  private get treeKey(): string {
    return snapshotKey(this.opts.template ?? DEFAULT_TEMPLATE, JSON.stringify(this.opts.origins ?? []));
  }

  private buildTree(): TreeSnapshot {
    this.dataVersion = this.readDataVersion();
    this.lastCheck = Date.now();
    this.signature = ensureSnapshot(this.db, this.treeKey, () => buildVfsTree(this.db, this.loc, this.opts.template ?? DEFAULT_TEMPLATE)).sig;
    this.copies.clear();
    this.collectionsCache = null;
    this.treeVersion++;
    return new TreeSnapshot(this.db, this.treeKey, withFormat);
  }

  /**
   * Every copy of a track, the preferred first, when it is read through the main thread (a copy
   * on another origin, or not a local file); null when the worker reads its local file alone.
   */
  private copiesOf(t: Track): Track[] | null {
    if (!this.loc.configured) return null;
    let g = this.copies.get(t.id);
    if (!g) {
      const rows = t.fingerprint
        ? (this.db.query(`SELECT ${trackSelectList("t")} FROM tracks t WHERE t.fingerprint = ? AND t.size = ?`).all(t.fingerprint, t.size) as Record<string, unknown>[]).map(rowToTrack)
        : [t];
      g = groupCopies(rows, this.loc).find((x) => x.some((c) => c.id === t.id)) ?? [t];
      this.copies.set(t.id, g);
    }
    return g.length > 1 || !this.loc.direct(g[0]) ? g : null;
  }

  private readDataVersion(): number {
    return (this.db.query("PRAGMA data_version").get() as { data_version: number }).data_version;
  }

  /**
   * A rescan (another process writing the catalog) shows up without a remount: at most once a
   * second, a worker compares SQLite's data_version and, if it moved, the tracks' signature.
   * Inodes are derived from catalog ids and paths, so the kernel's references stay valid.
   */
  private refresh(force = false): void {
    // Told by the clock: another thread saw the change and has told everyone already.
    let told = false;
    if (this.clock !== null) {
      const c = Atomics.load(this.clock, 0);
      if (c !== this.seenClock) {
        this.seenClock = c;
        force = told = true;
      }
    }
    const now = Date.now();
    if (!force && now - this.lastCheck < REFRESH_CHECK_MS) return;
    this.lastCheck = now;
    const version = this.readDataVersion();
    if (version === this.dataVersion) return;
    this.dataVersion = version;
    if (this.clock !== null && !told) this.seenClock = Atomics.add(this.clock, 0, 1) + 1; // the other workers look too
    // Tag edits bump the catalog's signature too (they change the tags), but an edit of a field
    // the catalog does not hold (track total) changes only the overlay's version.
    this.overlays.reload();
    if (catalogSignature(this.db) !== this.signature) this.tree = this.buildTree();
  }

  // --- attributes -------------------------------------------------------------------------

  private dirAttr(ino: number, mtimeMs: number): Attr {
    return { ino, mode: S_IFDIR | 0o555, size: 4096, nlink: 2, uid: this.opts.uid, gid: this.opts.gid, mtime: mtimeMs ? mtimeMs / 1000 : this.mountTime };
  }

  /** Tree folders and files are writable in the sense of rename(2): mv, rm and mkdir edit the namespace. */
  private treeDirAttr(ino: number, mtimeMs: number): Attr {
    const a = this.dirAttr(ino, mtimeMs);
    a.mode = S_IFDIR | 0o755;
    return a;
  }

  private nodeAttr(node: VfsNode<Track>): Attr {
    if (node.kind === "dir") return this.treeDirAttr(node.ino, node.mtimeMs);
    const t = node.track;
    return { ino: node.ino, mode: S_IFREG | 0o644, size: t.size, nlink: 1, uid: this.opts.uid, gid: this.opts.gid, mtime: t.mtimeMs / 1000 };
  }

  /** nodeAttr with the virtual size of an edited track (its plan is computed first if need be). */
  private treeAttr(node: VfsNode<Track>): Attr | Promise<Attr> {
    const attr = this.nodeAttr(node);
    if (node.kind !== "file" || !this.overlays.has(node.track.id)) return attr;
    const ready = this.overlays.ready(node.track);
    if (ready !== undefined) {
      if (ready) attr.size = ready.size;
      return attr;
    }
    return this.planOf(node.track).then(
      (p) => {
        if (p) attr.size = p.size;
        return attr;
      },
      () => attr,
    );
  }

  private planOf(t: Track): Promise<OverlayPlan | null> {
    return this.overlays.plan(t, (offset, length) => this.readOriginal(t, offset, length));
  }

  /** Bytes of a track's origin file, for planning its overlay header. */
  private async readOriginal(t: Track, offset: number, length: number): Promise<Uint8Array> {
    if (this.loc.direct(t)) {
      try {
        const fd = fs.openSync(t.path, "r");
        try {
          const buf = new Uint8Array(length);
          return buf.subarray(0, fs.readSync(fd, buf, 0, length, offset));
        } finally {
          fs.closeSync(fd);
        }
      } catch (e) {
        if (!this.callMain || !this.copiesOf(t)) throw e;
      }
    }
    const r = await this.readRemote(0, t.id, offset, length);
    if (typeof r === "number") throw new Error(`reading ${t.path} failed (errno ${-r})`);
    return r.slice(); // a cache hit may be a view of a block buffer the next read reuses; plans keep bytes
  }

  /** A search or collection result's symlink target (absolute, into the tree) and the file's mtime. */
  private resultLink(trackId: number): { target: string; mtimeMs: number } | null {
    const link = this.tree.fileLink(trackId);
    return link ? { target: this.opts.mountpoint.replace(/\/+$/, "") + link.path, mtimeMs: link.mtimeMs } : null;
  }

  private resultAttr(trackId: number): Attr | number {
    const link = this.resultLink(trackId);
    if (!link) return -errno.ENOENT;
    return { ino: RESULT_INO_BASE + trackId, mode: S_IFLNK | 0o777, size: Buffer.byteLength(link.target), nlink: 1, uid: this.opts.uid, gid: this.opts.gid, mtime: link.mtimeMs / 1000 };
  }

  getattr(ino: number): Attr | number | Promise<Attr | number> {
    this.refresh();
    switch (kindOf(ino)) {
      case "tree": {
        const node = this.tree.node(ino);
        return node ? this.treeAttr(node) : -errno.ENOENT;
      }
      case "search-root":
        return this.dirAttr(SEARCH_DIR_INO, 0);
      case "collections-root":
        return this.dirAttr(COLLECTIONS_DIR_INO, 0);
      case "query":
        return this.queries.queryOf(ino) === null ? -errno.ENOENT : this.dirAttr(ino, 0);
      case "result":
        return this.resultAttr(ino - RESULT_INO_BASE);
      case "cover":
        return this.coverAttr(ino);
      case "prefetch-root":
        return this.dirAttr(PREFETCH_DIR_INO, 0);
      case "prefetch-file":
        return this.prefetchFile(ino).then((b) => (b ? this.infoAttr(ino, b.length) : -errno.ENOENT));
    }
  }

  // --- names ------------------------------------------------------------------------------

  lookup(parent: number, name: string): Attr | number | Promise<Attr | number> {
    this.refresh();
    if (parent === ROOT_INO && name === ".search") return this.dirAttr(SEARCH_DIR_INO, 0);
    if (parent === ROOT_INO && name === ".collections") return this.dirAttr(COLLECTIONS_DIR_INO, 0);
    if (parent === ROOT_INO && name === ".prefetch") return this.dirAttr(PREFETCH_DIR_INO, 0);
    switch (kindOf(parent)) {
      case "tree": {
        const node = this.tree.lookup(parent, name);
        if (node) return this.treeAttr(node);
        const file = COVER_FILES.findIndex((f) => f.name === name);
        return file >= 0 ? this.coverAttr(coverIno(parent, file)) : -errno.ENOENT;
      }
      case "search-root": {
        const r = this.queries.register(name);
        return r < 0 ? r : this.dirAttr(queryIno(name), 0);
      }
      case "collections-root": {
        const c = this.collections.get(name);
        return c ? this.collectionAttr(c) : -errno.ENOENT;
      }
      case "prefetch-root": {
        const ino = name === "status" ? PREFETCH_STATUS_INO : /^hint_\d{1,15}$/.test(name) ? HINT_INO_BASE + Number(name.slice(5)) : 0;
        return ino === 0 ? -errno.ENOENT : this.prefetchFile(ino).then((b) => (b ? this.infoAttr(ino, b.length) : -errno.ENOENT));
      }
      case "query": {
        const entry = this.queries.results(parent)?.find((e) => e.name === name);
        return entry ? this.resultAttr(entry.trackId) : -errno.ENOENT;
      }
      default:
        return -errno.ENOTDIR;
    }
  }

  /** A collection is a query folder with its own sort; registering makes its inode known to every worker. */
  private collectionAttr(c: CollectionDef): Attr | number {
    const r = this.queries.register(c.query, c.sort, c.special, true);
    return r < 0 ? r : this.dirAttr(queryIno(queryKey(c.query, c.sort, c.special)), 0);
  }

  readlink(ino: number): string | number {
    if (kindOf(ino) !== "result") return -errno.EINVAL;
    return this.resultLink(ino - RESULT_INO_BASE)?.target ?? -errno.ENOENT;
  }

  // --- directories ------------------------------------------------------------------------

  opendir(ino: number): OpenReply | number | Promise<OpenReply> {
    // Listings must show another worker's mv or rm at once (data_version costs ~1 µs; not done per getattr).
    this.refresh(true);
    const kind = kindOf(ino);
    if (kind === "tree") {
      const node = this.tree.node(ino);
      if (!node) return -errno.ENOENT;
      if (node.kind !== "dir") return -errno.ENOTDIR;
      // The kernel may keep this folder's listing (CACHE_DIR) and reuse it on the next open
      // (KEEP_CACHE) while the tree is the one it was listed from; after a rebuild it lists again.
      const keep = this.dirListedIn.get(ino) === this.treeVersion;
      this.dirListedIn.set(ino, this.treeVersion);
      const reply: OpenReply = { fh: 0, flags: FOPEN_CACHE_DIR | (keep ? FOPEN_KEEP_CACHE : 0) };
      // READDIRPLUS hands the kernel each file's size: plan the edited ones first, or it would
      // cache their original size (and cut reads of a header that grew, or read past one that shrank).
      const plans = this.unplannedEditsIn(ino);
      return plans.length === 0 ? reply : Promise.all(plans).then(() => reply, () => reply);
    }
    if (kind === "search-root" || kind === "collections-root" || kind === "prefetch-root") return { fh: 0 };
    if (kind === "query") {
      // Run the query once per opendir, so paging through a listing sees one consistent result.
      const listing = this.listingOf(ino, true);
      if (!listing) return -errno.ENOENT;
      const fh = this.nextFh++;
      this.listings.set(fh, { ino, ...listing });
      return { fh };
    }
    return -errno.ENOTDIR;
  }

  private listingOf(ino: number, fresh = false): { names: string[]; attrs: Attr[] } | null {
    const results = this.queries.results(ino, fresh);
    if (!results) return null;
    // READDIRs of one listing come in pages, often to the worker that did not open it: the same
    // results (QueryRunner keeps them a few seconds) must not be linked again for every page.
    const built = this.builtListings.get(ino);
    if (built && built.from === results && built.treeVersion === this.treeVersion) return built;
    const names: string[] = [];
    const attrs: Attr[] = [];
    for (const e of results) {
      const attr = this.resultAttr(e.trackId);
      if (typeof attr === "number") continue; // gone from the tree (trashed, or a rescan removed it)
      names.push(e.name);
      attrs.push(attr);
    }
    const listing = { from: results, treeVersion: this.treeVersion, names, attrs };
    this.builtListings.set(ino, listing);
    if (this.builtListings.size > 64) this.builtListings.delete(this.builtListings.keys().next().value!);
    return listing;
  }

  releasedir(_ino: number, fh: number): number {
    this.listings.delete(fh);
    return 0;
  }

  readdir(ino: number, fh: number, offset: number, out: DirSink): number {
    const kind = kindOf(ino);
    if (kind === "tree") {
      // The opendir may have run in the other worker: this one must not list from a tree older
      // than an mv or rm made since (data_version costs ~1 µs when nothing changed).
      this.refresh(true);
      const node = this.tree.node(ino);
      if (!node || node.kind !== "dir") return -errno.ENOTDIR;
      // One query per folder (kept), not one per child: attributes come with the listing.
      const entries = this.tree.entries(ino);
      let i = offset;
      for (; i < entries.length; i++) {
        const e = entries[i];
        const attr: Attr =
          e.kind === "dir"
            ? this.treeDirAttr(e.ino, e.mtimeMs)
            : { ino: e.ino, mode: S_IFREG | 0o644, size: e.size, nlink: 1, uid: this.opts.uid, gid: this.opts.gid, mtime: e.mtimeMs / 1000 };
        const known = e.kind === "dir" || this.listedSize(attr);
        if (!out.add(e.name, attr, i + 1, !known)) return 0;
      }
      // An album folder (tracks with embedded art) also lists its cover files; their sizes are
      // known once made, so the kernel gets no attributes here and LOOKUPs them.
      if (i < entries.length + COVER_FILES.length && this.albumTracks(ino)) {
        for (let k = i - entries.length; k < COVER_FILES.length; k++) {
          const attr: Attr = { ino: coverIno(ino, k), mode: S_IFREG | 0o444, size: 0, nlink: 1, uid: this.opts.uid, gid: this.opts.gid, mtime: this.mountTime };
          if (!out.add(COVER_FILES[k].name, attr, entries.length + k + 1, true)) break;
        }
      }
      return 0;
    }
    if (kind === "search-root") return 0; // hidden: lists nothing, but any query can be looked up
    if (kind === "prefetch-root") {
      const names = ["status", ...recentlyPlayed(this.db).map((id) => `hint_${String(id).padStart(4, "0")}`)];
      for (let i = offset; i < names.length; i++) {
        const ino = i === 0 ? PREFETCH_STATUS_INO : HINT_INO_BASE + Number(names[i].slice(5));
        if (!out.add(names[i], this.infoAttr(ino, 0), i + 1, true)) break;
      }
      return 0;
    }
    if (kind === "collections-root") {
      const names = [...this.collections.keys()];
      for (let i = offset; i < names.length; i++) {
        const attr = this.collectionAttr(this.collections.get(names[i])!);
        if (typeof attr === "number") continue; // a bad saved query (reported at mount) lists nothing
        if (!out.add(names[i], attr, i + 1)) break;
      }
      return 0;
    }
    // opendir may have run in another worker: then list the (briefly cached) results here.
    const own = this.listings.get(fh);
    const listing = own && own.ino === ino ? own : this.listingOf(ino);
    if (!listing) return -errno.ENOENT;
    for (let i = offset; i < listing.names.length; i++) if (!out.add(listing.names[i], listing.attrs[i], i + 1)) break;
    return 0;
  }

  /** Plans being made for this folder's edited tracks that have none yet (none: no edits here). */
  private unplannedEditsIn(dirIno: number): Promise<unknown>[] {
    if (!this.overlays.any()) return [];
    const out: Promise<unknown>[] = [];
    for (const e of this.tree.entries(dirIno)) {
      if (e.kind !== "file" || !this.overlays.has(e.ino - FILE_INO_BASE)) continue;
      const node = this.tree.node(e.ino);
      if (node?.kind === "file" && this.overlays.ready(node.track) === undefined) out.push(this.planOf(node.track));
    }
    return out;
  }

  /**
   * A listed file's size: an edited track's virtual size once this worker has planned its header.
   * READDIR cannot wait; false means "not known yet": the entry goes out without attributes (the
   * kernel LOOKUPs it, and LOOKUP waits for the plan) and the plan is started. opendir plans a
   * folder's edited tracks first, but READDIR may reach another worker.
   */
  private listedSize(attr: Attr): boolean {
    if (!this.overlays.has(attr.ino - FILE_INO_BASE)) return true;
    const node = this.tree.node(attr.ino);
    if (node?.kind !== "file") return true;
    const ready = this.overlays.ready(node.track);
    if (ready === undefined) {
      this.planOf(node.track).catch(() => {});
      return false;
    }
    if (ready) attr.size = ready.size;
    return true;
  }

  // --- files ------------------------------------------------------------------------------

  open(ino: number, flags: number): OpenReply | number | Promise<OpenReply | number> {
    if ((flags & O_ACCMODE) !== 0 || flags & (O_TRUNC | O_APPEND)) return -errno.EROFS;
    if (kindOf(ino) === "cover") return this.coverBytes(ino).then((b) => (b ? { fh: COVER_FH, flags: FOPEN_KEEP_CACHE } : -errno.ENOENT));
    // Status and hints change all the time: read them through, never from the page cache.
    if (kindOf(ino) === "prefetch-file") return { fh: INFO_FH, flags: FOPEN_DIRECT_IO };
    if (kindOf(ino) !== "tree") return -errno.EINVAL;
    this.refresh();
    const node = this.tree.node(ino);
    if (!node) return -errno.ENOENT;
    if (node.kind !== "file") return -errno.EISDIR;
    const t = node.track;
    const r = this.overlays.has(t.id) ? this.openEdited(t) : this.openTrack(t);
    if (typeof r === "number") return r;
    // The access log (play counts, "Recently Played"): one message to the main thread per open.
    this.callMain?.({ op: "opened", trackId: t.id, at: Date.now() } satisfies OpenedEvent).catch(() => {});
    // Pages read before an edit (or before its removal) show the old header: drop them.
    if (!(r instanceof Promise) && !this.overlays.keepCache(t.id)) r.flags = (r.flags ?? 0) & ~FOPEN_KEEP_CACHE;
    return r;
  }

  /**
   * An edited track: its header is planned before the open succeeds, so reads never wait for it.
   * Synchronous once planned (a Promise reply costs the worker's loop a poll round).
   */
  private openEdited(t: Track): OpenReply | number | Promise<OpenReply | number> {
    const opened = (): OpenReply | number => {
      const r = this.openTrack(t);
      return typeof r === "number" ? r : { fh: OVERLAY_FH_BASE + r.fh, flags: 0 };
    };
    if (this.overlays.ready(t) !== undefined) return opened();
    return this.planOf(t).then(opened, (e) => {
      logError(`open ${t.path}`, e);
      return -errno.EIO;
    });
  }

  private openTrack(t: Track): OpenReply | number {
    const remote = this.callMain !== undefined && this.copiesOf(t) !== null;
    if (!this.loc.direct(t)) return remote ? { fh: REMOTE_FH_BASE + t.id, flags: FOPEN_KEEP_CACHE } : -errno.EIO;
    let fd: number;
    try {
      fd = fs.openSync(t.path, "r");
    } catch (e) {
      // The local copy is gone or unreadable: another origin may have the file.
      if (remote) return { fh: REMOTE_FH_BASE + t.id, flags: FOPEN_KEEP_CACHE };
      logError(`open ${t.path}`, e);
      return -errno.errnoOf(e);
    }
    // Keep the page cache across opens only while the origin file is what the catalog says;
    // a file changed since the scan is read fresh every time.
    const st = fs.fstatSync(fd);
    const unchanged = st.size === t.size && Math.abs(st.mtimeMs - t.mtimeMs) < 1;
    // The file handle is the descriptor itself: FUSE workers are threads of one process and share
    // its descriptor table, and the kernel may send this file's reads to any worker.
    return { fh: fd, flags: unchanged ? FOPEN_KEEP_CACHE : 0 };
  }

  read(ino: number, fh: number, offset: number, size: number, dst: Uint8Array): number | Uint8Array | Promise<Uint8Array | number> {
    // The access log counts reads per track here and hears of them at the next release.
    if (ino >= FILE_INO_BASE && ino < COVER_INO_BASE) this.reads.add(ino - FILE_INO_BASE, size);
    if (fh >= OVERLAY_FH_BASE) {
      if (fh === COVER_FH) return this.coverBytes(ino).then((b) => (b ? b.subarray(Math.min(offset, b.length), Math.min(offset + size, b.length)) : -errno.EIO));
      if (fh === INFO_FH) return this.prefetchFile(ino).then((b) => (b ? b.subarray(Math.min(offset, b.length), Math.min(offset + size, b.length)) : -errno.ENOENT));
      return this.readEdited(ino, fh - OVERLAY_FH_BASE, offset, size, dst);
    }
    return this.readFile(ino, fh, offset, size, dst);
  }

  /** A read of an edited track: header bytes from its plan, the rest from the original file. */
  private readEdited(ino: number, fh: number, offset: number, size: number, dst: Uint8Array): number | Uint8Array | Promise<Uint8Array | number> {
    const node = this.tree.node(ino);
    if (node?.kind !== "file") return -errno.EIO;
    const ready = this.overlays.ready(node.track);
    if (ready === undefined) {
      // Edited again since the open: plan the new version (dst is only valid during this call).
      return this.planOf(node.track).then(
        (p) => this.readPlanned(ino, fh, p, offset, size, null),
        (e) => -errno.errnoOf(e),
      );
    }
    return this.readPlanned(ino, fh, ready, offset, size, dst);
  }

  private readPlanned(ino: number, fh: number, plan: OverlayPlan | null, offset: number, size: number, dst: Uint8Array | null): number | Uint8Array | Promise<Uint8Array | number> {
    if (!plan) return this.readFile(ino, fh, offset, size, dst);
    const s = plannedSegments(plan, offset, size);
    const head = plan.header.subarray(s.headerStart, s.headerEnd);
    if (s.originalLength === 0) return head;
    if (head.length === 0) return this.readFile(ino, fh, s.originalOffset, s.originalLength, dst);
    if (dst && fh < REMOTE_FH_BASE) {
      // Local file: header and original bytes straight into the reply buffer. (Two fresh 1 MiB
      // buffers cost ~7 ms of page faults in a worker: the first read was 30x slower than the rest.)
      dst.set(head, 0);
      try {
        return head.length + fs.readSync(fh, dst, head.length, s.originalLength, s.originalOffset);
      } catch (e) {
        logError("read", e);
        return -errno.errnoOf(e);
      }
    }
    const join = (rest: number | Uint8Array): number | Uint8Array => {
      if (typeof rest === "number") return rest;
      const out = new Uint8Array(head.length + rest.length);
      out.set(head);
      out.set(rest, head.length);
      return out;
    };
    const rest = this.readFile(ino, fh, s.originalOffset, s.originalLength, null);
    return rest instanceof Promise ? rest.then(join) : join(rest);
  }

  /** Bytes of the original file behind handle `fh`; into `dst` when given, else a new buffer. */
  private readFile(ino: number, fh: number, offset: number, size: number, dst: Uint8Array | null): number | Uint8Array | Promise<Uint8Array | number> {
    if (fh >= REMOTE_FH_BASE) return this.readRemote(ino, fh - REMOTE_FH_BASE, offset, size, dst);
    try {
      if (dst) return fs.readSync(fh, dst, 0, size, offset);
      const buf = new Uint8Array(size);
      return buf.subarray(0, fs.readSync(fh, buf, 0, size, offset));
    } catch (e) {
      logError("read", e);
      // A failing local disk: finish the read from another copy when there is one.
      const node = this.tree.node(ino);
      if (node?.kind === "file" && this.callMain && this.copiesOf(node.track)) return this.readRemote(ino, node.track.id, offset, size);
      return -errno.errnoOf(e);
    }
  }

  /**
   * Bytes of a remote track: from the chunk cache in this worker when it holds them (synchronous),
   * else from the main thread's router and cache. The copies are looked up again after a refresh.
   *
   * Blocks read from the cache live in buffers that are reused once evicted from `blocks` (fresh
   * 1 MiB buffers cost page faults and garbage collections: 3x the CPU per block). So a view of
   * one may only reach a caller that copies it at once: the FUSE read paths do (the reply, or the
   * header join of an edited track); ino 0 is readOriginal, which keeps the bytes, and gets a copy;
   * a read over two blocks is assembled into a buffer of its own as each block arrives.
   *
   * Cache hits are reported to the main thread before the reply (one message per read that had
   * any): batching them longer would leave them unreported while the worker sleeps in poll.
   */
  private readRemote(ino: number, trackId: number, offset: number, size: number, dst: Uint8Array | null = null): Promise<Uint8Array | number> | Uint8Array | number {
    const file = this.tree.fileOfTrack(trackId) ?? this.tree.node(ino);
    const copies = file?.kind === "file" ? this.copiesOf(file.track) : null;
    if (!copies || !this.callMain) return -errno.EIO;
    const t = copies[0];
    const end = Math.min(offset + size, t.size);
    if (offset >= end) return new Uint8Array(0);
    const ref = this.loc.trackRef(copies);
    const cacheKey = this.chunks ? trackCacheKey(ref) : "";
    const first = Math.floor(offset / REMOTE_BLOCK);
    const last = Math.floor((end - 1) / REMOTE_BLOCK);
    const failed = (e: unknown): number => {
      logError(`read ${t.path}`, e);
      return -errno.errnoOf(e);
    };
    if (first === last && dst !== null && this.chunks !== null && offset === first * REMOTE_BLOCK && end === Math.min(t.size, offset + REMOTE_BLOCK)) {
      // A whole block (the kernel's requests are 1 MiB-aligned 1 MiB reads): a cache hit is read
      // straight into the reply buffer. No block buffer of our own (a fresh 1 MiB buffer costs
      // 256 page faults, ~5 ms on a VM) and no copy; nothing kept, the next request is the next block.
      const n = this.directHit(t, ref, cacheKey, first, end - offset, dst);
      if (n > 0) return n;
    }
    if (first === last) {
      // The usual case (a kernel read is at most one block): no Promise on a cache hit.
      const cut = (b: Uint8Array) => b.subarray(offset - first * REMOTE_BLOCK, end - first * REMOTE_BLOCK);
      const b = this.remoteBlock(t, ref, cacheKey, first);
      this.hits?.flush();
      // A hit is a view of a reused block buffer: the caller copies it at once (the FUSE reply).
      if (b instanceof Uint8Array) return cut(b);
      return b.then(cut, failed); // a block from the main thread: its own buffer, never reused
    }
    const out = new Uint8Array(end - offset);
    const put = (b: Uint8Array, k: number) => {
      const bs = (first + k) * REMOTE_BLOCK;
      const from = Math.max(offset, bs);
      const to = Math.min(end, bs + b.length);
      if (to > from) out.set(b.subarray(from - bs, to - bs), from - offset);
    };
    const pending: Promise<void>[] = [];
    for (let i = first; i <= last; i++) {
      const b = this.remoteBlock(t, ref, cacheKey, i);
      if (b instanceof Uint8Array) put(b, i - first);
      else pending.push(b.then((x) => put(x, i - first)));
    }
    this.hits?.flush();
    return pending.length === 0 ? out : Promise.all(pending).then(() => out, failed);
  }

  /**
   * One aligned 1 MiB block of a remote track, kept in this worker for the kernel's next requests:
   * it splits a sequential read into 128-256 KiB requests, and each one would otherwise read and
   * verify the whole block again or cost a round trip of messages to the main thread. A block in
   * the chunk cache (same 1 MiB blocks, same keys) is read and verified here; the hop to the main
   * thread per block was what limited cached reads. Only misses go to the main thread.
   */
  private remoteBlock(t: Track, ref: TrackRef, cacheKey: string, idx: number): Uint8Array | Promise<Uint8Array> {
    const key = this.blockKey(t, idx);
    const hit = this.blocks.get(key);
    if (hit) {
      this.blocks.delete(key);
      this.blocks.set(key, hit);
      return hit;
    }
    if (!this.chunks) return this.askMainForBlock(ref, idx, key);
    const spare = this.spareBlocks.pop();
    const stored = this.chunks.readBlock(cacheKey, idx, Math.min(REMOTE_BLOCK, ref.size - idx * REMOTE_BLOCK), spare);
    if (!stored) {
      if (spare) this.spareBlocks.push(spare);
      return this.askMainForBlock(ref, idx, key);
    }
    this.hits!.add(stored.hex, stored.data.length); // sent by readRemote before it returns
    this.keepBlock(key, stored.data);
    this.pullNextBlock(t, ref, cacheKey, idx);
    return stored.data;
  }

  /** Block idx from the main thread (router and cache), kept under key while it comes. */
  private askMainForBlock(ref: TrackRef, idx: number, key: string): Promise<Uint8Array> {
    // Earlier hits go first, so the main thread's LRU order follows the reads.
    this.hits?.flush();
    const req: RemoteReadRequest = { op: "read", ref, offset: idx * REMOTE_BLOCK, size: REMOTE_BLOCK };
    const p = this.callMain!(req).then((v) => v as Uint8Array);
    // Kept as the bytes once they arrive, so that eviction can give the buffer back.
    p.then((v) => this.blocks.get(key) === p && this.blocks.set(key, v), () => this.blocks.delete(key));
    this.keepBlock(key, p);
    return p;
  }

  private keepBlock(key: string, b: Uint8Array | Promise<Uint8Array>): void {
    this.blocks.set(key, b);
    while (this.blocks.size > REMOTE_BLOCKS_KEPT) {
      const oldest = this.blocks.keys().next().value!;
      const v = this.blocks.get(oldest);
      this.blocks.delete(oldest);
      // Nothing holds an evicted block (readRemote copies out of blocks at once), so its buffer is
      // reused: one read from the cache here takes the next cache hit; one from the main thread
      // goes back there for its next answer.
      if (!(v instanceof Uint8Array) || v.byteOffset !== 0) continue;
      if (v.buffer.byteLength === REMOTE_BLOCK + 1) {
        if (this.spareBlocks.length < 2) this.spareBlocks.push(new Uint8Array(v.buffer));
      } else if (v.buffer.byteLength === REMOTE_BLOCK) this.giveBack?.(v.buffer as ArrayBuffer);
    }
  }

  /** remoteBlock's cache hit into the reply buffer `dst`: the byte count, or 0 on a miss (or a block this worker holds). */
  private directHit(t: Track, ref: TrackRef, cacheKey: string, idx: number, size: number, dst: Uint8Array): number {
    if (this.blocks.has(this.blockKey(t, idx))) return 0;
    const hex = this.chunks!.readBlockInto(cacheKey, idx, size, dst);
    if (hex === null) return 0;
    this.hits!.add(hex, size);
    this.pullNextBlock(t, ref, cacheKey, idx);
    this.hits!.flush();
    return size;
  }

  private blockKey(t: Track, idx: number): string {
    return `${t.id}:${t.size}:${t.mtimeMs}:${idx}`;
  }

  /**
   * After a cache hit on block idx: when the next block is the edge of what the cache holds (in a
   * first read: as far as the main thread's read-ahead has got), ask for it now. The main thread
   * sees the reader advance and reads on ahead, which it would not if the hits served here went unseen.
   */
  private pullNextBlock(t: Track, ref: TrackRef, cacheKey: string, idx: number): void {
    const next = idx + 1;
    const k = this.blockKey(t, next);
    if (next * REMOTE_BLOCK < ref.size && !this.blocks.has(k) && this.chunks!.lookupBlock(cacheKey, next) === undefined) this.askMainForBlock(ref, next, k);
  }

  release(_ino: number, fh: number): number {
    const reads = this.reads.take();
    if (reads) this.callMain?.(reads).catch(() => {});
    if (fh >= OVERLAY_FH_BASE) fh -= OVERLAY_FH_BASE;
    if (fh >= REMOTE_FH_BASE) return 0;
    try {
      fs.closeSync(fh);
    } catch {
      /* already closed: nothing to release */
    }
    return 0;
  }

  // --- /.prefetch: status and learned hints ---------------------------------------------------

  private infoAttr(ino: number, size: number): Attr {
    return { ino, mode: S_IFREG | 0o444, size, nlink: 1, uid: this.opts.uid, gid: this.opts.gid, mtime: Date.now() / 1000 };
  }

  /**
   * /.prefetch/status (the main thread's prefetch engine) or /.prefetch/hint_<id> (the tracks
   * most often played after that one, one id a line); null for a track that is not in the catalog.
   */
  private async prefetchFile(ino: number): Promise<Uint8Array | null> {
    if (ino === PREFETCH_STATUS_INO) {
      const text = this.callMain ? String(await this.callMain({ op: "prefetch-status" })) : "MusicFS Prefetch Status\nengine: disabled\n";
      return new TextEncoder().encode(text);
    }
    const id = ino - HINT_INO_BASE;
    if (!this.db.query("SELECT 1 FROM tracks WHERE id = ?").get(id)) return null;
    return new TextEncoder().encode(predictNext(this.db, id, 5).map((p) => `${p.id}\n`).join(""));
  }

  // --- album covers (cover.jpg, cover-150.jpg, cover-300.jpg) ----------------------------------

  /**
   * The tracks of folder `dirIno` that carry embedded art, in listing (play) order, as the main
   * thread needs them to read their headers; null when there are none (no cover files then).
   */
  private albumTracks(dirIno: number): CoverTrack[] | null {
    if (!this.callMain || this.tree.inTrash(dirIno)) return null;
    const out: CoverTrack[] = [];
    for (const e of this.tree.entries(dirIno)) {
      if (e.kind !== "file" || !e.hasCover) continue;
      const node = this.tree.node(e.ino);
      if (node?.kind !== "file") continue;
      const t = node.track;
      const copies = this.copiesOf(t);
      const base = { id: t.id, size: t.size, mtimeMs: t.mtimeMs, format: t.format, hasCover: true };
      if (copies) out.push({ ...base, ref: this.loc.trackRef(copies) });
      else if (this.loc.direct(t)) out.push({ ...base, path: t.path });
    }
    return out.length > 0 ? out : null;
  }

  /** A cover file's bytes (null: the album has no usable picture), made once by the main thread. */
  private coverBytes(ino: number): Promise<Uint8Array | null> {
    const cached = this.covers.get(ino);
    if (cached && cached.version === this.treeVersion) return cached.bytes;
    const dirIno = Math.floor((ino - COVER_INO_BASE) / 4);
    const file = (ino - COVER_INO_BASE) % 4;
    const tracks = file < COVER_FILES.length ? this.albumTracks(dirIno) : null;
    const bytes = tracks ? this.callMain!({ op: "cover", tracks, file } satisfies CoverRequest).then((v) => v as Uint8Array | null) : Promise.resolve(null);
    bytes.catch(() => this.covers.delete(ino));
    this.covers.set(ino, { version: this.treeVersion, bytes });
    while (this.covers.size > COVERS_KEPT) this.covers.delete(this.covers.keys().next().value!);
    return bytes;
  }

  private coverAttr(ino: number): Promise<Attr | number> {
    return this.coverBytes(ino).then(
      (b): Attr | number => (b ? { ino, mode: S_IFREG | 0o444, size: b.length, nlink: 1, uid: this.opts.uid, gid: this.opts.gid, mtime: this.mountTime } : -errno.ENOENT),
      (e) => {
        logError("cover", e);
        return -errno.EIO;
      },
    );
  }

  // --- namespace edits (mkdir, mv, rm, rmdir) -------------------------------------------------

  /** One edit: errors become -errno; afterwards this worker reads the edited tree at once. */
  private edit<R>(fn: () => R): R | number {
    try {
      const r = fn();
      this.tree = this.buildTree(); // cheap: the stored tree is already fresh
      return r;
    } catch (e) {
      if (e instanceof NamespaceError) return -e.errno;
      logError("namespace edit", e);
      return -errno.EIO;
    }
  }

  mkdir(parent: number, name: string): Attr | number {
    if (kindOf(parent) !== "tree") return -errno.EROFS; // /.search, /.collections
    const r = this.edit(() => this.ns.mkdir(parent, name));
    return typeof r === "number" ? r : this.treeDirAttr(r.ino, r.mtimeMs);
  }

  rename(parent: number, name: string, newParent: number, newName: string, flags: number): number {
    if (kindOf(parent) !== "tree" || kindOf(newParent) !== "tree") return -errno.EROFS;
    if (flags & ~RENAME_NOREPLACE) return -errno.EINVAL; // RENAME_EXCHANGE, RENAME_WHITEOUT
    const r = this.edit(() => this.ns.rename({ parent, name }, { parent: newParent, name: newName }, { noReplace: (flags & RENAME_NOREPLACE) !== 0 }));
    return typeof r === "number" ? r : 0;
  }

  /** rm: the track moves to /.trash/<its path> (`musicfs trash restore` brings it back). */
  unlink(parent: number, name: string): number {
    if (kindOf(parent) !== "tree") return -errno.EROFS;
    const r = this.edit(() => this.ns.unlink({ parent, name }));
    return typeof r === "number" ? r : 0;
  }

  rmdir(parent: number, name: string): number {
    if (kindOf(parent) !== "tree") return -errno.EROFS;
    const r = this.edit(() => this.ns.rmdir({ parent, name }));
    return typeof r === "number" ? r : 0;
  }

  /** A read-only file system as big as the library: no free space, one inode per node. */
  statfs(): StatFs {
    const bytes = (this.db.query("SELECT COALESCE(SUM(size), 0) AS s FROM tracks").get() as { s: number }).s;
    return { blocks: Math.ceil(bytes / 4096), bfree: 0, bavail: 0, files: this.tree.size, ffree: 0, bsize: 4096, frsize: 4096, namelen: 255 };
  }

  access(ino: number, mask: number, _ctx: RequestContext): number {
    const W_OK = 2;
    // Writable means "can be renamed or removed" (namespace edits) in the tree; file contents never change.
    if (mask & W_OK && kindOf(ino) !== "tree") return -errno.EROFS;
    const attr = this.getattr(ino);
    return typeof attr === "number" ? attr : 0;
  }

  destroy(): void {
    this.db.close();
  }
}


function logError(what: string, e: unknown): void {
  // Workers log with writeSync: console output from workers can be lost.
  try {
    fs.writeSync(2, `musicfs mount: ${what}: ${(e as Error)?.message ?? String(e)}\n`);
  } catch {
    /* stderr closed: nothing to do */
  }
}

/** The factory the FUSE workers call (one file system per worker). */
export function createFileSystem(options: unknown, info?: WorkerInfo): MusicFs {
  const o = options as MusicFsOptions;
  return new MusicFs(openCatalog(o.db), o, info?.worker ?? 0, info?.callMain, info?.giveBack);
}
