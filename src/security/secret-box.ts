import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A secret as it is stored: the key it was sealed with, and the sealed bytes. */
export interface SealedSecret {
  /** Names the key (not the key itself): a later key can tell its rows from older ones. */
  readonly keyId: string;
  /** IV, GCM tag and ciphertext, in that order. */
  readonly sealed: Buffer;
}

/**
 * Encrypts secrets at rest with AES-256-GCM (node:crypto): a fresh random IV each time, and
 * the authentication tag checked on opening. `context` is bound in as associated data, so a
 * sealed value copied to another row (another workspace's) does not open there.
 */
export class SecretBox {
  readonly keyId: string;
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('an AES-256 key is 32 bytes');
    this.#key = Buffer.from(key);
    // A digest of the key names it: the same key always gets the same id, and it tells nothing.
    this.keyId = createHash('sha256')
      .update('plaudit key id\0')
      .update(key)
      .digest('hex')
      .slice(0, 16);
  }

  seal(plaintext: string, context: string): SealedSecret {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: this.keyId, sealed: Buffer.concat([iv, cipher.getAuthTag(), body]) };
  }

  open(secret: SealedSecret, context: string): string {
    if (secret.keyId !== this.keyId) {
      throw new Error(
        `a secret sealed with key ${secret.keyId} cannot be opened with key ${this.keyId} (PLAUDIT_ENCRYPTION_KEY changed?)`,
      );
    }
    const iv = secret.sealed.subarray(0, IV_BYTES);
    const tag = secret.sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
    const body = secret.sealed.subarray(IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  }
}
