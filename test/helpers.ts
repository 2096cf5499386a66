// Shared test helpers: temp dirs, deterministic data, running the CLI.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const REPO = path.resolve(import.meta.dir, "..");
export const BUN = process.execPath;

export function tempDir(prefix = "musicfs-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The predecessor's LCG bytes: seed 12345, state*6364136223846793005+1, byte = state>>56. */
export function lcgBytes(n: number, seed = 12345n): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 6364136223846793005n + 1n) & 0xffffffffffffffffn;
    out[i] = Number(s >> 56n);
  }
  return out;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `musicfs ARGS` from source (or the compiled binary when MUSICFS_BIN is set). */
export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): RunResult {
  const bin = process.env.MUSICFS_BIN;
  const cmd = bin ? [bin, ...args] : [BUN, path.join(REPO, "cmd/musicfs.ts"), ...args];
  const r = Bun.spawnSync(cmd, { cwd: opts.cwd ?? REPO, env: { ...process.env, ...opts.env }, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/**
 * The first line a child process writes to stdout (its ready line), read across chunks; "" when
 * it exits first. The stream is released afterwards, so the rest can still be read.
 */
export async function firstLine(stdout: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stdout.getReader();
  let text = "";
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
  } finally {
    reader.releaseLock();
  }
  return text.includes("\n") ? text.slice(0, text.indexOf("\n")) : "";
}
