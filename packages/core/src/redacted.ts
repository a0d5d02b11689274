import { inspect } from 'node:util';

const redactedText = '<redacted>';
const secrets = new WeakMap<Redacted, string>();

/**
 * Holds a secret (a password, a token) so that it never prints: not in `inspect()`, `String()`,
 * `JSON.stringify()` or template strings. `Redacted.value(secret)` is the only way to read it.
 */
export class Redacted {
  private constructor(secret: string) {
    secrets.set(this, secret);
  }

  static make(secret: string | Redacted): Redacted {
    return secret instanceof Redacted ? secret : new Redacted(secret);
  }

  /** The secret itself: for handing to the client that needs it, nowhere else. */
  static value(secret: Redacted): string {
    const value = secrets.get(secret);
    if (value === undefined) throw new TypeError('not a Redacted value');
    return value;
  }

  toString(): string {
    return redactedText;
  }

  toJSON(): string {
    return redactedText;
  }

  [inspect.custom](): string {
    return redactedText;
  }
}
