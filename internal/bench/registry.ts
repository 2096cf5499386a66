// The list of scenarios `musicfs bench` knows. One registry is built in bench/scenarios/index.ts;
// tests build their own with fake scenarios.
import type { Scenario } from "./types.ts";

const ID = /^[a-z0-9][a-z0-9-]*$/;

export class ScenarioRegistry {
  private readonly byId = new Map<string, Scenario<any>>();

  /** Adds a scenario; throws on a bad or duplicate id so a mistake shows at start-up, not in CI. */
  register<S>(s: Scenario<S>): this {
    if (!ID.test(s.id)) throw new Error(`bench scenario id must match ${ID}, got "${s.id}"`);
    if (this.byId.has(s.id)) throw new Error(`bench scenario "${s.id}" is registered twice`);
    const seen = new Set<string>();
    for (const m of s.metrics) {
      if (!ID.test(m.id)) throw new Error(`bench metric id must match ${ID}, got "${s.id}.${m.id}"`);
      if (seen.has(m.id)) throw new Error(`bench metric "${s.id}.${m.id}" is declared twice`);
      seen.add(m.id);
    }
    this.byId.set(s.id, s);
    return this;
  }

  get(id: string): Scenario<any> | undefined {
    return this.byId.get(id);
  }

  /** In registration order (references such as memcpy are registered first). */
  list(): Scenario<any>[] {
    return [...this.byId.values()];
  }

  /**
   * The scenarios to run for the requested ids (all when empty), plus the scenarios their
   * metrics use as references, references first. Unknown ids are returned separately.
   */
  resolve(ids: string[]): { scenarios: Scenario<any>[]; unknown: string[] } {
    const unknown = ids.filter((id) => !this.byId.has(id));
    const wanted = new Set(ids.length === 0 ? this.byId.keys() : ids.filter((id) => this.byId.has(id)));
    for (const id of [...wanted]) {
      for (const m of this.byId.get(id)!.metrics) {
        const ref = m.reference?.split(".")[0];
        if (ref && this.byId.has(ref)) wanted.add(ref);
      }
    }
    const refs = new Set<string>();
    for (const s of this.byId.values()) for (const m of s.metrics) if (m.reference) refs.add(m.reference.split(".")[0]);
    const ordered = this.list().filter((s) => wanted.has(s.id));
    return { scenarios: [...ordered.filter((s) => refs.has(s.id)), ...ordered.filter((s) => !refs.has(s.id))], unknown };
  }
}
