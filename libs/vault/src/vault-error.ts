/** Why a vault operation failed. Never carries key material or plaintext. */
export type VaultErrorKind =
  | 'malformed' // too short, or not the structure a version byte promises
  | 'unsupported_version' // a version byte this code does not know
  | 'decrypt_failed' // wrong key or tampered ciphertext (AEAD/box authentication failed)
  | 'binding_mismatch'; // decrypted, but the blob belongs to another row, tenant or provider

export class VaultError extends Error {
  constructor(
    readonly kind: VaultErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'VaultError';
  }
}
