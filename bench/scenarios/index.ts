// The one list of scenarios `musicfs bench` runs. To add one: write bench/scenarios/<id>.ts
// exporting a defineScenario({...}) object and register it below. References (memcpy) first.
import { ScenarioRegistry } from "../../internal/bench/index.ts";
import { cdc } from "./cdc.ts";
import { chunkFile } from "./chunk-file.ts";
import { hash } from "./hash.ts";
import { helpLatency } from "./help-latency.ts";
import { memcpy } from "./memcpy.ts";
import { mount } from "./mount.ts";
import { mountOrigins } from "./mount-origins.ts";
import { overlay } from "./overlay.ts";
import { reuse } from "./reuse.ts";
import { searchRpc } from "./search-rpc.ts";
import { scan } from "./scan.ts";
import { rpcConcurrency } from "./rpc-concurrency.ts";
import { sync } from "./sync.ts";

export function defaultRegistry(): ScenarioRegistry {
  return new ScenarioRegistry().register(memcpy).register(cdc).register(hash).register(reuse).register(helpLatency).register(chunkFile)
    .register(scan)
    .register(searchRpc)
    .register(rpcConcurrency)
    .register(sync)
    .register(overlay)
    .register(mount)
    .register(mountOrigins);
}
