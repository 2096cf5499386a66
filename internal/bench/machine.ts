// Where a result was measured: baselines from another machine kind are not comparable, so the
// JSON carries this and the baseline check warns when it differs.
import * as os from "node:os";
import type { MachineInfo } from "./result.ts";

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    platform: process.platform,
    arch: process.arch,
    kernel: os.release(),
    cpuModel: cpus[0]?.model?.trim() ?? "unknown",
    cpus: cpus.length,
    memoryBytes: os.totalmem(),
  };
}

/** Short commit of the working tree the bench runs from, when it is a git checkout. */
export function gitCommit(cwd: string = process.cwd()): string | undefined {
  try {
    const r = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd, stdout: "pipe", stderr: "ignore" });
    const s = r.stdout.toString().trim();
    return r.exitCode === 0 && s ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Same CPU model and core count: the condition for a baseline to be comparable. */
export function sameMachineKind(a: MachineInfo, b: MachineInfo): boolean {
  return a.cpuModel === b.cpuModel && a.cpus === b.cpus && a.arch === b.arch;
}
