import { timingSafeEqual } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import type { Secret } from '@gw/kernel';

const VERIFIER_BYTES = 32;
const PEPPER_CONTEXT = 'llm-gateway/key-verifier/v1';

/**
 * Computes the stored verifier of a gateway key: BLAKE2b of the secret, keyed with a key derived
 * from SERVER_PEPPER. A database dump without the pepper cannot test guesses against it, and it is
 * unrelated to the vault's key derivation, so it reveals nothing about vault material.
 */
export class KeyVerifier {
  private readonly pepperKey: Uint8Array;
  // Compared against when the public id is unknown, so unknown ids cost the same as wrong secrets.
  private readonly decoy: Uint8Array;

  private constructor(pepper: string) {
    this.pepperKey = sodium.crypto_generichash(32, `${PEPPER_CONTEXT}\0${pepper}`, null);
    this.decoy = sodium.crypto_generichash(VERIFIER_BYTES, 'decoy', this.pepperKey);
  }

  static async create(pepper: string): Promise<KeyVerifier> {
    await sodium.ready;
    return new KeyVerifier(pepper);
  }

  compute(publicId: string, secret: Secret<Uint8Array>): Buffer {
    const message = Buffer.concat([Buffer.from(`${publicId}\0`), secret.reveal()]);
    const digest = Buffer.from(sodium.crypto_generichash(VERIFIER_BYTES, message, this.pepperKey));
    message.fill(0);
    return digest;
  }

  /** Constant-time check; `stored` null (unknown or revoked key) still does the full work. */
  matches(publicId: string, secret: Secret<Uint8Array>, stored: Uint8Array | null): boolean {
    const actual = this.compute(publicId, secret);
    const expected = stored && stored.length === VERIFIER_BYTES ? stored : this.decoy;
    const equal = timingSafeEqual(actual, expected);
    return equal && expected !== this.decoy;
  }
}
