// Option values exactly as typed. cac turns numeric-looking values into numbers ("00123" → 123),
// which ruins tokens and ids; commands read those from the raw argv instead.

/** Every value given for `name` (as `--name v` or `--name=v`), in order; stops at `--`. */
export function rawOptions(argv: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") break;
    if (a === name && i + 1 < argv.length) values.push(argv[++i]);
    else if (a.startsWith(`${name}=`)) values.push(a.slice(name.length + 1));
  }
  return values;
}

/** The last value given for `name`, as typed. */
export function rawOption(argv: readonly string[], name: string): string | undefined {
  return rawOptions(argv, name).at(-1);
}
