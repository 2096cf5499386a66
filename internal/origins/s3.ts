// S3 origin on Bun's built-in S3Client (SigV4, ranged GET, ListObjectsV2; path-style addressing
// for MinIO/s3rver/Ceph endpoints). A prefix maps the origin root into the bucket. Reads are
// ranged GETs clamped at EOF; a range starting at or past the end is answered empty, not 416.
// Bun's own retries are off: the router decides where to retry (maybe on another origin).
import { S3Client } from "bun";
import type { Credentials } from "../config/credentials.ts";
import { scrub, type Secret } from "../config/secret.ts";
import { splitOriginPath } from "./paths.ts";
import { type DirEntry, type FileStat, type HealthReport, type Origin, OriginError, withTimeout } from "./types.ts";

export interface S3OriginOptions {
  id: string;
  bucket: string;
  region?: string;
  endpoint?: string;
  /** Key prefix that is the origin root ("" or "music/"). */
  prefix?: string;
  pathStyle?: boolean;
  timeoutMs?: number;
  /** Keys per ListObjectsV2 page (S3 caps it at 1000). */
  pageSize?: number;
  /** Without credentials, Bun reads S3_* / AWS_* from the environment. */
  credentials?: Credentials;
}

const NOT_FOUND = new Set(["NoSuchKey", "NotFound", "NoSuchFile"]);
const DENIED = new Set(["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"]);

export class S3Origin implements Origin {
  readonly id: string;
  readonly type = "s3" as const;
  readonly displayName: string;
  // Private field: inspecting the origin never reaches the client (which holds the key).
  readonly #client: S3Client;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly pageSize: number;
  readonly #secrets: Array<Secret | undefined>;

  constructor(o: S3OriginOptions) {
    this.id = o.id;
    let prefix = (o.prefix ?? "").replace(/^\/+/, "");
    if (prefix && !prefix.endsWith("/")) prefix += "/";
    this.prefix = prefix;
    this.timeoutMs = o.timeoutMs ?? 30000;
    this.pageSize = Math.min(1000, Math.max(1, o.pageSize ?? 1000));
    this.displayName = `s3://${o.bucket}/${prefix}${o.endpoint ? ` (${o.endpoint})` : ""}`;
    const c = o.credentials;
    this.#secrets = [c?.secretAccessKey, c?.sessionToken];
    this.#client = s3Client(o);
  }

  toJSON(): object {
    return { id: this.id, type: this.type, displayName: this.displayName };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `S3Origin(${this.displayName})`;
  }

  private key(path: string): string {
    return this.prefix + splitOriginPath(path, this.id).join("/");
  }

