// Host key verification for SFTP: an OpenSSH known_hosts file (plain and hashed "|1|salt|hash"
// host names, "[host]:port" for non-22 ports, @revoked, comments) or a pinned SHA256 fingerprint.
// Unknown hosts are refused unless the config says otherwise; a host listed with a different key
// is always refused (that is what a man in the middle looks like).
import { createHash, createHmac } from "node:crypto";
import * as fs from "node:fs";

export type HostKeyVerdict = "match" | "mismatch" | "unknown" | "revoked";

/** "SHA256:<base64 without padding>", as ssh-keygen -l prints it. */
export function sha256Fingerprint(keyBlob: Uint8Array): string {
  return "SHA256:" + createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "");
}

function hostMatches(pattern: string, names: string[]): boolean {
  if (pattern.startsWith("|1|")) {
    const [, , salt, hash] = pattern.split("|");
    if (!salt || !hash) return false;
    const key = Buffer.from(salt, "base64");
    return names.some((n) => createHmac("sha1", key).update(n).digest("base64") === hash);
  }
  // Comma-separated patterns with "*"/"?" wildcards and "!" negation.
  let hit = false;
  for (const raw of pattern.split(",")) {
    const neg = raw.startsWith("!");
    const p = neg ? raw.slice(1) : raw;
    const re = new RegExp("^" + p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$", "i");
    if (names.some((n) => re.test(n))) {
      if (neg) return false;
      hit = true;
    }
  }
  return hit;
}

/** Checks a presented host key blob against known_hosts text. */
export function checkKnownHosts(text: string, host: string, port: number, keyBlob: Uint8Array): HostKeyVerdict {
  const names = port === 22 ? [host, `[${host}]:22`] : [`[${host}]:${port}`];
  const presented = Buffer.from(keyBlob).toString("base64");
  let verdict: HostKeyVerdict = "unknown";
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (!t || t.startsWith("#")) continue;
    const f = t.split(/\s+/);
    let marker = "";
    if (f[0].startsWith("@")) marker = f.shift()!;
    if (marker === "@cert-authority" || f.length < 3) continue;
    const [hosts, , key] = f;
    if (!hostMatches(hosts, names)) continue;
    if (key === presented) {
      if (marker === "@revoked") return "revoked";
      verdict = "match";
    } else if (marker !== "@revoked" && verdict !== "match") {
      verdict = "mismatch";
    }
  }
  return verdict;
}

export interface HostKeyPolicy {
  host: string;
  port: number;
  knownHostsPath: string;
  pinnedSha256?: string;
  acceptUnknown: boolean;
}

/** Returns null when the key is acceptable, else the reason for refusing it. */
export function verifyHostKey(policy: HostKeyPolicy, keyBlob: Uint8Array): string | null {
  const fp = sha256Fingerprint(keyBlob);
  if (policy.pinnedSha256) {
    return policy.pinnedSha256.replace(/=+$/, "") === fp ? null : `host key ${fp} does not match the pinned host_key_sha256`;
  }
  let text = "";
  try {
    text = fs.readFileSync(policy.knownHostsPath, "utf8");
  } catch {
    // A missing file means every host is unknown (the predecessor accepted everything here).
  }
  const v = checkKnownHosts(text, policy.host, policy.port, keyBlob);
  if (v === "match") return null;
  if (v === "revoked") return `host key ${fp} is marked @revoked in ${policy.knownHostsPath}`;
  if (v === "mismatch") return `host key ${fp} differs from the one in ${policy.knownHostsPath}: possible man-in-the-middle`;
  return policy.acceptUnknown ? null : `unknown host key ${fp} for ${policy.host}:${policy.port}; add it to ${policy.knownHostsPath} or set host_key_sha256`;
}
