// Credentials for remote origins, from the environment, a file (TOML, or JSON by extension), or
// inline in the config. Secret fields are wrapped in Secret at the moment they are read, so no
// later log line, error or JSON dump can carry them. Files readable by group or others warn.
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { ConfigError } from "./errors.ts";
import { Secret } from "./secret.ts";

export type CredentialSource =
  | { source: "env"; prefix: string }
  | { source: "file"; path: string }
  | { source: "inline"; values: Record<string, unknown> };

export interface Credentials {
  accessKeyId?: string;
  secretAccessKey?: Secret;
  sessionToken?: Secret;
  region?: string;
  username?: string;
  password?: Secret;
  /** Key text (PEM/OpenSSH); from `private_key` or read from `private_key_path`. */
  privateKey?: Secret;
  passphrase?: Secret;
}

const SECRET_FIELDS = new Set(["secret_access_key", "session_token", "password", "private_key", "passphrase"]);
const PLAIN_FIELDS = new Set(["access_key_id", "region", "username", "user", "private_key_path"]);

export type Warn = (message: string) => void;

/** Warns when a file holding secrets can be read by group or others. */
export function checkPrivateFile(path: string, what: string, warn: Warn): void {
  try {
    const st = fs.statSync(path);
    if ((st.mode & 0o044) !== 0) {
      warn(`${what} ${path} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${path}`);
    }
  } catch {
    /* a missing file is reported where it is read */
  }
}

function fromRecord(rec: Record<string, unknown>, key: string, file: string | undefined, warn: Warn): Credentials {
  const c: Credentials = {};
  for (const [k, v] of Object.entries(rec)) {
    if (k === "source" || k === "prefix" || k === "path") continue;
    if (!SECRET_FIELDS.has(k) && !PLAIN_FIELDS.has(k)) {
      // The key name is safe to show; its value is not.
      throw new ConfigError(`${key}.${k}`, `unknown credential field (known: ${[...PLAIN_FIELDS, ...SECRET_FIELDS].join(", ")})`, file);
    }
    if (typeof v !== "string") throw new ConfigError(`${key}.${k}`, "must be a string", file);
  }
  const s = (k: string) => (typeof rec[k] === "string" ? new Secret(rec[k] as string) : undefined);
  const p = (k: string) => (typeof rec[k] === "string" ? (rec[k] as string) : undefined);
  c.accessKeyId = p("access_key_id");
  c.secretAccessKey = s("secret_access_key");
  c.sessionToken = s("session_token");
  c.region = p("region");
  c.username = p("username") ?? p("user");
  c.password = s("password");
  c.passphrase = s("passphrase");
  c.privateKey = s("private_key");
  const keyPath = p("private_key_path");
  if (keyPath && !c.privateKey) {
    const abs = expandHome(keyPath);
    checkPrivateFile(abs, "private key", warn);
    try {
      c.privateKey = new Secret(fs.readFileSync(abs, "utf8"));
    } catch (e) {
      throw new ConfigError(`${key}.private_key_path`, `cannot read ${abs}: ${(e as Error).message}`, file);
    }
  }
  return c;
}

export function expandHome(p: string): string {
  if (p === "~" || p.startsWith("~/")) return nodePath.join(process.env.HOME ?? "/root", p.slice(1));
  return p;
}

/** Reads the credentials a source points at. `key` names the config key for error messages. */
export function resolveCredentials(
  src: CredentialSource,
  key: string,
  opts: { env?: Record<string, string | undefined>; warn?: Warn; configFile?: string } = {},
): Credentials {
  const warn = opts.warn ?? (() => {});
  if (src.source === "inline") return fromRecord(src.values, key, opts.configFile, warn);
  if (src.source === "env") {
    const env = opts.env ?? process.env;
    const P = src.prefix;
    const rec: Record<string, unknown> = {};
    const take = (suffix: string, field: string) => {
      const v = env[`${P}_${suffix}`];
      if (v !== undefined && v !== "") rec[field] = v;
    };
    take("ACCESS_KEY_ID", "access_key_id");
    take("SECRET_ACCESS_KEY", "secret_access_key");
    take("SESSION_TOKEN", "session_token");
    take("REGION", "region");
    take("USERNAME", "username");
    take("PASSWORD", "password");
    take("PRIVATE_KEY_PATH", "private_key_path");
    take("PASSPHRASE", "passphrase");
    return fromRecord(rec, key, opts.configFile, warn);
  }
  const path = expandHome(src.path);
  checkPrivateFile(path, "credentials file", warn);
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(`${key}.path`, `cannot read credentials file ${path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`, opts.configFile);
  }
  let rec: unknown;
  try {
    rec = path.endsWith(".json") ? JSON.parse(text) : Bun.TOML.parse(text);
  } catch {
    // The parser's message may quote the offending line, which may be a secret: say only where.
    throw new ConfigError(`${key}.path`, `credentials file ${path} is not valid ${path.endsWith(".json") ? "JSON" : "TOML"}`, opts.configFile);
  }
  if (!rec || typeof rec !== "object" || Array.isArray(rec)) throw new ConfigError(`${key}.path`, `credentials file ${path} must hold a table`, opts.configFile);
  return fromRecord(rec as Record<string, unknown>, `${key} (${path})`, opts.configFile, warn);
}
