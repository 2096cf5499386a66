// Reference: how fast this machine copies memory right now. Other throughputs are also given
// as a ratio to it, which moves less than absolute numbers when the machine is busy or slower.
import { defineScenario } from "../../internal/bench/index.ts";
import { fillPseudoRandom, mbPerSecond, MiB } from "./data.ts";

export const memcpy = defineScenario({
  id: "memcpy",
  description: "Reference: Uint8Array.prototype.set of a 64 MiB buffer (memory bandwidth)",
  metrics: [{ id: "throughput", unit: "MB/s", better: "higher", description: "bytes copied per second" }],
  size: { full: 64, quick: 64, unit: "MiB" },
  repeat: { full: 15, quick: 7 },
  warmup: { full: 3, quick: 2 },
  setup(ctx) {
    const src = new Uint8Array(ctx.size * MiB);
    fillPseudoRandom(src, 7);
    // Touch the destination once so the first copy does not also pay for page faults.
    const dst = new Uint8Array(src.length).fill(1);
    return { src, dst, passes: ctx.quick ? 4 : 8 };
  },
  run({ src, dst, passes }) {
    const t0 = Bun.nanoseconds();
    for (let i = 0; i < passes; i++) dst.set(src);
    const ns = Bun.nanoseconds() - t0;
    return { throughput: mbPerSecond(src.length * passes, ns) };
  },
});
