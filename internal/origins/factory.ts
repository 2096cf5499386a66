// Builds origins and the router from a validated config. Credentials are resolved here, at the
// last moment, so they live only inside the origin that needs them.
import { type Credentials, resolveCredentials } from "../config/credentials.ts";
import type { MusicFsConfig, OriginConfig } from "../config/index.ts";
import { LocalOrigin } from "./local.ts";
import { createNfsOrigin, createSmbOrigin } from "./mounted-share.ts";
import { Router, type RouterEvent } from "./router.ts";
import { S3Origin } from "./s3.ts";
import { SftpOrigin } from "./sftp.ts";
import type { Origin } from "./types.ts";

export interface FactoryOptions {
  env?: Record<string, string | undefined>;
  warn?: (message: string) => void;
  onEvent?: (e: RouterEvent) => void;
}

export function createOrigin(c: OriginConfig, i: number, opts: FactoryOptions = {}, configFile?: string): Origin {
  const creds = (): Credentials | undefined =>
    "credentials" in c && c.credentials ? resolveCredentials(c.credentials, `origins[${i}].credentials`, { env: opts.env, warn: opts.warn, configFile }) : undefined;
  switch (c.type) {
    case "local":
      return new LocalOrigin({ id: c.id, root: c.path });
    case "nfs":
      return createNfsOrigin({ id: c.id, path: c.path, remote: c.remote });
    case "smb":
      return createSmbOrigin({ id: c.id, path: c.path, remote: c.remote });
    case "s3":
      return new S3Origin({ id: c.id, bucket: c.bucket, region: c.region, endpoint: c.endpoint, prefix: c.prefix, pathStyle: c.pathStyle, timeoutMs: c.timeoutMs, credentials: creds() });
    case "sftp":
      return new SftpOrigin({
        id: c.id, host: c.host, port: c.port, root: c.path, username: c.user, credentials: creds(), knownHostsPath: c.knownHosts,
        hostKeySha256: c.hostKeySha256, acceptUnknownHostKey: c.acceptUnknownHostKey, poolSize: c.poolSize, timeoutMs: c.timeoutMs,
      });
  }
}

/** A router with every enabled origin of the config registered (health checks not started yet). */
export function createRouter(config: MusicFsConfig, opts: FactoryOptions = {}): Router {
  const router = new Router({ health: config.health, failover: config.failover, onEvent: opts.onEvent });
  config.origins.forEach((c, i) => {
    if (c.enabled) router.add(createOrigin(c, i, opts, config.file), c.priority);
  });
  return router;
}
