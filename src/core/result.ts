/**
 * Expected outcomes are values, not exceptions: a service returns `Ok` or a `Refusal`
 * whose `code` is a closed literal union and whose `message` is a sentence for a person.
 * Exceptions are reserved for bugs and infrastructure faults.
 */
export interface Refusal<Code extends string = string> {
  readonly ok: false;
  readonly code: Code;
  readonly message: string;
}

export interface Ok<T> {
  readonly ok: true;
  readonly value: T;
}

export type Result<T, Code extends string = string> = Ok<T> | Refusal<Code>;

export function ok<T>(value: T): Ok<T> {
  return { ok: true, value };
}

export function refuse<Code extends string>(code: Code, message: string): Refusal<Code> {
  return { ok: false, code, message };
}

/** Thrown inside a transaction to roll it back while carrying a refusal out of it. */
export class RefusalAbort<Code extends string> extends Error {
  constructor(readonly refusal: Refusal<Code>) {
    super(refusal.message);
    this.name = 'RefusalAbort';
  }
}
