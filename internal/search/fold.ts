// Text folding that mirrors the FTS tokenizer (unicode61, remove_diacritics 2): lowercase, accents
// dropped, split on anything that is not a letter or digit.

export function fold(s: string): string {
  return s.normalize("NFD").replace(/\p{M}+/gu, "").toLowerCase();
}

export function tokens(s: string): string[] {
  return fold(s)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t !== "");
}

/** An FTS5 string literal: the text in double quotes, inner quotes doubled. */
export function ftsString(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/** A LIKE pattern matching `s` anywhere, with \ as the escape character. */
export function likeContains(s: string): string {
  return `%${s.replace(/[\\%_]/g, (c) => "\\" + c)}%`;
}
