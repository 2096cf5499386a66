// A progress bar on stderr when it is a terminal; nothing at all when piped or under CI, so
// scripts and logs get clean output.
import cliProgress from "cli-progress";
import { formatBytes } from "./format.ts";

export interface Progress {
  /** Sets the done amount (same unit as total). */
  update(done: number, note?: string): void;
  stop(): void;
}

const SILENT: Progress = { update() {}, stop() {} };

export function progressEnabled(): boolean {
  return Boolean(process.stderr.isTTY) && !process.env.CI;
}

/** A bar for `total` bytes (or items when `unit` is "items"). */
export function startProgress(label: string, total: number, unit: "bytes" | "items" = "bytes"): Progress {
  if (!progressEnabled() || total <= 0) return SILENT;
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {shown} | {note}`,
      hideCursor: true,
      clearOnComplete: true,
      stream: process.stderr,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  const show = (n: number) => (unit === "bytes" ? `${formatBytes(n)} / ${formatBytes(total)}` : `${n} / ${total}`);
  bar.start(total, 0, { shown: show(0), note: "" });
  return {
    update(done, note = "") {
      bar.update(Math.min(done, total), { shown: show(done), note });
    },
    stop() {
      bar.stop();
    },
  };
}
