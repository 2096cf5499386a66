// MusicFS TOML config: origins, cache, health and failover, parsed with Bun.TOML, filled with
// defaults and validated. Every error names the key ("origins[1].priority: …"). Sections owned by
// other modules (logging, features, prefetch, …) are passed through untouched in `raw`.
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { type CredentialSource, checkPrivateFile, expandHome, type Warn } from "./credentials.ts";
import { ConfigError } from "./errors.ts";
import { Secret } from "./secret.ts";

export { ConfigError } from "./errors.ts";
export { Secret, REDACTED, scrub } from "./secret.ts";
export { resolveCredentials, checkPrivateFile, type Credentials, type CredentialSource } from "./credentials.ts";

export const ORIGIN_TYPES = ["local", "nfs", "smb", "s3", "sftp"] as const;
export type OriginTypeName = (typeof ORIGIN_TYPES)[number];

interface OriginBase {
  id: string;
  priority: number;
  enabled: boolean;
}
export interface LocalOriginConfig extends OriginBase { type: "local"; path: string }
export interface SharedOriginConfig extends OriginBase { type: "nfs" | "smb"; path: string; remote?: string }
export interface S3OriginConfig extends OriginBase {
  type: "s3";
  bucket: string;
  region: string;
  endpoint?: string;
  prefix: string;
  pathStyle: boolean;
  timeoutMs: number;
  credentials?: CredentialSource;
}
export interface SftpOriginConfig extends OriginBase {
  type: "sftp";
  host: string;
  port: number;
  user?: string;
  /** Remote directory that is the origin root. */
  path: string;
  knownHosts: string;
  /** Pinned host key fingerprint "SHA256:…" (as ssh-keygen -lf prints it); checked instead of known_hosts. */
  hostKeySha256?: string;
  /** Accept a host key not in known_hosts. Off by default: an unknown key is refused. */
  acceptUnknownHostKey: boolean;
  poolSize: number;
  timeoutMs: number;
  credentials?: CredentialSource;
}
export type OriginConfig = LocalOriginConfig | SharedOriginConfig | S3OriginConfig | SftpOriginConfig;

/** Where in S3 something lives: an S3 origin, or the shared chunk store ([cache.shared]). */
export type S3Location = Omit<S3OriginConfig, keyof OriginBase | "type">;

export interface CacheConfig {
  /** Chunk cache cap in bytes (from content_cache_gb). */
  maxBytes: number;
  metadataCacheMb: number;
  /** Bytes read ahead for sequential readers. */
  readaheadBytes: number;
  /** Cache blocks of local origins too (off: local files are read directly). */
  cacheLocal: boolean;
  /** A chunk store on S3 shared by several mount hosts, behind each host's own ([cache.shared]). */
  shared?: S3Location;
}

export interface HealthConfig {
  checkIntervalMs: number;
  timeoutMs: number;
  unhealthyThreshold: number;
  perOriginThresholds: Record<OriginTypeName, number>;
}

export interface FailoverConfig {
  /** Retries on the same origin when no other can serve (exponential backoff with jitter). */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A read not answered by then is also sent to the next origin; the first answer wins. */
  hedgeAfterMs: number;
  /** Hard deadline of one origin request. */
  requestTimeoutMs: number;
}

export interface WatchConfig {
  enabled: boolean;
  /** Time between two listings of an origin without push notification (S3, SFTP, NFS, SMB). */
  pollIntervalMs: number;
  /** inotify events are coalesced until this long passes without one. */
  debounceMs: number;
}

export interface MusicFsConfig {
  file?: string;
  mountPoint?: string;
  cacheDir: string;
  origins: OriginConfig[];
  cache: CacheConfig;
  health: HealthConfig;
  failover: FailoverConfig;
  /** Change detection while mounted ([watch]): inotify on local origins, polling elsewhere, then a rescan. */
  watch: WatchConfig;
  /** Where events are POSTed ([[webhooks]] url, secret or secret_env, events, retry_count, timeout_ms). */
  webhooks: { url: string; secret?: Secret; events: string[]; retryCount: number; timeoutMs: number }[];
  /** Saved queries shown by `mount` under /.collections/ ([[collections]] name, query, sort). */
  collections: { name: string; query: string; sort?: "relevance" | "artist" | "album" | "year" | "title" | "added" | "path" }[];
  raw: Record<string, unknown>;
  warnings: string[];
}

