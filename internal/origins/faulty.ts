// An origin wrapper that injects faults, for failover tests (here and in the mount's tests):
// "error" fails every call, "hang" never answers, "slow" answers after a delay. The mode can
// change at any moment, e.g. in the middle of a file.
import type { DirEntry, FileStat, HealthReport, Origin, OriginErrorCode, OriginType } from "./types.ts";
import { OriginError } from "./types.ts";

export type FaultMode =
  | { kind: "ok" }
  | { kind: "error"; code?: OriginErrorCode }
  | { kind: "hang" }
  | { kind: "slow"; delayMs: number };

export class FaultyOrigin implements Origin {
  mode: FaultMode = { kind: "ok" };
  /** Reads answered with data. */
  served = 0;
  calls = 0;
  private readonly hung = new Set<() => void>();

  constructor(readonly inner: Origin, readonly id = inner.id, readonly type: OriginType = inner.type) {}

  get displayName(): string {
    return `faulty(${this.inner.displayName})`;
  }

  setMode(mode: FaultMode): void {
    this.mode = mode;
  }

  private async gate(): Promise<void> {
    this.calls++;
    const m = this.mode;
    if (m.kind === "error") throw new OriginError(m.code ?? "EIO", "injected failure", this.id);
    if (m.kind === "slow") await new Promise((r) => setTimeout(r, m.delayMs));
    if (m.kind === "hang") {
      // Parked until close(), like a TCP connection to a host that vanished.
      await new Promise<void>((_, reject) => this.hung.add(() => reject(new OriginError("ENOTCONN", "closed while hung", this.id))));
    }
  }

  async stat(path: string): Promise<FileStat> {
    await this.gate();
    return this.inner.stat(path);
  }

  async list(dir: string): Promise<DirEntry[]> {
    await this.gate();
    return this.inner.list(dir);
  }

  async read(path: string, offset: number, length: number): Promise<Uint8Array> {
    await this.gate();
    const d = await this.inner.read(path, offset, length);
    this.served++;
    return d;
  }

  async health(): Promise<HealthReport> {
    await this.gate();
    return this.inner.health();
  }

  async close(): Promise<void> {
    for (const f of this.hung) f();
    this.hung.clear();
    await this.inner.close();
  }
}
