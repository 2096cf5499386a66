// A secret value that cannot leak by accident: every way a value gets printed (String(), template
// strings, JSON.stringify, console.log/util.inspect/Bun.inspect) shows "[REDACTED]". The value is
// in a #private field, which inspectors do not walk; only reveal() hands it out, at the one place
// that needs it (the S3 signer, the SSH handshake).
const INSPECT = Symbol.for("nodejs.util.inspect.custom");
export const REDACTED = "[REDACTED]";

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  get isEmpty(): boolean {
    return this.#value.length === 0;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [INSPECT](): string {
    return REDACTED;
  }
}

/**
 * Removes known secret strings from a message before it is logged or thrown: libraries echo
 * parts of requests in their errors, and those can carry a password or a key.
 */
export function scrub(message: string, secrets: Iterable<Secret | undefined>): string {
  let out = message;
  for (const s of secrets) {
    if (!s || s.isEmpty) continue;
    const v = s.reveal();
    if (v.length >= 4) out = out.split(v).join(REDACTED);
  }
  return out;
}
