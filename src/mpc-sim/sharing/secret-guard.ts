import { ProtocolError } from '../../errors.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * Base of every kind of secret share: converting one to a string, number, primitive or JSON
 * throws a {@link ProtocolError}, and `console.log` shows only {@link SecretGuard.describe}.
 * Plaintext leaves a share only through the counted `reveal` protocol.
 */
export abstract class SecretGuard {
  /** What the share is called in error messages, e.g. `share`. */
  protected abstract get kind(): string;

  /** A description without secret content, for `console.log` / `util.inspect`. */
  abstract describe(): string;

  /** @throws ProtocolError always: a share is not a string. */
  toString(): never {
    throw this.leak('a string');
  }

  /** @throws ProtocolError always: a share is not JSON. */
  toJSON(): never {
    throw this.leak('JSON');
  }

  /** @throws ProtocolError always: a share is not a number. */
  valueOf(): never {
    throw this.leak('a primitive value');
  }

  /** @throws ProtocolError always (covers `+share`, `${share}`, `share + ''`). */
  [Symbol.toPrimitive](hint: string): never {
    throw this.leak(`a ${hint === 'default' ? 'primitive' : hint}`);
  }

  /** What `console.log` / `util.inspect` print. */
  [INSPECT](): string {
    return this.describe();
  }

  private leak(what: string): ProtocolError {
    return new ProtocolError(this.kind, `a secret share cannot be converted to ${what}; open it with the reveal protocol`);
  }
}
