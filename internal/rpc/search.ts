// Request validation, the 5 s search deadline and error mapping for Search and SearchStream.
// Documented errors (predecessor's API doc): empty query and limit > 10000 → INVALID_ARGUMENT,
// syntax error → INVALID_ARGUMENT, no index → UNAVAILABLE, past 5 s → DEADLINE_EXCEEDED.
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { SearchRequest } from "../../proto/gen/musicfs/v1/musicfs_pb.ts";
import { asSyntaxError, type SearchBackend, type SearchResult } from "./backend.ts";

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10_000;
export const SEARCH_DEADLINE_MS = 5_000;
/** Longer queries are almost certainly not typed by a person; refuse instead of parsing them. */
export const MAX_QUERY_BYTES = 4096;

export interface ValidSearch {
  query: string;
  /** Characters trimmed from the front, added back to syntax-error positions. */
  lead: number;
  limit: number;
  offset: number;
  originId?: string;
}

export function validateSearch(req: SearchRequest): ValidSearch {
  const query = req.query.trim();
  if (query === "") throw new ConnectError("Query cannot be empty", Code.InvalidArgument);
  if (Buffer.byteLength(query, "utf8") > MAX_QUERY_BYTES) throw new ConnectError(`Query exceeds maximum length (${MAX_QUERY_BYTES} bytes)`, Code.InvalidArgument);
  const limit = req.limit ?? DEFAULT_LIMIT;
  if (limit > MAX_LIMIT) throw new ConnectError(`Limit exceeds maximum (${MAX_LIMIT})`, Code.InvalidArgument);
  const lead = req.query.length - req.query.trimStart().length;
  return { query, lead, limit, offset: req.offset ?? 0, originId: req.originId || undefined };
}

export function requireBackend(backend: SearchBackend | undefined): SearchBackend {
  if (!backend) throw new ConnectError("no catalog is loaded: start the server with `musicfs serve --db PATH`", Code.Unavailable);
  return backend;
}

/**
 * Runs one backend search under the deadline `deadlineAt` (epoch ms) and the client's own signal.
 * An async backend is abandoned at the deadline (and told so through its signal); a synchronous
 * one (bun:sqlite) cannot be interrupted from here, so a result that arrives late is discarded
 * rather than sent as if nothing happened.
 */
export async function searchWithDeadline(
  backend: SearchBackend,
  q: ValidSearch,
  page: { limit: number; offset: number },
  ctx: HandlerContext,
  deadlineAt: number,
  budgetMs: number,
): Promise<SearchResult> {
  const late = () => new ConnectError(`search exceeded the ${budgetMs} ms deadline`, Code.DeadlineExceeded);
  const ac = new AbortController();
  const forward = () => ac.abort(ctx.signal.reason);
  if (ctx.signal.aborted) forward();
  ctx.signal.addEventListener("abort", forward);
  const timer = setTimeout(() => ac.abort(late()), Math.max(0, deadlineAt - Date.now()));
  try {
    const work = Promise.resolve().then(() =>
      backend.search(q.query, { limit: page.limit, offset: page.offset, sort: "relevance", originId: q.originId, signal: ac.signal }),
    );
    const aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(ac.signal.reason);
      if (ac.signal.aborted) fail();
      else ac.signal.addEventListener("abort", fail, { once: true });
    });
    aborted.catch(() => {}); // only observed through the race below
    const res = await Promise.race([work, aborted]);
    if (Date.now() > deadlineAt) throw late();
    return res;
  } catch (e) {
    throw toConnectError(e, q.lead);
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener("abort", forward);
  }
}

function toConnectError(e: unknown, lead: number): ConnectError {
  if (e instanceof ConnectError) return e;
  const syntax = asSyntaxError(e);
  if (syntax) {
    // Positions count characters of the query as the client sent it.
    const at = syntax.position === undefined ? "" : ` at position ${syntax.position + lead}`;
    return new ConnectError(`query syntax error${at}: ${syntax.message}`, Code.InvalidArgument);
  }
  if (e instanceof Error && (e.name === "AbortError" || e.name === "TimeoutError")) return new ConnectError(e.message, Code.DeadlineExceeded);
  // Keep internals (SQL, paths) out of the message; the cause is kept for the server's log.
  return new ConnectError("search failed inside the server", Code.Internal, undefined, undefined, e);
}
