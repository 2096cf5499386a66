// Query string → AST. Hand-written recursive descent so every error carries an exact position.
//
//   query   := or
//   or      := and ("OR" and)*
//   and     := unary (["AND"] unary)*          adjacent terms are AND-ed
//   unary   := ("NOT" | "-") unary | primary
//   primary := "(" or ")" | field ":" value | phrase | word
import type { Node, TextMode, TextNode } from "./ast.ts";
import { QueryError } from "./errors.ts";
import { FIELD_NAMES, lookupField, type FieldDef } from "./fields.ts";

const MAX_FUZZY = 2;
export const MIN_PREFIX = 2;
const STOP = new Set([" ", "\t", "\n", "\r", "(", ")", '"']);

export function parseQuery(query: string): Node {
  return new Parser(query).parse();
}

class Parser {
  private i = 0;
  constructor(private readonly src: string) {}

  private fail(message: string, pos = this.i): never {
    throw new QueryError(message, pos, this.src);
  }

  private ws(): void {
    while (this.i < this.src.length && /\s/.test(this.src[this.i])) this.i++;
  }

  private atEnd(): boolean {
    return this.i >= this.src.length;
  }

  /** An uppercase operator keyword at the cursor, standing alone. */
  private keyword(k: "AND" | "OR" | "NOT" | "TO"): boolean {
    if (!this.src.startsWith(k, this.i)) return false;
    const next = this.src[this.i + k.length];
    return next === undefined || /\s/.test(next) || next === "(" || next === '"' || (k === "NOT" && next === "-");
  }

  parse(): Node {
    this.ws();
    if (this.atEnd()) this.fail("empty query", 0);
    const n = this.parseOr();
    this.ws();
    if (!this.atEnd()) this.fail(this.src[this.i] === ")" ? "unmatched ')'" : "unexpected input");
    return n;
  }

  private expectTerm(after: string): void {
    this.ws();
    if (this.atEnd() || this.src[this.i] === ")" || this.keyword("OR") || this.keyword("AND")) this.fail(`expected a term after ${after}`);
  }

  private parseOr(): Node {
    const pos = this.i;
    const items = [this.parseAnd()];
    for (;;) {
      this.ws();
      if (!this.keyword("OR")) break;
      this.i += 2;
      this.expectTerm("OR");
      items.push(this.parseAnd());
    }
    return items.length === 1 ? items[0] : { kind: "or", items, pos };
  }

  private parseAnd(): Node {
    const pos = this.i;
    const items = [this.parseUnary()];
    for (;;) {
      this.ws();
      if (this.atEnd() || this.src[this.i] === ")" || this.keyword("OR")) break;
      if (this.keyword("AND")) {
        this.i += 3;
        this.expectTerm("AND");
      }
      items.push(this.parseUnary());
    }
    return items.length === 1 ? items[0] : { kind: "and", items, pos };
  }

