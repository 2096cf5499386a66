// The query AST. Every node keeps `pos`, its offset in the query string, for error messages.

export type TextMode = "word" | "phrase" | "prefix" | "fuzzy" | "substring" | "exact";

export interface TextNode {
  kind: "text";
  /** Query field name (see fields.ts), or null for the default fields. */
  field: string | null;
  mode: TextMode;
  value: string;
  /** Edit distance for fuzzy terms. */
  distance: number;
  pos: number;
}

export interface RangeNode {
  kind: "range";
  field: string;
  /** Bounds in query units (scaled to column units by the compiler); null = open. */
  lo: number | null;
  hi: number | null;
  loInclusive: boolean;
  hiInclusive: boolean;
  pos: number;
}

export interface FlagNode {
  kind: "flag";
  field: string;
  value: boolean;
  pos: number;
}

export interface AllNode {
  kind: "all";
  pos: number;
}

export interface BoolNode {
  kind: "and" | "or";
  items: Node[];
  pos: number;
}

export interface NotNode {
  kind: "not";
  item: Node;
  pos: number;
}

export type Node = TextNode | RangeNode | FlagNode | AllNode | BoolNode | NotNode;
