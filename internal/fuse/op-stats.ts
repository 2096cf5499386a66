// Per-opcode request counts, errors and latencies of a FUSE session, in a SharedArrayBuffer that
// the main thread reads when it is asked (Prometheus scrape). Each worker writes only its own
// buffer, so there is no contention; a reader may see a count one request behind, which is fine
// for metrics. Recording is two array updates and a bucket search: no allocation per request.
import { Op } from "./proto.ts";

/** Latency bucket upper bounds in seconds (Prometheus `le`), ending below +Inf. */
export const OP_BUCKETS = [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 1] as const;
const SLOTS = 64; // opcodes above 63 (CUSE) share the last slot
const WIDTH = 3 + OP_BUCKETS.length; // count, errors, sum seconds, buckets (not cumulative)

export function newOpStatsBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(SLOTS * WIDTH * 8);
}

/** The writer side, in a worker. */
export class OpStatsRecorder {
  private readonly a: Float64Array;
  constructor(buf: SharedArrayBuffer) {
    this.a = new Float64Array(buf);
  }
  record(opcode: number, error: boolean, seconds: number): void {
    const base = (opcode < SLOTS ? opcode : SLOTS - 1) * WIDTH;
    const a = this.a;
    a[base]++;
    if (error) a[base + 1]++;
    a[base + 2] += seconds;
    let b = 0;
    while (b < OP_BUCKETS.length && seconds > OP_BUCKETS[b]) b++;
    if (b < OP_BUCKETS.length) a[base + 3 + b]++;
  }
}

const OP_NAMES = new Map<number, string>(Object.entries(Op).map(([name, code]) => [code as number, name.toLowerCase()]));

export interface OpTotals {
  op: string;
  count: number;
  errors: number;
  sumSeconds: number;
  /** Per bucket, not cumulative (OP_BUCKETS order). */
  bucketCounts: number[];
}

/** The reader side: the sum over every worker's buffer, one entry per opcode seen. */
export function sumOpStats(bufs: readonly SharedArrayBuffer[]): OpTotals[] {
  const out: OpTotals[] = [];
  const arrays = bufs.map((b) => new Float64Array(b));
  for (let slot = 0; slot < SLOTS; slot++) {
    const base = slot * WIDTH;
    let count = 0;
    for (const a of arrays) count += a[base];
    if (count === 0) continue;
    const t: OpTotals = { op: slot === SLOTS - 1 ? "other" : (OP_NAMES.get(slot) ?? `op${slot}`), count, errors: 0, sumSeconds: 0, bucketCounts: new Array(OP_BUCKETS.length).fill(0) };
    for (const a of arrays) {
      t.errors += a[base + 1];
      t.sumSeconds += a[base + 2];
      for (let b = 0; b < OP_BUCKETS.length; b++) t.bucketCounts[b] += a[base + 3 + b];
    }
    out.push(t);
  }
  return out;
}
