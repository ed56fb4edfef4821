import { createHmac } from 'node:crypto';
import { sameSecret } from '../core/secrets.ts';

/** Signs and checks values with the deployment's console secret (HMAC-SHA256). */
export class Signer {
  readonly #key: string;
  constructor(key: string) {
    this.#key = key;
  }

  mac(purpose: string, value: string): string {
    return createHmac('sha256', this.#key).update(`${purpose}\n${value}`).digest('base64url');
  }

  /** `value.signature`, for a cookie. */
  sign(purpose: string, value: string): string {
    return `${value}.${this.mac(purpose, value)}`;
  }

  /** The value of a signed string, or undefined when the signature does not match. */
  unsign(purpose: string, signed: string): string | undefined {
    const dot = signed.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const value = signed.slice(0, dot);
    return this.matches(purpose, value, signed.slice(dot + 1)) ? value : undefined;
  }

  matches(purpose: string, value: string, mac: string): boolean {
    return sameSecret(mac, this.mac(purpose, value));
  }
}