export const DEFAULT_THRESHOLDS: Readonly<Record<OriginTypeName, number>> = Object.freeze({ local: 1, nfs: 3, smb: 3, s3: 3, sftp: 3 });

type Table = Record<string, unknown>;

class Reader {
  constructor(readonly file: string | undefined) {}

  table(v: unknown, key: string): Table {
    if (v === undefined) return {};
    if (!v || typeof v !== "object" || Array.isArray(v)) throw new ConfigError(key, "must be a table", this.file);
    return v as Table;
  }

  noUnknown(t: Table, key: string, known: readonly string[]): void {
    for (const k of Object.keys(t)) {
      if (!known.includes(k)) throw new ConfigError(key ? `${key}.${k}` : k, `unknown key (known: ${known.join(", ")})`, this.file);
    }
  }

  str(t: Table, k: string, key: string, def?: string): string {
    const v = t[k];
    if (v === undefined) {
      if (def !== undefined) return def;
      throw new ConfigError(`${key}.${k}`, "is required", this.file);
    }
    if (typeof v !== "string" || v.length === 0) throw new ConfigError(`${key}.${k}`, "must be a non-empty string", this.file);
    if (v.includes("\0")) throw new ConfigError(`${key}.${k}`, "must not contain NUL", this.file);
    return v;
  }

  optStr(t: Table, k: string, key: string): string | undefined {
    return t[k] === undefined ? undefined : this.str(t, k, key);
  }

  num(t: Table, k: string, key: string, def: number | undefined, min: number, max: number, integer = true): number {
    const v = t[k];
    if (v === undefined) {
      if (def !== undefined) return def;
      throw new ConfigError(`${key}.${k}`, "is required", this.file);
    }
    const n = typeof v === "bigint" ? Number(v) : v;
    if (typeof n !== "number" || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
      throw new ConfigError(`${key}.${k}`, `must be ${integer ? "an integer" : "a number"} from ${min} to ${max} (got ${JSON.stringify(String(v))})`, this.file);
    }
    return n;
  }

  bool(t: Table, k: string, key: string, def: boolean): boolean {
    const v = t[k];
    if (v === undefined) return def;
    if (typeof v !== "boolean") throw new ConfigError(`${key}.${k}`, "must be true or false", this.file);
    return v;
  }

  absPath(t: Table, k: string, key: string, def?: string): string {
    const p = expandHome(this.str(t, k, key, def));
    if (!nodePath.isAbsolute(p)) throw new ConfigError(`${key}.${k}`, `must be an absolute path (got ${JSON.stringify(p)})`, this.file);
    return p;
  }
}

function parseCredentials(r: Reader, v: unknown, key: string): CredentialSource | undefined {
  if (v === undefined) return undefined;
  const t = r.table(v, key);
  const src = r.str(t, "source", key);
  if (src === "env") {
    r.noUnknown(t, key, ["source", "prefix"]);
    const prefix = r.str(t, "prefix", key);
    if (!/^[A-Z_][A-Z0-9_]*$/.test(prefix)) throw new ConfigError(`${key}.prefix`, "must be an upper-case env var prefix like MUSICFS_S3", r.file);
    return { source: "env", prefix };
  }
  if (src === "file") {
    r.noUnknown(t, key, ["source", "path"]);
    return { source: "file", path: r.absPath(t, "path", key) };
  }
  if (src === "inline") {
    const values: Table = { ...t };
    delete values.source;
    return { source: "inline", values };
  }
  throw new ConfigError(`${key}.source`, `must be "env", "file" or "inline" (got ${JSON.stringify(src)})`, r.file);
}

const BASE_KEYS = ["id", "origin_type", "priority", "enabled"];

const S3_KEYS = ["bucket", "region", "endpoint", "prefix", "path_style", "timeout_ms", "credentials"];

