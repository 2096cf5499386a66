// The one Origin interface every backend implements, and the small value types around it.
// Paths are origin-relative, written with a leading "/" ("/Artist/Album/01.flac"); "/" is the root.

export type OriginType = "local" | "nfs" | "smb" | "s3" | "sftp";
export type HealthStatus = "healthy" | "degraded" | "unhealthy";

export interface FileStat {
  size: number;
  mtimeMs: number;
  isDir: boolean;
}

export interface DirEntry extends FileStat {
  name: string;
}

export interface HealthReport {
  status: HealthStatus;
  latencyMs: number;
  /** Human-readable reason; never contains credentials. */
  error?: string;
}

export interface Origin {
  readonly id: string;
  readonly type: OriginType;
  /** Shown in logs and the API; never contains credentials. */
  readonly displayName: string;
  stat(path: string): Promise<FileStat>;
  /** Direct children of a directory. */
  list(dir: string): Promise<DirEntry[]>;
  /**
   * Up to `length` bytes from `offset`. Shorter only at end of file; empty at or past EOF
   * (never an error for a range past the end, so callers need not know the size first).
   */
  read(path: string, offset: number, length: number): Promise<Uint8Array>;
  /** Optional streaming read of [offset, end); backends without a native stream use ranged reads. */
  openStream?(path: string, offset?: number, end?: number): ReadableStream<Uint8Array>;
  health(): Promise<HealthReport>;
  /**
   * Push notification of changes to files under `dir` (a local disk: inotify). Absent, or null,
   * when the origin has none: watchOrigin() (watch.ts) then polls its listing.
   */
  watch?(dir: string, onChanges: (changes: OriginChange[]) => void, opts?: WatchOptions): OriginWatcher | null;
  close(): Promise<void>;
}

export type ChangeKind = "created" | "modified" | "deleted";

export interface OriginChange {
  kind: ChangeKind;
  /** Origin path with a leading "/". A deleted folder is one change with the folder's path. */
  path: string;
}

export interface OriginWatcher {
  close(): void;
}

export interface WatchOptions {
  /** Push watchers: changes are reported this long after the last event (coalesced). Default 200 ms. */
  debounceMs?: number;
  /** Polling watchers: time between two listings. Default 300 000 ms (5 min). */
  intervalMs?: number;
  /** A failed listing or watch (the origin is down); the watcher goes on. */
  onError?: (e: unknown) => void;
}


/** Error codes the router and the mount understand; `errno` maps them to FUSE replies. */
export type OriginErrorCode =
  | "ENOENT" | "EACCES" | "ENOTDIR" | "EISDIR" | "EINVAL" | "ETIMEDOUT" | "EIO"
  | "ESTALE" | "ENOTCONN" | "ECONNREFUSED" | "EHOSTKEY" | "EPATH" | "EINTR"
  /** The copy's length differs from the catalog's: a changed file, not a failing origin. */
  | "ESIZE";

export class OriginError extends Error {
  constructor(
    readonly code: OriginErrorCode,
    message: string,
    readonly originId?: string,
  ) {
    super(message);
    this.name = "OriginError";
  }

  /**
   * A failure of the file itself (missing, a directory, a hostile path) rather than of the
   * origin: it must not count against the origin's health, and it is not worth retrying there.
   */
  get isPermanent(): boolean {
    return this.code === "ENOENT" || this.code === "ENOTDIR" || this.code === "EISDIR" || this.code === "EINVAL" || this.code === "EPATH" || this.code === "EACCES" || this.code === "ESIZE";
  }
}

/**
 * A standard errno name for a FUSE reply: EPATH (a hostile path) reads as EACCES, a refused host
 * key as EIO; everything else already is an errno name.
 */
export function errnoName(e: unknown): string {
  if (!(e instanceof OriginError)) return "EIO";
  if (e.code === "EPATH") return "EACCES";
  if (e.code === "EHOSTKEY" || e.code === "ESIZE") return "EIO";
  return e.code;
}

const PERMANENT_NODE = new Set(["ENOENT", "ENOTDIR", "EISDIR", "EACCES", "EPERM", "ELOOP", "ENAMETOOLONG"]);

/** Wraps any thrown value as an OriginError, keeping a Node errno code when there is one. */
export function toOriginError(e: unknown, originId: string, what: string): OriginError {
  if (e instanceof OriginError) return e;
  const code = (e as { code?: unknown })?.code;
  const msg = e instanceof Error ? e.message : String(e);
  if (typeof code === "string") {
    if (code === "EPERM" || code === "ELOOP" || code === "ENAMETOOLONG") return new OriginError("EACCES", `${what}: ${msg}`, originId);
    if (PERMANENT_NODE.has(code) || ["ESTALE", "ENOTCONN", "ETIMEDOUT", "ECONNREFUSED", "EINVAL"].includes(code)) {
      return new OriginError(code as OriginErrorCode, `${what}: ${msg}`, originId);
    }
  }
  return new OriginError("EIO", `${what}: ${msg}`, originId);
}

/** Runs `p` with a deadline; the timer never keeps the process alive. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string, originId?: string): Promise<T> {
  if (!(ms > 0) || !Number.isFinite(ms)) return p;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OriginError("ETIMEDOUT", `${what}: timed out after ${ms} ms`, originId)), ms);
    (timer as { unref?: () => void }).unref?.();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
