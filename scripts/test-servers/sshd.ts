// Starts Debian's openssh-server on 127.0.0.1 for SFTP tests: own config, generated host and
// client keys, key-only auth for the current user, internal-sftp. Returns what a client needs and
// a stop(). CI needs `apt-get install -y openssh-server openssh-client` (sshd, ssh-keygen).
// Usage by hand: bun scripts/test-servers/sshd.ts  (prints the details, Ctrl-C stops it)
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort, waitForBanner } from "./free-port.ts";

export interface SshdServer {
  host: string;
  port: number;
  user: string;
  /** Directory served as the test library. */
  root: string;
  clientKeyPath: string;
  /** known_hosts file listing the server's host key for [127.0.0.1]:port. */
  knownHostsPath: string;
  hostKeySha256: string;
  stop(): Promise<void>;
}

const SSHD_CANDIDATES = ["/usr/sbin/sshd", "/usr/local/sbin/sshd", "/sbin/sshd"];

/** Path of sshd, or a reason why it cannot be used. */
export function findSshd(): { path: string } | { reason: string } {
  const p = SSHD_CANDIDATES.find((c) => fs.existsSync(c));
  if (!p) return { reason: "sshd not installed (apt-get install -y openssh-server)" };
  if (!Bun.which("ssh-keygen")) return { reason: "ssh-keygen not installed (apt-get install -y openssh-client)" };
  return { path: p };
}

function run(cmd: string[]): string {
  const r = Bun.spawnSync(cmd, { stderr: "pipe", stdout: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd[0]} failed: ${r.stderr.toString().trim()}`);
  return r.stdout.toString();
}

export async function startSshd(): Promise<SshdServer> {
  const found = findSshd();
  if ("reason" in found) throw new Error(found.reason);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-sshd-"));
  fs.chmodSync(dir, 0o755);
  // Not os.userInfo(): Bun 1.4 answers "unknown" for it in some containers.
  const user = run(["id", "-un"]).trim();
  const hostKey = path.join(dir, "host_ed25519");
  const clientKey = path.join(dir, "client_ed25519");
  run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
  run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", clientKey]);
  fs.copyFileSync(`${clientKey}.pub`, path.join(dir, "authorized_keys"));
  fs.chmodSync(path.join(dir, "authorized_keys"), 0o600);
  const hostPub = fs.readFileSync(`${hostKey}.pub`, "utf8").trim().split(/\s+/);
  const hostKeySha256 = run(["ssh-keygen", "-l", "-E", "sha256", "-f", `${hostKey}.pub`]).split(/\s+/)[1];
  const root = path.join(dir, "library");
  fs.mkdirSync(root);
  // Privilege separation directory; sshd refuses to start as root without it.
  if (process.getuid?.() === 0) fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });

  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const knownHostsPath = path.join(dir, "known_hosts");
    fs.writeFileSync(knownHostsPath, `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}\n`);
    const config = path.join(dir, "sshd_config");
    fs.writeFileSync(config, [
      `Port ${port}`, "ListenAddress 127.0.0.1", `HostKey ${hostKey}`, `PidFile ${path.join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`, "PubkeyAuthentication yes", "PasswordAuthentication no",
      "KbdInteractiveAuthentication no", "UsePAM yes", "StrictModes no", "PermitRootLogin prohibit-password",
      "Subsystem sftp internal-sftp", "MaxStartups 50", "MaxSessions 50", (process.env.MUSICFS_SSHD_DEBUG ? "LogLevel DEBUG1" : "LogLevel ERROR"), "",
    ].join("\n"));
    const proc = Bun.spawn([found.path, "-D", "-e", "-f", config], { stdout: "ignore", stderr: process.env.MUSICFS_SSHD_DEBUG ? "inherit" : "pipe", stdin: "ignore" });
    let exited = false;
    void proc.exited.then(() => (exited = true));
    try {
      await waitForBanner(port, 10000, () => !exited);
      return {
        host: "127.0.0.1", port, user, root, clientKeyPath: clientKey, knownHostsPath, hostKeySha256,
        async stop() {
          proc.kill("SIGTERM");
          await proc.exited;
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (e) {
      proc.kill("SIGKILL");
      const err = await new Response(proc.stderr).text().catch(() => "");
      lastErr = new Error(`sshd did not start: ${(e as Error).message}; ${err.trim().slice(0, 500)}`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  throw lastErr;
}

// No top-level await: the bench scenarios import this module, and the executable's bundle allows none.
if (import.meta.main) {
  void startSshd().then((s) => {
    console.log(JSON.stringify({ ...s, stop: undefined }, null, 2));
    process.on("SIGINT", () => void s.stop().then(() => process.exit(0)));
  });
}
