// The query language (docs/query-language.md) over the catalog: parser → AST → parameterised SQL.
export { search, SORT_KEYS, DEFAULT_LIMIT, MAX_LIMIT, MIN_RANKED_TERM, RANK_CAP, type SearchOptions, type SearchResult, type SearchHit, type SortKey } from "./search.ts";
export { parseQuery } from "./parser.ts";
export { compileQuery, type CompiledQuery } from "./compile.ts";
export { QueryError, caretLines } from "./errors.ts";
export { FIELDS, FIELD_NAMES, type FieldDef } from "./fields.ts";
export type { Node } from "./ast.ts";
