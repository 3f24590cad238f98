import { randomBytes } from 'node:crypto';
import { Secret } from '@gw/kernel';
import { sodium } from './sodium';
import { VaultError } from './vault-error';

/**
 * The vault's primitives (libsodium):
 * - each tenant has an X25519 key pair; provider secrets are sealed to its public key
 *   (crypto_box_seal), so storing a secret needs no key material at all;
 * - the private key is stored only wrapped (XChaCha20-Poly1305) under keys derived with
 *   crypto_kdf from a gateway-key secret or the recovery key, never from the password or pepper;
 * - every ciphertext starts with a version byte, and AEAD associated data / sealed JSON bind it
 *   to its tenant and row, so a blob copied elsewhere does not open.
 */
export const VAULT_FORMAT_V1 = 1;

const KDF_CONTEXT_GATEWAY_KEY = 'gwkeywrp'; // crypto_kdf contexts are exactly 8 bytes
const KDF_CONTEXT_RECOVERY_KEY = 'gwrecovr';
const KDF_SUBKEY_WRAP = 1;
const XNONCE_BYTES = 24;
const KEY_BYTES = 32;

export interface TenantKeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: Secret<Uint8Array>;
}

export function generateTenantKeyPair(): TenantKeyPair {
  // crypto_box_seed_keypair lets the seed come from Node's CSPRNG (libsodium.js's own is slow here).
  const seed = randomBytes(KEY_BYTES);
  const pair = sodium.crypto_box_seed_keypair(seed);
  seed.fill(0);
  return { publicKey: pair.publicKey, privateKey: new Secret(pair.privateKey) };
}

/** Which secret a wrapping key is derived from; each gets its own KDF context. */
export type WrapSource = 'gateway_key' | 'recovery_key';

/** Derives a 256-bit wrapping key from a 256-bit secret (gateway-key secret or recovery key). */
export function deriveWrappingKey(source: WrapSource, secret: Secret<Uint8Array>): Secret<Uint8Array> {
  const master = secret.reveal();
  if (master.length !== KEY_BYTES) throw new VaultError('malformed', 'a wrapping secret must be 32 bytes');
  const context = source === 'gateway_key' ? KDF_CONTEXT_GATEWAY_KEY : KDF_CONTEXT_RECOVERY_KEY;
  return new Secret(sodium.crypto_kdf_derive_from_key(KEY_BYTES, KDF_SUBKEY_WRAP, context, master));
}

/** What a wrap is bound to: the tenant and the wrap's own identity (a key id or "recovery"). */
export interface WrapBinding {
  readonly tenantId: string;
  readonly holder: string;
}

function wrapAd(binding: WrapBinding): Uint8Array {
  return new TextEncoder().encode(`gw-wrap:v1:${binding.tenantId}:${binding.holder}`);
}

/** version(1) || nonce(24) || XChaCha20-Poly1305(private key, AD = tenant + holder). */
export function wrapPrivateKey(
  privateKey: Secret<Uint8Array>,
  wrappingKey: Secret<Uint8Array>,
  binding: WrapBinding,
): Uint8Array {
  const nonce = randomBytes(XNONCE_BYTES);
  const ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    privateKey.reveal(),
    wrapAd(binding),
    null,
    nonce,
    wrappingKey.reveal(),
  );
  const out = new Uint8Array(1 + XNONCE_BYTES + ciphertext.length);
  out[0] = VAULT_FORMAT_V1;
  out.set(nonce, 1);
  out.set(ciphertext, 1 + XNONCE_BYTES);
  return out;
}

export function unwrapPrivateKey(wrapped: Uint8Array, wrappingKey: Secret<Uint8Array>, binding: WrapBinding): Secret<Uint8Array> {
  checkVersion(wrapped, 1 + XNONCE_BYTES + KEY_BYTES + sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES);
  const nonce = wrapped.subarray(1, 1 + XNONCE_BYTES);
  const ciphertext = wrapped.subarray(1 + XNONCE_BYTES);
  try {
    return new Secret(
      sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, wrapAd(binding), nonce, wrappingKey.reveal()),
    );
  } catch {
    throw new VaultError('decrypt_failed', 'the wrapped key does not open with this key');
  }
}

/** What a sealed provider secret is bound to. */
export interface SealBinding {
  readonly tenantId: string;
  readonly rowId: string;
  readonly provider: string;
}

interface SealedEnvelope extends SealBinding {
  readonly v: number;
  readonly secret: unknown;
}

/** version(1) || crypto_box_seal(JSON {v, tenantId, rowId, provider, secret}) to the tenant's public key. */
export function sealSecret(publicKey: Uint8Array, binding: SealBinding, secret: Secret<unknown>): Uint8Array {
  const envelope: SealedEnvelope = { v: VAULT_FORMAT_V1, ...binding, secret: secret.reveal() };
  const plaintext = new TextEncoder().encode(JSON.stringify(envelope));
  const sealed = sodium.crypto_box_seal(plaintext, publicKey);
  plaintext.fill(0);
  const out = new Uint8Array(1 + sealed.length);
  out[0] = VAULT_FORMAT_V1;
  out.set(sealed, 1);
  return out;
}

/** Opens a sealed secret and checks that it belongs to this row, tenant and provider. */
export function openSecret(
  blob: Uint8Array,
  keyPair: { publicKey: Uint8Array; privateKey: Secret<Uint8Array> },
  binding: SealBinding,
): Secret<unknown> {
  checkVersion(blob, 1 + sodium.crypto_box_SEALBYTES + 2);
  let plaintext: Uint8Array;
  try {
    plaintext = sodium.crypto_box_seal_open(blob.subarray(1), keyPair.publicKey, keyPair.privateKey.reveal());
  } catch {
    throw new VaultError('decrypt_failed', 'the sealed secret does not open with this tenant key');
  }
  let envelope: Partial<SealedEnvelope> | null;
  try {
    envelope = JSON.parse(new TextDecoder().decode(plaintext)) as Partial<SealedEnvelope> | null;
  } catch {
    throw new VaultError('malformed', 'the sealed secret is not a valid envelope');
  } finally {
    plaintext.fill(0);
  }
  if (typeof envelope !== 'object' || envelope === null || envelope.v !== VAULT_FORMAT_V1) {
    throw new VaultError('malformed', 'the sealed secret is not a valid envelope');
  }
  if (envelope.tenantId !== binding.tenantId || envelope.rowId !== binding.rowId || envelope.provider !== binding.provider) {
    throw new VaultError('binding_mismatch', 'the sealed secret belongs to another row');
  }
  return new Secret(envelope.secret);
}

/** The public key of a private key (to pair a freshly unwrapped private key with its public half). */
export function publicKeyOf(privateKey: Secret<Uint8Array>): Uint8Array {
  return sodium.crypto_scalarmult_base(privateKey.reveal());
}

function checkVersion(blob: Uint8Array, minimumLength: number): void {
  if (blob.length === 0) throw new VaultError('malformed', 'empty ciphertext');
  if (blob[0] !== VAULT_FORMAT_V1) throw new VaultError('unsupported_version', `unknown vault format version ${String(blob[0])}`);
  if (blob.length < minimumLength) throw new VaultError('malformed', 'ciphertext too short');
}

/** Best-effort wipe of a buffer we own (libsodium.js keeps its own copies in WASM memory). */
export function wipe(...buffers: (Uint8Array | Secret<Uint8Array> | null | undefined)[]): void {
  for (const buffer of buffers) {
    if (!buffer) continue;
    (buffer instanceof Uint8Array ? buffer : buffer.reveal()).fill(0);
  }
}
