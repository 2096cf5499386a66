// Bearer-token authentication as a Connect interceptor, so it covers every service registered on
// the server (including ones added by other packages) and all three protocols alike.
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { createHash, timingSafeEqual } from "node:crypto";

/** Services a probe must reach without credentials; they reveal nothing but "up or down". */
const PUBLIC_SERVICES = new Set(["grpc.health.v1.Health"]);

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}

/**
 * Compares in constant time. Hashing first gives equal-length inputs, so neither the content
 * nor the length of the token leaks through timing.
 */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Extracts the token from "Bearer <token>" (scheme case-insensitive); null if absent or malformed. */
export function bearerToken(header: string | null): string | null {
  if (header === null) return null;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : null;
}

/**
 * Rejects calls without `authorization: Bearer <token>` matching `expected`. The token is never
 * put into an error message or a log line.
 */
export function tokenInterceptor(expected: string): Interceptor {
  return (next) => async (req) => {
    if (!PUBLIC_SERVICES.has(req.service.typeName)) {
      const presented = bearerToken(req.header.get("authorization"));
      if (presented === null) throw new ConnectError("missing bearer token (send the header authorization: Bearer <token>)", Code.Unauthenticated);
      if (!tokenMatches(presented, expected)) throw new ConnectError("invalid bearer token", Code.Unauthenticated);
    }
    return next(req);
  };
}
