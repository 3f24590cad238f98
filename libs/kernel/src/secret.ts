import { inspect } from 'node:util';

/** What a secret prints as, and what replaces one found in text. */
export const REDACTED = '[REDACTED]';

/**
 * Wraps a secret so that it cannot reach a log line, a JSON body or an error message by accident:
 * every way of printing it prints `[REDACTED]`. Call `reveal()` only in the scope that uses it.
 */
export class Secret<T> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  reveal(): T {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
