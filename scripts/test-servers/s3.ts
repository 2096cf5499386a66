// Starts the npm S3-compatible server `s3rver` on 127.0.0.1 (port 0) with one bucket, for S3
// origin tests. It runs as a Node child (see s3rver-main.cjs for why); files live in a temp
// directory removed by stop(). CI needs `node` (it has it: npm ci installs the packages).
// Usage by hand: bun scripts/test-servers/s3.ts  (prints the endpoint, Ctrl-C stops it)
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface S3Server {
  endpoint: string;
  bucket: string;
  /** s3rver accepts these fixed credentials. */
  accessKeyId: string;
  secretAccessKey: string;
  /** Stops the server (idempotent); the endpoint then refuses connections. */
  stop(): Promise<void>;
}

export function findNode(): string | null {
  return Bun.which("node");
}

/**
 * This folder on disk. Inside the compiled executable (`musicfs bench`) import.meta.dir is in the
 * bundle, so the checkout the executable was built in (dist/musicfs → ../scripts/test-servers) is used.
 */
function serverDir(): string {
  if (!import.meta.dir.startsWith("/$bunfs")) return import.meta.dir;
  return path.resolve(path.dirname(process.execPath), "..", "scripts", "test-servers");
}

export async function startS3(bucket = "music"): Promise<S3Server> {
  const node = findNode();
  if (!node) throw new Error("node not found (needed to run s3rver)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "musicfs-s3-"));
  const here = serverDir();
  const proc = Bun.spawn([node, "--openssl-legacy-provider", path.join(here, "s3rver-main.cjs"), dir, bucket], {
    stdin: "pipe", stdout: "pipe", stderr: "pipe", cwd: path.join(here, "..", ".."),
  });
  const reader = proc.stdout.getReader();
  let buf = "";
  const deadline = setTimeout(() => proc.kill("SIGKILL"), 15000);
  try {
    while (!buf.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`s3rver did not start: ${(await new Response(proc.stderr).text()).slice(0, 500)}`);
      buf += new TextDecoder().decode(value);
    }
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  } finally {
    clearTimeout(deadline);
    reader.releaseLock();
  }
  const { port } = JSON.parse(buf.slice(0, buf.indexOf("\n"))) as { port: number };
  let stopped: Promise<void> | null = null;
  return {
    endpoint: `http://127.0.0.1:${port}`, bucket, accessKeyId: "S3RVER", secretAccessKey: "S3RVER",
    stop() {
      stopped ??= (async () => {
        proc.kill("SIGTERM");
        await proc.exited;
        fs.rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

// No top-level await: the bench scenarios import this module, and the executable's bundle allows none.
if (import.meta.main) {
  void startS3().then((s) => {
    console.log(JSON.stringify({ ...s, stop: undefined }, null, 2));
    process.on("SIGINT", () => void s.stop().then(() => process.exit(0)));
  });
}