function parseS3Location(r: Reader, t: Record<string, unknown>, key: string, defaultPrefix: string): S3Location {
  const endpoint = r.optStr(t, "endpoint", key);
  if (endpoint && !/^https?:\/\/[^\s/]+/.test(endpoint)) throw new ConfigError(`${key}.endpoint`, "must be an http:// or https:// URL", r.file);
  if (endpoint && /^https?:\/\/[^/]*@/.test(endpoint)) throw new ConfigError(`${key}.endpoint`, `must not carry credentials; use [${key}.credentials]`, r.file);
  let prefix = r.str(t, "prefix", key, defaultPrefix).replace(/^\/+/, "");
  if (prefix && !prefix.endsWith("/")) prefix += "/";
  return {
    bucket: r.str(t, "bucket", key), region: r.str(t, "region", key, "us-east-1"), endpoint, prefix,
    // Custom endpoints (MinIO, s3rver, Ceph) usually want path-style addressing.
    pathStyle: r.bool(t, "path_style", key, endpoint !== undefined),
    timeoutMs: r.num(t, "timeout_ms", key, 30000, 100, 600000),
    credentials: parseCredentials(r, t.credentials, `${key}.credentials`),
  };
}

function parseOrigin(r: Reader, v: unknown, key: string): OriginConfig {
  const t = r.table(v, key);
  const id = r.str(t, "id", key);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(id)) throw new ConfigError(`${key}.id`, "must be 1-64 characters of letters, digits, '.', '_' or '-'", r.file);
  const type = r.str(t, "origin_type", key);
  if (!(ORIGIN_TYPES as readonly string[]).includes(type)) {
    throw new ConfigError(`${key}.origin_type`, `unknown origin type ${JSON.stringify(type)} (expected one of ${ORIGIN_TYPES.join(", ")})`, r.file);
  }
  const base = { id, priority: r.num(t, "priority", key, undefined, 0, 255), enabled: r.bool(t, "enabled", key, true) };
  switch (type as OriginTypeName) {
    case "local":
      r.noUnknown(t, key, [...BASE_KEYS, "path"]);
      return { ...base, type: "local", path: r.absPath(t, "path", key) };
    case "nfs":
    case "smb":
      r.noUnknown(t, key, [...BASE_KEYS, "path", "remote"]);
      const remote = r.optStr(t, "remote", key);
      // `remote` is shown in logs and the API: it must not carry a password (smb://user:pass@nas/...).
      if (remote && /^[^\s]*:[^\s/@]*@/.test(remote.replace(/^[a-z][a-z0-9+.-]*:\/\//i, ""))) {
        throw new ConfigError(`${key}.remote`, "must not carry a password; the OS mounts the share, musicfs only shows where it comes from", r.file);
      }
      return { ...base, type: type as "nfs" | "smb", path: r.absPath(t, "path", key), remote };
    case "s3": {
      r.noUnknown(t, key, [...BASE_KEYS, ...S3_KEYS]);
      return { ...base, type: "s3", ...parseS3Location(r, t, key, "/") };
    }
    case "sftp": {
      r.noUnknown(t, key, [...BASE_KEYS, "host", "port", "user", "path", "known_hosts", "host_key_sha256", "accept_unknown_host_key", "pool_size", "timeout_ms", "credentials"]);
      const fp = r.optStr(t, "host_key_sha256", key);
      if (fp && !/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(fp)) throw new ConfigError(`${key}.host_key_sha256`, 'must look like "SHA256:<43 base64 chars>" (ssh-keygen -lf)', r.file);
      return {
        ...base, type: "sftp", host: r.str(t, "host", key), port: r.num(t, "port", key, 22, 1, 65535), user: r.optStr(t, "user", key),
        path: r.str(t, "path", key, "/"), knownHosts: r.absPath(t, "known_hosts", key, "~/.ssh/known_hosts"), hostKeySha256: fp,
        acceptUnknownHostKey: r.bool(t, "accept_unknown_host_key", key, false),
        poolSize: r.num(t, "pool_size", key, 4, 1, 32), timeoutMs: r.num(t, "timeout_ms", key, 30000, 100, 600000),
        credentials: parseCredentials(r, t.credentials, `${key}.credentials`),
      };
    }
  }
}

export interface ParseOptions {
  file?: string;
  /** CLI overrides (`mount MOUNTPOINT`, `-d CACHE_DIR`): they make the config keys optional. */
  mountPoint?: string;
  cacheDir?: string;
  warn?: Warn;
  /** Where secret_env names are looked up (default process.env). */
  env?: Record<string, string | undefined>;
}

/** Parses and validates config text. Throws ConfigError naming the key. */
export function parseConfig(text: string, opts: ParseOptions = {}): MusicFsConfig {
  const r = new Reader(opts.file);
  let doc: Table;
  try {
    doc = Bun.TOML.parse(text) as Table;
  } catch (e) {
    // The parser may quote the offending value (maybe an inline password): drop quoted text.
    const why = (e as Error).message.replace(/^TOML Parse error:\s*/, "").replace(/"[^"]*"|'[^']*'/g, "<…>");
    throw new ConfigError("", `not valid TOML: ${why}`, opts.file);
  }
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    opts.warn?.(m);
  };

  const mountPoint = opts.mountPoint ?? (doc.mount_point === undefined ? undefined : r.absPath(doc, "mount_point", ""));
  const cacheDir = opts.cacheDir ?? r.absPath(doc, "cache_dir", "");

  if (!Array.isArray(doc.origins) || doc.origins.length === 0) {
    throw new ConfigError("origins", "at least one [[origins]] table is required", opts.file);
  }
  const origins = doc.origins.map((o, i) => parseOrigin(r, o, `origins[${i}]`));
  const seen = new Set<string>();
  origins.forEach((o, i) => {
    if (seen.has(o.id)) throw new ConfigError(`origins[${i}].id`, `duplicate origin id ${JSON.stringify(o.id)}`, opts.file);
    seen.add(o.id);
  });
  if (!origins.some((o) => o.enabled)) warn("no origin is enabled");
  if (origins.some((o) => "credentials" in o && o.credentials?.source === "inline")) {
    warn("inline credentials in the config: prefer source = \"env\" or \"file\"");
  }

  const c = r.table(doc.cache, "cache");
  r.noUnknown(c, "cache", ["content_cache_gb", "metadata_cache_mb", "readahead_mb", "cache_local", "shared"]);
  let shared: S3Location | undefined;
  if (c.shared !== undefined) {
    const t = r.table(c.shared, "cache.shared");
    r.noUnknown(t, "cache.shared", S3_KEYS);
    shared = parseS3Location(r, t, "cache.shared", "musicfs-chunks/");
  }
  const cache: CacheConfig = {
    maxBytes: Math.floor(r.num(c, "content_cache_gb", "cache", 10, 0.001, 1 << 20, false) * 1024 ** 3),
    metadataCacheMb: r.num(c, "metadata_cache_mb", "cache", 100, 1, 1 << 20),
    readaheadBytes: r.num(c, "readahead_mb", "cache", 8, 0, 256) * 1024 * 1024,
    cacheLocal: r.bool(c, "cache_local", "cache", false),
    shared,
  };

  const h = r.table(doc.health, "health");
  r.noUnknown(h, "health", ["check_interval_secs", "timeout_ms", "unhealthy_threshold", "per_origin_thresholds"]);
  const pt = r.table(h.per_origin_thresholds, "health.per_origin_thresholds");
  r.noUnknown(pt, "health.per_origin_thresholds", ORIGIN_TYPES);
  // Per-type defaults always apply under explicit overrides (the predecessor dropped them
  // as soon as a [health] table existed).
  const perOriginThresholds = { ...DEFAULT_THRESHOLDS };
  for (const k of ORIGIN_TYPES) perOriginThresholds[k] = r.num(pt, k, "health.per_origin_thresholds", DEFAULT_THRESHOLDS[k], 1, 1000);
  const health: HealthConfig = {
    checkIntervalMs: r.num(h, "check_interval_secs", "health", 30, 1, 86400) * 1000,
    timeoutMs: r.num(h, "timeout_ms", "health", 5000, 10, 600000),
    unhealthyThreshold: r.num(h, "unhealthy_threshold", "health", 3, 1, 1000),
    perOriginThresholds,
  };

  const f = r.table(doc.failover, "failover");
  r.noUnknown(f, "failover", ["retries", "base_delay_ms", "max_delay_ms", "hedge_after_ms", "request_timeout_ms"]);
  const failover: FailoverConfig = {
    retries: r.num(f, "retries", "failover", 3, 0, 20),
    baseDelayMs: r.num(f, "base_delay_ms", "failover", 100, 1, 60000),
    maxDelayMs: r.num(f, "max_delay_ms", "failover", 2000, 1, 600000),
    hedgeAfterMs: r.num(f, "hedge_after_ms", "failover", 1500, 10, 600000),
    requestTimeoutMs: r.num(f, "request_timeout_ms", "failover", 30000, 100, 600000),
  };
  if (failover.maxDelayMs < failover.baseDelayMs) throw new ConfigError("failover.max_delay_ms", "must be ≥ failover.base_delay_ms", opts.file);

  const wt = r.table(doc.watch, "watch");
  r.noUnknown(wt, "watch", ["enabled", "poll_interval_s", "debounce_ms"]);
  const watch: WatchConfig = {
    enabled: r.bool(wt, "enabled", "watch", true),
    pollIntervalMs: r.num(wt, "poll_interval_s", "watch", 300, 1, 86400) * 1000,
    debounceMs: r.num(wt, "debounce_ms", "watch", 200, 1, 60000),
  };

  const SORTS = ["relevance", "artist", "album", "year", "title", "added", "path"] as const;
  if (doc.collections !== undefined && !Array.isArray(doc.collections)) throw new ConfigError("collections", "must be an array of tables ([[collections]])", opts.file);
  const collections = ((doc.collections as unknown[] | undefined) ?? []).map((v, i) => {
    const key = `collections[${i}]`;
    const t = r.table(v, key);
    r.noUnknown(t, key, ["name", "query", "sort"]);
    const sort = r.optStr(t, "sort", key);
    if (sort !== undefined && !(SORTS as readonly string[]).includes(sort)) throw new ConfigError(`${key}.sort`, `must be one of ${SORTS.join(", ")}`, opts.file);
    return { name: r.str(t, "name", key), query: r.str(t, "query", key), sort: sort as (typeof SORTS)[number] | undefined };
  });

  if (doc.webhooks !== undefined && !Array.isArray(doc.webhooks)) throw new ConfigError("webhooks", "must be an array of tables ([[webhooks]])", opts.file);
  const webhooks = ((doc.webhooks as unknown[] | undefined) ?? []).map((v, i) => {
    const key = `webhooks[${i}]`;
    const t = r.table(v, key);
    r.noUnknown(t, key, ["url", "secret", "secret_env", "events", "retry_count", "timeout_ms"]);
    const url = r.str(t, "url", key);
    if (!/^https?:\/\/[^\s/]+/.test(url)) throw new ConfigError(`${key}.url`, "must be an http:// or https:// URL", opts.file);
    if (t.secret !== undefined && t.secret_env !== undefined) throw new ConfigError(`${key}.secret`, "give secret or secret_env, not both", opts.file);
    let secret: Secret | undefined;
    if (t.secret !== undefined) {
      secret = new Secret(r.str(t, "secret", key));
      warn(`${key}.secret is inline in the config: prefer secret_env = "VARIABLE"`);
    } else if (t.secret_env !== undefined) {
      const name = r.str(t, "secret_env", key);
      const value = (opts.env ?? process.env)[name];
      if (!value) throw new ConfigError(`${key}.secret_env`, `the environment variable ${name} is not set`, opts.file);
      secret = new Secret(value);
    }
    const events = t.events === undefined ? [] : t.events;
    if (!Array.isArray(events) || events.some((e) => typeof e !== "string")) throw new ConfigError(`${key}.events`, "must be a list of event type strings", opts.file);
    return { url, secret, events: events as string[], retryCount: r.num(t, "retry_count", key, 3, 0, 20), timeoutMs: r.num(t, "timeout_ms", key, 5000, 100, 600000) };
  });

  return { file: opts.file, mountPoint, cacheDir, origins, cache, health, failover, watch, collections, webhooks, raw: doc, warnings };
}

/** Reads, parses and validates a config file; warns when it is readable by group or others. */
export function loadConfig(path: string, opts: Omit<ParseOptions, "file"> = {}): MusicFsConfig {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError("", `cannot read config: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
  }
  const early: string[] = [];
  checkPrivateFile(path, "config file", (m) => early.push(m));
  const cfg = parseConfig(text, { ...opts, file: path });
  for (const m of early) opts.warn?.(m);
  cfg.warnings.unshift(...early);
  return cfg;
}
