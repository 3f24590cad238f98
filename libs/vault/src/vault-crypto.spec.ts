import { randomBytes } from 'node:crypto';
import { Secret } from '@gw/kernel';
import { generateRecoveryKey, parseRecoveryKey } from './recovery-key';
import { vaultReady } from './sodium';
import {
  deriveWrappingKey,
  generateTenantKeyPair,
  openSecret,
  publicKeyOf,
  sealSecret,
  unwrapPrivateKey,
  VAULT_FORMAT_V1,
  wrapPrivateKey,
} from './vault-crypto';
import { VaultError, type VaultErrorKind } from './vault-error';

beforeAll(vaultReady);

const secret32 = () => new Secret(new Uint8Array(randomBytes(32)));
const binding = { tenantId: 'tenant-a', rowId: 'row-1', provider: 'openrouter' };

function expectVaultError(fn: () => unknown, kind: VaultErrorKind): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(VaultError);
    expect((error as VaultError).kind).toBe(kind);
    return;
  }
  throw new Error(`expected a VaultError(${kind})`);
}

function flip(blob: Uint8Array, index: number): Uint8Array {
  const copy = blob.slice();
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}

describe('wrapping the tenant private key', () => {
  const wrapBinding = { tenantId: 'tenant-a', holder: 'key-1' };
  let pair: ReturnType<typeof generateTenantKeyPair>;
  let gatewaySecret: Secret<Uint8Array>;
  let wrapKey: Secret<Uint8Array>;
  let wrapped: Uint8Array;
  beforeAll(() => {
    pair = generateTenantKeyPair();
    gatewaySecret = secret32();
    wrapKey = deriveWrappingKey('gateway_key', gatewaySecret);
    wrapped = wrapPrivateKey(pair.privateKey, wrapKey, wrapBinding);
  });

  it('round-trips and yields the same key pair', () => {
    const opened = unwrapPrivateKey(wrapped, deriveWrappingKey('gateway_key', gatewaySecret), wrapBinding);
    expect(Buffer.from(opened.reveal()).equals(Buffer.from(pair.privateKey.reveal()))).toBe(true);
    expect(Buffer.from(publicKeyOf(opened)).equals(Buffer.from(pair.publicKey))).toBe(true);
  });

  it('starts with the version byte and uses a fresh nonce every time', () => {
    expect(wrapped[0]).toBe(VAULT_FORMAT_V1);
    const again = wrapPrivateKey(pair.privateKey, wrapKey, wrapBinding);
    expect(Buffer.from(again).equals(Buffer.from(wrapped))).toBe(false);
  });

  it('derives different wrapping keys per source and per secret', () => {
    const asRecovery = deriveWrappingKey('recovery_key', gatewaySecret);
    expect(Buffer.from(asRecovery.reveal()).equals(Buffer.from(wrapKey.reveal()))).toBe(false);
    expectVaultError(() => unwrapPrivateKey(wrapped, asRecovery, wrapBinding), 'decrypt_failed');
    expectVaultError(
      () => unwrapPrivateKey(wrapped, deriveWrappingKey('gateway_key', secret32()), wrapBinding),
      'decrypt_failed',
    );
  });

  it.each([
    ['a flipped ciphertext byte', (b: Uint8Array) => flip(b, b.length - 5), 'decrypt_failed'],
    ['a flipped tag byte', (b: Uint8Array) => flip(b, b.length - 1), 'decrypt_failed'],
    ['a flipped nonce byte', (b: Uint8Array) => flip(b, 3), 'decrypt_failed'],
    ['an unknown version', (b: Uint8Array) => Uint8Array.from([2, ...b.subarray(1)]), 'unsupported_version'],
    ['a truncated blob', (b: Uint8Array) => b.subarray(0, 20), 'malformed'],
    ['an empty blob', () => new Uint8Array(0), 'malformed'],
  ] as const)('refuses %s with a typed error', (_name, mutate, kind) => {
    expectVaultError(() => unwrapPrivateKey(mutate(wrapped), wrapKey, wrapBinding), kind);
  });

  it('refuses a wrap moved to another key or tenant', () => {
    expectVaultError(() => unwrapPrivateKey(wrapped, wrapKey, { tenantId: 'tenant-a', holder: 'key-2' }), 'decrypt_failed');
    expectVaultError(() => unwrapPrivateKey(wrapped, wrapKey, { tenantId: 'tenant-b', holder: 'key-1' }), 'decrypt_failed');
  });

  it('refuses wrapping secrets that are not 256 bits', () => {
    expectVaultError(() => deriveWrappingKey('gateway_key', new Secret(new Uint8Array(16))), 'malformed');
  });
});

describe('sealing provider secrets', () => {
  const canary = { api_key: 'sk-canary-0123456789', endpoint_url: 'https://example.openai.azure.com' };
  let pair: ReturnType<typeof generateTenantKeyPair>;
  let sealed: Uint8Array;
  beforeAll(() => {
    pair = generateTenantKeyPair();
    sealed = sealSecret(pair.publicKey, binding, new Secret(canary));
  });

  it('round-trips with the tenant key pair', () => {
    expect(openSecret(sealed, pair, binding).reveal()).toEqual(canary);
  });

  it('does not contain the plaintext', () => {
    expect(Buffer.from(sealed).toString('latin1')).not.toContain('sk-canary');
    expect(sealed[0]).toBe(VAULT_FORMAT_V1);
  });

  it('refuses another tenant key pair', () => {
    expectVaultError(() => openSecret(sealed, generateTenantKeyPair(), binding), 'decrypt_failed');
  });

  it.each([
    ['another row', { ...binding, rowId: 'row-2' }],
    ['another tenant', { ...binding, tenantId: 'tenant-b' }],
    ['another provider', { ...binding, provider: 'azure' }],
  ])('refuses a blob moved to %s', (_name, moved) => {
    expectVaultError(() => openSecret(sealed, pair, moved), 'binding_mismatch');
  });

  it.each([
    ['tampered', (b: Uint8Array) => flip(b, 40), 'decrypt_failed'],
    ['an unknown version', (b: Uint8Array) => Uint8Array.from([9, ...b.subarray(1)]), 'unsupported_version'],
    ['truncated', (b: Uint8Array) => b.subarray(0, 30), 'malformed'],
  ] as const)('refuses a %s blob with a typed error', (_name, mutate, kind) => {
    expectVaultError(() => openSecret(mutate(sealed), pair, binding), kind);
  });
});

describe('recovery keys', () => {
  it('round-trip through their text form', () => {
    const generated = generateRecoveryKey();
    expect(generated.text.reveal()).toMatch(/^gwr_[0-9A-Za-z]{49}$/);
    const parsed = parseRecoveryKey(`  ${generated.text.reveal()}\n`);
    expect(Buffer.from(parsed?.reveal() ?? []).equals(Buffer.from(generated.bytes.reveal()))).toBe(true);
  });

  it('catch typos with the checksum', () => {
    const text = generateRecoveryKey().text.reveal();
    const typo = text.slice(0, 10) + (text[10] === 'Q' ? 'R' : 'Q') + text.slice(11);
    expect(parseRecoveryKey(typo)).toBeNull();
    expect(parseRecoveryKey('gwr_short')).toBeNull();
    expect(parseRecoveryKey('')).toBeNull();
  });
});