  private err(e: unknown, what: string): OriginError {
    if (e instanceof OriginError) return e;
    const code = String((e as { code?: unknown })?.code ?? "");
    const msg = scrub(`${what}: ${code ? `${code}: ` : ""}${e instanceof Error ? e.message : String(e)}`, this.#secrets);
    if (NOT_FOUND.has(code)) return new OriginError("ENOENT", msg, this.id);
    if (DENIED.has(code)) return new OriginError("EACCES", msg, this.id);
    if (code === "ConnectionRefused" || code === "ECONNREFUSED") return new OriginError("ECONNREFUSED", msg, this.id);
    if (code === "InvalidRange") return new OriginError("EINVAL", msg, this.id);
    return new OriginError("EIO", msg, this.id);
  }

  private call<T>(what: string, p: () => Promise<T>): Promise<T> {
    return withTimeout(Promise.resolve().then(p), this.timeoutMs, what, this.id).catch((e) => {
      throw this.err(e, what);
    });
  }

  async stat(path: string): Promise<FileStat> {
    const key = this.key(path);
    if (key === this.prefix) return { size: 0, mtimeMs: 0, isDir: true };
    try {
      const st = await this.call(`stat ${path}`, () => this.#client.stat(key));
      return { size: st.size, mtimeMs: st.lastModified.getTime(), isDir: false };
    } catch (e) {
      if (!(e instanceof OriginError) || e.code !== "ENOENT") throw e;
      // No object: a "directory" if any key lives under it.
      const l = await this.call(`stat ${path}`, () => this.#client.list({ prefix: key + "/", maxKeys: 1 }));
      if ((l.contents?.length ?? 0) > 0 || (l.commonPrefixes?.length ?? 0) > 0) return { size: 0, mtimeMs: 0, isDir: true };
      throw e;
    }
  }

  async list(dir: string): Promise<DirEntry[]> {
    const base = this.key(dir);
    const prefix = base === this.prefix || base.endsWith("/") ? base : base + "/";
    // By name: some servers (s3rver) repeat common prefixes on every page.
    const out = new Map<string, DirEntry>();
    let token: string | undefined;
    do {
      const page = await this.call(`list ${dir}`, () => this.#client.list({ prefix, delimiter: "/", continuationToken: token, maxKeys: this.pageSize }));
      for (const o of page.contents ?? []) {
        const name = o.key.slice(prefix.length);
        // Keys with odd names ("a//b", "./x") cannot be addressed as paths; skip them.
        if (!name || name.includes("/") || name === "." || name === "..") continue;
        out.set(name, { name, size: o.size ?? 0, mtimeMs: o.lastModified ? new Date(o.lastModified).getTime() : 0, isDir: false });
      }
      for (const p of page.commonPrefixes ?? []) {
        const name = p.prefix.slice(prefix.length).replace(/\/$/, "");
        if (!name || name.includes("/") || name === "." || name === "..") continue;
        if (!out.has(name)) out.set(name, { name, size: 0, mtimeMs: 0, isDir: true });
      }
      token = page.isTruncated ? page.nextContinuationToken : undefined;
    } while (token);
    return [...out.values()];
  }

  /**
   * Every object under `dir`, from a flat listing (1 request per 1000 keys, not one per folder).
   * Also immune to servers that omit deeper common prefixes in delimiter listings (s3rver does).
   */
  async *listRecursive(dir: string): AsyncGenerator<DirEntry & { path: string }> {
    const base = this.key(dir);
    const prefix = base === this.prefix || base.endsWith("/") ? base : base + "/";
    const root = dir === "/" ? "" : "/" + splitOriginPath(dir, this.id).join("/");
    let token: string | undefined;
    do {
      const page = await this.call(`list ${dir}`, () => this.#client.list({ prefix, continuationToken: token, maxKeys: this.pageSize }));
      for (const o of page.contents ?? []) {
        const rel = o.key.slice(prefix.length);
        const parts = rel.split("/");
        // Keys that cannot be addressed as paths ("a//b", "./x", a folder marker "x/") are skipped.
        if (!rel || parts.some((x) => x === "" || x === "." || x === "..")) continue;
        yield { name: parts[parts.length - 1], path: `${root}/${rel}`, size: o.size ?? 0, mtimeMs: o.lastModified ? new Date(o.lastModified).getTime() : 0, isDir: false };
      }
      token = page.isTruncated ? page.nextContinuationToken : undefined;
    } while (token);
  }

  async read(path: string, offset: number, length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new OriginError("EINVAL", `bad range ${offset}+${length}`, this.id);
    }
    const key = this.key(path);
    if (length === 0) return new Uint8Array(0);
    try {
      // Range end past EOF is fine in HTTP: the server answers up to the end.
      return await this.call(`read ${path}`, () => this.#client.file(key).slice(offset, offset + length).bytes());
    } catch (e) {
      if (e instanceof OriginError && e.code === "EINVAL") {
        // 416: the range starts at or past the end. Still ENOENT if the object is gone.
        await this.stat(path);
        return new Uint8Array(0);
      }
      throw e;
    }
  }

  /**
   * [offset, end) as one ranged GET (the whole rest of the object without `end`). Errors arrive as
   * OriginErrors. No deadline here, since a long stream has no single one: a caller that must not
   * hang on a stalled body bounds each read itself.
   */
  openStream(path: string, offset = 0, end?: number): ReadableStream<Uint8Array> {
    if (!Number.isSafeInteger(offset) || offset < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < offset))) {
      throw new OriginError("EINVAL", `bad range ${offset}-${end}`, this.id);
    }
    const file = this.#client.file(this.key(path));
    let reader: { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(why?: unknown): Promise<void> } | undefined;
    return new ReadableStream<Uint8Array>({
      pull: async (ctrl) => {
        if (end === offset) return ctrl.close();
        try {
          reader ??= (end === undefined ? file.slice(offset) : file.slice(offset, end)).stream().getReader();
          const r = await reader!.read();
          if (r.done) ctrl.close();
          else ctrl.enqueue(r.value!);
        } catch (e) {
          const err = this.err(e, `read ${path}`);
          // 416: the range starts at or past the end, which read() answers with no bytes.
          if (err.code === "EINVAL") ctrl.close();
          else ctrl.error(err);
        }
      },
      cancel: async (why) => {
        await reader?.cancel(why).catch(() => {});
      },
    });
  }

  /** HeadBucket-like probe: a one-key listing checks the endpoint, the bucket and the credentials. */
  async health(): Promise<HealthReport> {
    const t0 = performance.now();
    try {
      await this.call("health", () => this.#client.list({ prefix: this.prefix || undefined, maxKeys: 1 }));
      return { status: "healthy", latencyMs: performance.now() - t0 };
    } catch (e) {
      return { status: "unhealthy", latencyMs: performance.now() - t0, error: this.err(e, "health").message };
    }
  }

  async close(): Promise<void> {}
}

/** Bun's S3 client for a bucket (path-style for custom endpoints; Bun's own retries off). */
export function s3Client(o: { bucket: string; region?: string; endpoint?: string; pathStyle?: boolean; credentials?: Credentials }): S3Client {
  const c = o.credentials;
  return new S3Client({
    bucket: o.bucket, region: o.region ?? c?.region ?? "us-east-1", endpoint: o.endpoint,
    virtualHostedStyle: !(o.pathStyle ?? o.endpoint !== undefined),
    accessKeyId: c?.accessKeyId, secretAccessKey: c?.secretAccessKey?.reveal(), sessionToken: c?.sessionToken?.reveal(),
    retry: 0,
  });
}
