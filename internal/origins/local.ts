// Local directory origin, confined to its root: every path is split and checked (no "..", no NUL,
// a leading "/" is the origin root), then resolved with realpath and required to stay under the
// root's realpath, so a symlink inside the library pointing at /etc is refused like "../../etc".
// A race where a directory is swapped for a symlink between realpath and open is out of scope:
// the threat is hostile names from tags and clients, not a local attacker writing the library.
import * as nodePath from "node:path";
import { type FsLayer, nodeFsLayer } from "./fs-layer.ts";
import { joinOriginPath, splitOriginPath } from "./paths.ts";
import { rangeStream } from "./walk.ts";
import { inotifyWatch } from "./watch.ts";
import {
  type DirEntry, type FileStat, type HealthReport, type Origin, type OriginChange, OriginError, type OriginType,
  type OriginWatcher, toOriginError, type WatchOptions, withTimeout,
} from "./types.ts";

export interface LocalOriginOptions {
  id: string;
  root: string;
  type?: OriginType;
  displayName?: string;
  fs?: FsLayer;
  /** Health probe deadline. */
  healthTimeoutMs?: number;
  /** Health probe override (NFS/SMB run it in a child process so a hung mount cannot block us). */
  probe?: (root: string, timeoutMs: number) => Promise<void>;
}

export class LocalOrigin implements Origin {
  readonly id: string;
  readonly type: OriginType;
  readonly displayName: string;
  readonly root: string;
  protected readonly fs: FsLayer;
  private rootReal: string | null = null;
  private readonly healthTimeoutMs: number;
  private readonly probe?: (root: string, timeoutMs: number) => Promise<void>;

  constructor(o: LocalOriginOptions) {
    if (!nodePath.isAbsolute(o.root)) throw new OriginError("EINVAL", `origin ${o.id}: path must be absolute: ${o.root}`, o.id);
    this.id = o.id;
    this.type = o.type ?? "local";
    this.root = nodePath.resolve(o.root);
    this.displayName = o.displayName ?? `${this.type}:${this.root}`;
    this.fs = o.fs ?? nodeFsLayer;
    this.healthTimeoutMs = o.healthTimeoutMs ?? 5000;
    this.probe = o.probe;
  }

  private async realRoot(): Promise<string> {
    // Not cached on failure: the root may appear later (a share mounted after start).
    if (this.rootReal === null) this.rootReal = await this.fs.realpath(this.root);
    return this.rootReal;
  }

  /** Host path for an origin path, after confinement checks. Exported for the mount's passthrough. */
  async resolve(path: string): Promise<string> {
    const parts = splitOriginPath(path, this.id);
    let root: string;
    try {
      root = await this.realRoot();
    } catch (e) {
      throw toOriginError(e, this.id, `root ${this.root}`);
    }
    if (parts.length === 0) return root;
    let real: string;
    try {
      real = await this.fs.realpath(nodePath.join(root, ...parts));
    } catch (e) {
      throw toOriginError(e, this.id, path);
    }
    if (real !== root && !real.startsWith(root.endsWith("/") ? root : root + "/")) {
      throw new OriginError("EPATH", `path resolves outside the origin root: ${JSON.stringify(path)}`, this.id);
    }
    return real;
  }

  async stat(path: string): Promise<FileStat> {
    const real = await this.resolve(path);
    try {
      const st = await this.fs.stat(real);
      return { size: st.size, mtimeMs: st.mtimeMs, isDir: st.isDirectory() };
    } catch (e) {
      throw toOriginError(e, this.id, path);
    }
  }

  async list(dir: string): Promise<DirEntry[]> {
    const real = await this.resolve(dir);
    const base = "/" + splitOriginPath(dir, this.id).join("/");
    let names;
    try {
      names = await this.fs.readdir(real);
    } catch (e) {
      throw toOriginError(e, this.id, dir);
    }
    const wanted = names.filter((d) => d.isFile() || d.isDirectory() || d.isSymbolicLink());
    const out: DirEntry[] = [];
    // Batches of stats in flight: a big directory on a network share is latency-bound.
    for (let i = 0; i < wanted.length; i += 64) {
      const batch = await Promise.all(wanted.slice(i, i + 64).map(async (d) => {
        try {
          // stat through resolve(): a symlink leaving the root is skipped, not followed.
          return { name: d.name, ...(await this.stat(joinOriginPath(base, d.name))) };
        } catch {
          return null; // vanished, unreadable or escaping entries are left out of the listing
        }
      }));
      for (const e of batch) if (e) out.push(e);
    }
    return out;
  }

  async read(path: string, offset: number, length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new OriginError("EINVAL", `bad range ${offset}+${length}`, this.id);
    }
    const real = await this.resolve(path);
    if (length === 0) return new Uint8Array(0);
    try {
      return await this.fs.readRange(real, offset, length);
    } catch (e) {
      throw toOriginError(e, this.id, path);
    }
  }

  /** [offset, end) as a stream of 1 MiB ranged reads (same confinement and deadlines as read()). */
  openStream(path: string, offset = 0, end?: number): ReadableStream<Uint8Array> {
    return rangeStream(this, path, offset, end);
  }

  /**
   * inotify for a local disk (FR-10.2), null for NFS and SMB shares: inotify does not see what
   * other clients write there, so they are polled (watchOrigin).
   */
  watch(dir: string, onChanges: (changes: OriginChange[]) => void, opts: WatchOptions = {}): OriginWatcher | null {
    if (this.type !== "local") return null;
    const hostDir = nodePath.join(this.root, ...splitOriginPath(dir, this.id));
    try {
      return inotifyWatch(this.root, hostDir, (p) => this.stat(p), onChanges, opts);
    } catch (e) {
      // No inotify for it (the folder is missing, or fs.inotify.max_user_watches is reached): poll.
      opts.onError?.(new OriginError("EIO", `inotify unavailable, polling instead: ${(e as Error).message}`, this.id));
      return null;
    }
  }

  async health(): Promise<HealthReport> {
    const t0 = performance.now();
    try {
      if (this.probe) await this.probe(this.root, this.healthTimeoutMs);
      else {
        const st = await withTimeout(this.fs.stat(this.root), this.healthTimeoutMs, `stat ${this.root}`, this.id);
        if (!st.isDirectory()) throw new OriginError("ENOTDIR", `root is not a directory: ${this.root}`, this.id);
      }
      return { status: "healthy", latencyMs: performance.now() - t0 };
    } catch (e) {
      return { status: "unhealthy", latencyMs: performance.now() - t0, error: toOriginError(e, this.id, "health").message };
    }
  }

  async close(): Promise<void> {}
}
