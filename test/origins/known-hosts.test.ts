// known_hosts parsing: plain, hashed, [host]:port, wildcards, negation, @revoked, @cert-authority.
import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkKnownHosts, sha256Fingerprint, verifyHostKey } from "../../internal/origins/known-hosts.ts";

const KEY = Buffer.from("AAAAC3NzaC1lZDI1NTE5AAAAIPmQnWta7qOwtLlirMwW/AMShp4JB5yCrgT0+sH5SGCb", "base64");
const OTHER = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const k64 = KEY.toString("base64");

function hashed(name: string): string {
  const salt = Buffer.from("0123456789abcdef0123");
  return `|1|${salt.toString("base64")}|${createHmac("sha1", salt).update(name).digest("base64")}`;
}

describe("known_hosts", () => {
  test("matching rules", () => {
    expect(checkKnownHosts(`box.example ssh-ed25519 ${k64}\n`, "box.example", 22, KEY)).toBe("match");
    expect(checkKnownHosts(`box.example ssh-ed25519 ${k64}\n`, "box.example", 2222, KEY)).toBe("unknown");
    expect(checkKnownHosts(`[box.example]:2222 ssh-ed25519 ${k64}\n`, "box.example", 2222, KEY)).toBe("match");
    expect(checkKnownHosts(`# comment\n\nfoo,box.example,bar ssh-ed25519 ${k64}\n`, "box.example", 22, KEY)).toBe("match");
    expect(checkKnownHosts(`*.example ssh-ed25519 ${k64}\n`, "box.example", 22, KEY)).toBe("match");
    expect(checkKnownHosts(`*.example,!box.example ssh-ed25519 ${k64}\n`, "box.example", 22, KEY)).toBe("unknown");
    expect(checkKnownHosts(`${hashed("box.example")} ssh-ed25519 ${k64}\n`, "box.example", 22, KEY)).toBe("match");
    expect(checkKnownHosts(`${hashed("[box.example]:2222")} ssh-ed25519 ${k64}\n`, "box.example", 2222, KEY)).toBe("match");
    expect(checkKnownHosts(`${hashed("evil.example")} ssh-ed25519 ${k64}\n`, "box.example", 22, KEY)).toBe("unknown");
    // A regex metacharacter in a name is literal.
    expect(checkKnownHosts(`box.example ssh-ed25519 ${k64}\n`, "boxXexample", 22, KEY)).toBe("unknown");
    expect(checkKnownHosts(`box.example ssh-ed25519 ${OTHER}\n`, "box.example", 22, KEY)).toBe("mismatch");
    // Another line with the right key wins over an old one (a host with several key types).
    expect(checkKnownHosts(`box.example ssh-rsa ${OTHER}\nbox.example ssh-ed25519 ${k64}\n`, "box.example", 22, KEY)).toBe("match");
    expect(checkKnownHosts(`@revoked box.example ssh-ed25519 ${k64}\nbox.example ssh-ed25519 ${k64}\n`, "box.example", 22, KEY)).toBe("revoked");
    expect(checkKnownHosts(`@cert-authority *.example ssh-ed25519 ${k64}\n`, "box.example", 22, KEY)).toBe("unknown");
  });

  test("policy: pinned fingerprint, missing file, opt-in", () => {
    const fp = sha256Fingerprint(KEY);
    expect(fp).toBe("SHA256:NISfsppwY7NsbmLDU0HZeCwlBFgrTBpmxVmjUdSQLy4");
    const base = { host: "box.example", port: 22, knownHostsPath: "/nonexistent/known_hosts", acceptUnknown: false };
    expect(verifyHostKey(base, KEY)).toContain("unknown host key");
    expect(verifyHostKey({ ...base, acceptUnknown: true }, KEY)).toBeNull();
    expect(verifyHostKey({ ...base, pinnedSha256: fp }, KEY)).toBeNull();
    expect(verifyHostKey({ ...base, pinnedSha256: fp + "=" }, KEY)).toBeNull();
    expect(verifyHostKey({ ...base, pinnedSha256: "SHA256:" + "A".repeat(43) }, KEY)).toContain("does not match");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-kh-"));
    const f = path.join(dir, "known_hosts");
    fs.writeFileSync(f, `box.example ssh-ed25519 ${OTHER}\n`);
    // A changed key is refused even with accept_unknown_host_key.
    expect(verifyHostKey({ ...base, knownHostsPath: f, acceptUnknown: true }, KEY)).toContain("man-in-the-middle");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
