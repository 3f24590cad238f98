import { GATEWAY_KEY_PREFIX, generateGatewayKey, hintOf, parseGatewayKey } from './gateway-key-format';

describe('gateway key format', () => {
  it('round-trips a generated key', () => {
    const { key, parsed } = generateGatewayKey();
    const sut = parseGatewayKey(key.reveal());
    expect(sut?.publicId).toBe(parsed.publicId);
    expect(Buffer.from(sut?.secret.reveal() ?? []).equals(Buffer.from(parsed.secret.reveal()))).toBe(true);
  });

  it('carries at least 256 bits of secret', () => {
    const { parsed } = generateGatewayKey();
    expect(parsed.secret.reveal().length * 8).toBeGreaterThanOrEqual(256);
  });

  it('is never the same twice', () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateGatewayKey().key.reveal()));
    expect(keys.size).toBe(200);
  });

  it('has the documented shape', () => {
    const key = generateGatewayKey().key.reveal();
    expect(key).toMatch(new RegExp(`^${GATEWAY_KEY_PREFIX}_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}$`));
  });

  it('refuses any single-character typo through the checksum', () => {
    const key = generateGatewayKey().key.reveal();
    const start = GATEWAY_KEY_PREFIX.length + 1;
    for (let i = start; i < key.length; i++) {
      if (key[i] === '_') continue;
      const replacement = key[i] === 'a' ? 'b' : 'a';
      const typo = key.slice(0, i) + replacement + key.slice(i + 1);
      expect(parseGatewayKey(typo)).toBeNull();
    }
  });

  it.each(['', 'gwk_', 'Bearer x', 'sk-or-v1-abc', `gwk_${'a'.repeat(12)}_${'b'.repeat(49)}`, 'x'.repeat(70)])(
    'refuses %p',
    (input) => {
      expect(parseGatewayKey(input)).toBeNull();
    },
  );

  it('hides the secret in its hint and in every printed form', () => {
    const generated = generateGatewayKey();
    const key = generated.key.reveal();
    expect(generated.hint).toBe(hintOf(key));
    expect(generated.hint.endsWith(key.slice(-4))).toBe(true);
    const secretPart = key.slice(17, 60);
    expect(generated.hint).not.toContain(secretPart.slice(0, 8));
    expect(JSON.stringify(generated)).not.toContain(secretPart);
    expect(String(generated.key)).toBe('[REDACTED]');
  });
});
