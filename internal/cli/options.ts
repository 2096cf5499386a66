// Option parsing shared by the commands that chunk (chunk, diff, sync).
import { DEFAULT_PARAMS, validateParams, type CdcParams } from "../cdc/fastcdc.ts";
import { UsageError } from "./errors.ts";

const SUFFIX: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1 << 20, mb: 1 << 20, mib: 1 << 20, g: 1 << 30, gb: 1 << 30, gib: 1 << 30 };

/** "64K", "64KiB", "1m", "65536" → bytes. */
export function parseSize(value: unknown, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(String(value));
  const mult = m ? SUFFIX[m[2].toLowerCase()] : undefined;
  if (!m || mult === undefined) throw new UsageError(`${flag}: expected a size like 65536, 64K or 1M, got "${value}"`);
  return Math.round(Number(m[1]) * mult);
}

/** Reads --min/--avg/--max (any may be omitted) into validated FastCDC parameters. */
export function parseCdcOptions(opts: { min?: unknown; avg?: unknown; max?: unknown }): CdcParams {
  const p: CdcParams = {
    min: opts.min === undefined ? DEFAULT_PARAMS.min : parseSize(opts.min, "--min"),
    avg: opts.avg === undefined ? DEFAULT_PARAMS.avg : parseSize(opts.avg, "--avg"),
    max: opts.max === undefined ? DEFAULT_PARAMS.max : parseSize(opts.max, "--max"),
  };
  try {
    return validateParams(p);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
