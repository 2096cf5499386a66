/**
 * A query that cannot be parsed or run. `position` is the 0-based index (UTF-16 code units) into
 * the query string where the problem is. The `name` ends in "SyntaxError" so transports that
 * duck-type errors (internal/rpc) map it to INVALID_ARGUMENT without importing this package.
 */
export class QueryError extends Error {
  override name = "QuerySyntaxError";
  constructor(
    message: string,
    readonly position: number,
    readonly query = "",
  ) {
    super(message);
  }
}

/** Two lines: the query, and a caret under the error position (for terminals). */
export function caretLines(query: string, position: number): string {
  // Control characters would shift the caret; show them as spaces.
  const shown = query.replace(/[\x00-\x1f\x7f]/g, " ");
  const col = [...shown.slice(0, Math.max(0, Math.min(position, shown.length)))].length;
  return `${shown}\n${" ".repeat(col)}^`;
}
