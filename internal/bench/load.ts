// How much of the machine other processes used while a scenario was measured. On a shared
// 2-core VM that is the main source of noise, and a number in the report beats guessing why a
// run was slow. Linux only (/proc); elsewhere the share is unknown (undefined).
import * as fs from "node:fs";

export interface CpuSnapshot {
  /** All CPUs' busy and total time since boot, in clock ticks. */
  busy: number;
  total: number;
  /** This process's CPU time, including waited-for children (spawned musicfs), in clock ticks. */
  self: number;
}

export function cpuSnapshot(): CpuSnapshot | undefined {
  try {
    const line = fs.readFileSync("/proc/stat", "utf8").split("\n", 1)[0];
    // cpu user nice system idle iowait irq softirq steal ...
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    const idle = f[3] + f[4];
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    // Fields after "(comm)": state is field 3, utime..cstime are fields 14..17.
    const p = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
    const self = p[11] + p[12] + p[13] + p[14];
    if (![total, idle, self].every(Number.isFinite)) return undefined;
    return { busy: total - idle, total, self };
  } catch {
    return undefined;
  }
}

/** Below this many ticks (0.5 s of all CPUs at 100 Hz) the share is too coarse to mean anything. */
const MIN_TICKS = 50;

/** Fraction (0..1) of all CPUs' time that other processes used between the two snapshots. */
export function othersShare(a: CpuSnapshot | undefined, b: CpuSnapshot | undefined): number | undefined {
  if (!a || !b) return undefined;
  const total = b.total - a.total;
  if (total < MIN_TICKS) return undefined;
  const others = b.busy - a.busy - (b.self - a.self);
  return Math.min(1, Math.max(0, others / total));
}

/** Above this share (half a core of two) a run is "under load": comparisons with it are not trusted. */
export const BUSY_SHARE = 0.25;
