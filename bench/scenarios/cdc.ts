// FastCDC alone on one core, in memory: the predecessor's 10 MB LCG benchmark (Rust: ~3.0 GB/s).
import { defineScenario } from "../../internal/bench/index.ts";
import { DEFAULT_PARAMS, FastCdc } from "../../internal/cdc/fastcdc.ts";
import { lcgBytes, mbPerSecond, MiB } from "./data.ts";

export const cdc = defineScenario({
  id: "cdc",
  description: "FastCDC cut points of 10 MiB of LCG data in memory, default 16/64/256 KiB, one core",
  metrics: [{ id: "throughput", unit: "MB/s", better: "higher", reference: "memcpy.throughput" }],
  size: { full: 10, quick: 10, unit: "MiB" },
  repeat: { full: 15, quick: 7 },
  warmup: { full: 3, quick: 2 },
  setup(ctx) {
    return { data: lcgBytes(ctx.size * MiB), cdc: new FastCdc(DEFAULT_PARAMS), passes: ctx.quick ? 5 : 10 };
  },
  run({ data, cdc, passes }, ctx) {
    const len = data.length;
    let chunks = 0;
    const t0 = Bun.nanoseconds();
    for (let p = 0; p < passes; p++) {
      let pos = 0;
      while (pos < len) {
        pos = cdc.cut(data, pos, len);
        chunks++;
      }
    }
    const ns = Bun.nanoseconds() - t0;
    ctx.note(`${chunks / passes} chunks per ${ctx.size} MiB (the predecessor: 137 per 10 MB)`);
    return { throughput: mbPerSecond(len * passes, ns) };
  },
});
