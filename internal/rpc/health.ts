// grpc.health.v1.Health (Check, List, Watch) and the state behind GET /healthz.
// "" (the whole server) and every registered service are SERVING until shutdown starts, then
// NOT_SERVING so load balancers stop sending new calls while in-flight ones drain.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status, HealthCheckResponseSchema, HealthListResponseSchema } from "../../proto/gen/grpc/health/v1/health_pb.ts";

export class HealthState {
  private serving = true;
  private services = new Set<string>([""]);
  private listeners = new Set<() => void>();

  setServices(names: Iterable<string>): void {
    this.services = new Set(["", ...names]);
  }

  /** Flips every service to NOT_SERVING; Watch streams are told and then end. */
  markShuttingDown(): void {
    this.serving = false;
    for (const l of this.listeners) l();
  }

  get isServing(): boolean {
    return this.serving;
  }

  status(service: string): Status | null {
    if (!this.services.has(service)) return null;
    return this.serving ? Status.SERVING : Status.NOT_SERVING;
  }

  list(): string[] {
    return [...this.services];
  }

  onChange(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

export function healthService(state: HealthState): ServiceImpl<typeof Health> {
  return {
    check(req) {
      const s = state.status(req.service);
      if (s === null) throw new ConnectError(`unknown service ${req.service}`, Code.NotFound);
      return create(HealthCheckResponseSchema, { status: s });
    },
    list() {
      const statuses: Record<string, ReturnType<typeof create<typeof HealthCheckResponseSchema>>> = {};
      for (const name of state.list()) statuses[name] = create(HealthCheckResponseSchema, { status: state.status(name) ?? Status.UNKNOWN });
      return create(HealthListResponseSchema, { statuses });
    },
    async *watch(req, ctx) {
      // The spec: an unknown service is reported as SERVICE_UNKNOWN, not an error.
      yield create(HealthCheckResponseSchema, { status: state.status(req.service) ?? Status.SERVICE_UNKNOWN });
      if (!state.isServing) return;
      // Resolves true when the status changed (shutdown), false when the client went away.
      const changed = await new Promise<boolean>((resolve) => {
        const off = state.onChange(() => {
          off();
          resolve(true);
        });
        ctx.signal.addEventListener("abort", () => {
          off();
          resolve(false);
        });
      });
      // The only change is to NOT_SERVING, after which the stream ends so draining can finish.
      if (changed) yield create(HealthCheckResponseSchema, { status: state.status(req.service) ?? Status.SERVICE_UNKNOWN });
    },
  };
}
