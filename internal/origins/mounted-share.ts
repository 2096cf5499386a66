// NFS and SMB shares mounted by the OS, read as local paths with the predecessor's retry rules:
// NFS retries ESTALE 3 times after 100, 200, 400 ms (a stale handle often clears once the client
// revalidates); SMB retries ENOTCONN 3 times 100 ms apart (a CIFS reconnect takes a moment).
// Health stats the root in a child process: a stat on a dead hard mount can hang in the kernel
// forever, and a hung call inside this process would hold one of its I/O threads.
import { type FsLayer, nodeFsLayer } from "./fs-layer.ts";
import { LocalOrigin } from "./local.ts";
import { OriginError } from "./types.ts";

export interface RetryRule {
  /** errno codes that are retried. */
  codes: readonly string[];
  /** Delay before each retry; its length is the number of retries. */
  delaysMs: readonly number[];
}

export const NFS_RETRY: RetryRule = Object.freeze({ codes: ["ESTALE"], delaysMs: [100, 200, 400] });
export const SMB_RETRY: RetryRule = Object.freeze({ codes: ["ENOTCONN"], delaysMs: [100, 100, 100] });

export type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Wraps every call of `inner` with the retry rule. `sleep` is injectable so tests see the delays. */
export function retryingFsLayer(inner: FsLayer, rule: RetryRule, sleep: Sleep = realSleep): FsLayer {
  const retry = async <T>(fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const code = (e as { code?: string })?.code;
        if (!code || !rule.codes.includes(code) || attempt >= rule.delaysMs.length) throw e;
        await sleep(rule.delaysMs[attempt]);
      }
    }
  };
  return {
    realpath: (p) => retry(() => inner.realpath(p)),
    stat: (p) => retry(() => inner.stat(p)),
    readdir: (p) => retry(() => inner.readdir(p)),
    readRange: (p, o, l) => retry(() => inner.readRange(p, o, l)),
  };
}

/** `stat` of a path in a child process, killed at the deadline. */
export function childStatProbe(root: string, timeoutMs: number): Promise<void> {
  return childProbe(["stat", "-L", "--", root], timeoutMs, `stat ${root}`);
}

/** Runs a probe command; exit 0 within the deadline is healthy, anything else throws. */
export async function childProbe(cmd: string[], timeoutMs: number, what: string): Promise<void> {
  const child = Bun.spawn(cmd, { stdout: "ignore", stderr: "pipe", stdin: "ignore" });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((r) => {
    timer = setTimeout(() => r("timeout"), timeoutMs);
  });
  try {
    const res = await Promise.race([child.exited, timedOut]);
    if (res === "timeout") {
      child.kill("SIGKILL");
      throw new OriginError("ETIMEDOUT", `${what}: no answer within ${timeoutMs} ms`);
    }
    if (res !== 0) {
      const err = (await new Response(child.stderr).text()).trim().slice(0, 200);
      throw new OriginError("EIO", `${what} failed: ${err || `exit ${res}`}`);
    }
  } finally {
    clearTimeout(timer);
  }
}

export interface MountedShareOptions {
  id: string;
  /** Where the OS mounted the share. */
  path: string;
  /** Shown instead of the path, e.g. "//server/share" or "server:/export". */
  remote?: string;
  fs?: FsLayer;
  sleep?: Sleep;
  healthTimeoutMs?: number;
  probe?: (root: string, timeoutMs: number) => Promise<void>;
}

export function createNfsOrigin(o: MountedShareOptions): LocalOrigin {
  return new LocalOrigin({
    id: o.id, root: o.path, type: "nfs", displayName: `NFS: ${o.remote ?? o.path}`,
    fs: retryingFsLayer(o.fs ?? nodeFsLayer, NFS_RETRY, o.sleep),
    healthTimeoutMs: o.healthTimeoutMs ?? 5000, probe: o.probe ?? childStatProbe,
  });
}

export function createSmbOrigin(o: MountedShareOptions): LocalOrigin {
  return new LocalOrigin({
    id: o.id, root: o.path, type: "smb", displayName: `SMB: ${o.remote ?? o.path}`,
    fs: retryingFsLayer(o.fs ?? nodeFsLayer, SMB_RETRY, o.sleep),
    healthTimeoutMs: o.healthTimeoutMs ?? 5000, probe: o.probe ?? childStatProbe,
  });
}