  private parseUnary(): Node {
    this.ws();
    const pos = this.i;
    if (this.keyword("AND") || this.keyword("OR")) this.fail(`${this.keyword("OR") ? "OR" : "AND"} needs a term on its left`);
    if (this.keyword("NOT")) {
      this.i += 3;
      this.expectTerm("NOT");
      return { kind: "not", item: this.parseUnary(), pos };
    }
    if (this.src[this.i] === "-") {
      const next = this.src[this.i + 1];
      if (next === undefined || /\s/.test(next) || next === ")") this.fail("'-' must be followed by a term (quote it to search for a dash)");
      this.i++;
      return { kind: "not", item: this.parsePrimary(), pos };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Node {
    this.ws();
    const pos = this.i;
    const c = this.src[this.i];
    if (c === "(") {
      this.i++;
      this.ws();
      if (this.src[this.i] === ")") this.fail("empty parentheses");
      if (this.atEnd()) this.fail("missing ')'", pos);
      const n = this.parseOr();
      this.ws();
      if (this.src[this.i] !== ")") this.fail("missing ')' for this '('", pos);
      this.i++;
      return n;
    }
    if (c === ")") this.fail("unexpected ')'");
    if (c === '"') return { kind: "text", field: null, mode: "phrase", value: this.readPhrase(), distance: 0, pos };
    const m = /^([A-Za-z_]+):/.exec(this.src.slice(this.i, this.i + 40));
    if (m) {
      const def = lookupField(m[1]);
      if (!def) this.fail(`unknown field '${m[1]}' (fields: ${FIELD_NAMES.join(", ")}; quote the term to search for a colon)`);
      this.i += m[0].length;
      return this.parseFieldValue(def, pos);
    }
    return this.wordNode(null, this.readWord(), pos);
  }

  private readWord(): string {
    const start = this.i;
    while (this.i < this.src.length && !STOP.has(this.src[this.i])) this.i++;
    return this.src.slice(start, this.i);
  }

  private readPhrase(): string {
    const open = this.i;
    this.i++;
    let out = "";
    while (this.i < this.src.length && this.src[this.i] !== '"') {
      if (this.src[this.i] === "\\" && this.i + 1 < this.src.length) this.i++;
      out += this.src[this.i++];
    }
    if (this.atEnd()) this.fail("unterminated quote", open);
    this.i++;
    if (out.trim() === "") this.fail("empty phrase", open);
    return out;
  }

  /** Wildcards and fuzziness in a bare or field word. */
  private wordNode(field: string | null, word: string, pos: number): Node {
    if (word === "") this.fail("expected a term");
    if (word === "*") {
      if (field !== null) this.fail("'*' alone matches everything; drop the field", pos);
      return { kind: "all", pos };
    }
    let mode: TextMode = "word";
    let value = word;
    let distance = 0;
    const fuzzy = /~(\d*)$/.exec(word);
    if (fuzzy && word.length > fuzzy[0].length) {
      distance = fuzzy[1] === "" ? 1 : Number(fuzzy[1]);
      if (distance > MAX_FUZZY) this.fail(`fuzzy distance must be 0, 1 or 2, not ${fuzzy[1]}`, pos + fuzzy.index + 1);
      value = word.slice(0, fuzzy.index);
      mode = "fuzzy";
    } else if (word.length > 2 && word.startsWith("*") && word.endsWith("*")) {
      mode = "substring";
      value = word.slice(1, -1);
    } else if (word.length > 1 && word.startsWith("*")) {
      mode = "substring";
      value = word.slice(1);
    } else if (word.length > 1 && word.endsWith("*")) {
      mode = "prefix";
      value = word.slice(0, -1);
    }
    // One-character prefixes match most of a catalog and have no prefix index: refuse them.
    if (mode === "prefix" && [...value].length < MIN_PREFIX) this.fail(`a prefix needs at least ${MIN_PREFIX} characters before '*'`, pos);
    const star = value.indexOf("*");
    if (star >= 0) this.fail("'*' works only at the start or end of a word", pos + word.indexOf(value) + star);
    if (mode === "fuzzy" && /[*~]/.test(value)) this.fail("fuzzy terms cannot have wildcards", pos);
    return { kind: "text", field, mode, value, distance, pos } satisfies TextNode;
  }

  private parseFieldValue(def: FieldDef, fieldPos: number): Node {
    const pos = this.i;
    const c = this.src[this.i];
    if (c === undefined || /\s/.test(c) || c === ")") this.fail(`missing value after '${def.name}:'`);
    if (def.kind === "number") return this.parseNumberValue(def, fieldPos);
    if (def.kind === "flag") {
      const w = this.readWord().toLowerCase();
      if (["yes", "true", "1"].includes(w)) return { kind: "flag", field: def.name, value: true, pos: fieldPos };
      if (["no", "false", "0"].includes(w)) return { kind: "flag", field: def.name, value: false, pos: fieldPos };
      this.fail(`'${def.name}:' takes yes or no`, pos);
    }
    if (c === "[" || c === "{" || c === ">" || c === "<") this.fail(`ranges work only on numeric fields (year, track, disc, bitrate, samplerate, duration, size, id)`, pos);
    if (c === "=") {
      this.i++;
      const value = this.src[this.i] === '"' ? this.readPhrase() : this.readWord();
      if (value === "") this.fail(`missing value after '${def.name}:='`);
      return { kind: "text", field: def.name, mode: "exact", value, distance: 0, pos: fieldPos };
    }
    if (c === '"') return { kind: "text", field: def.name, mode: "phrase", value: this.readPhrase(), distance: 0, pos: fieldPos };
    return this.wordNode(def.name, this.readWord(), fieldPos);
  }

  private number(def: FieldDef, text: string, pos: number): number {
    const m = /^(\d+(?:\.\d+)?)([kmg]i?b?)?$/i.exec(text);
    const mmss = /^(\d+):([0-5]\d)$/.exec(text);
    if (def.name === "duration" && mmss) return Number(mmss[1]) * 60 + Number(mmss[2]);
    if (!m || (m[2] && def.name !== "size")) this.fail(`'${text}' is not a number`, pos);
    const unit = m[2] ? 1024 ** ("kmg".indexOf(m[2][0].toLowerCase()) + 1) : 1;
    return Number(m[1]) * unit;
  }

  private parseNumberValue(def: FieldDef, fieldPos: number): Node {
    const field = def.name;
    const pos = this.i;
    const c = this.src[this.i];
    if (c === "[" || c === "{") {
      // Lucene/tantivy form: [a TO b] inclusive, {a TO b} exclusive, * for an open end.
      this.i++;
      this.ws();
      const loPos = this.i;
      const loText = this.readBound();
      if (loText === "") this.fail("expected a lower bound");
      this.ws();
      if (!this.keyword("TO")) this.fail("expected 'TO'");
      this.i += 2;
      this.ws();
      const hiPos = this.i;
      const hiText = this.readBound();
      if (hiText === "") this.fail("expected an upper bound");
      this.ws();
      const close = this.src[this.i];
      if (close !== "]" && close !== "}") this.fail(`missing '${c === "[" ? "]" : "}"}'`, this.atEnd() ? pos : this.i);
      this.i++;
      return {
        kind: "range",
        field,
        lo: loText === "*" ? null : this.number(def, loText, loPos),
        hi: hiText === "*" ? null : this.number(def, hiText, hiPos),
        loInclusive: c === "[",
        hiInclusive: close === "]",
        pos: fieldPos,
      };
    }
    if (c === "=") this.i++;
    const cmp = /^(>=|<=|>|<)/.exec(this.src.slice(this.i, this.i + 2));
    if (cmp) {
      this.i += cmp[1].length;
      const at = this.i;
      const text = this.readWord();
      if (text === "") this.fail(`missing number after '${cmp[1]}'`);
      const v = this.number(def, text, at);
      const op = cmp[1];
      return { kind: "range", field, lo: op[0] === ">" ? v : null, hi: op[0] === "<" ? v : null, loInclusive: op === ">=", hiInclusive: op === "<=", pos: fieldPos };
    }
    const at = this.i;
    const text = this.readWord();
    if (text === "") this.fail(`missing number after '${field}:'`);
    const dots = text.indexOf("..");
    if (dots >= 0) {
      const loText = text.slice(0, dots);
      const hiText = text.slice(dots + 2);
      if (loText === "" && hiText === "") this.fail("a range needs at least one bound", at);
      return {
        kind: "range",
        field,
        lo: loText === "" ? null : this.number(def, loText, at),
        hi: hiText === "" ? null : this.number(def, hiText, at + dots + 2),
        loInclusive: true,
        hiInclusive: true,
        pos: fieldPos,
      };
    }
    const v = this.number(def, text, at);
    return { kind: "range", field, lo: v, hi: v, loInclusive: true, hiInclusive: true, pos: fieldPos };
  }

  private readBound(): string {
    const start = this.i;
    while (this.i < this.src.length && !/[\s\]}]/.test(this.src[this.i])) this.i++;
    return this.src.slice(start, this.i);
  }
}
