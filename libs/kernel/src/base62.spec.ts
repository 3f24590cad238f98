import { randomBytes } from 'node:crypto';
import { checksum62, decodeBase62, encodeBase62 } from './base62';
import { crc32 } from './crc32';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The definition, with big integers: the fast code must agree with it. */
function referenceEncode(bytes: Uint8Array, width: number): string {
  let n = 0n;
  for (const byte of bytes) n = (n << 8n) | BigInt(byte);
  let out = '';
  while (n > 0n) {
    out = ALPHABET.charAt(Number(n % 62n)) + out;
    n /= 62n;
  }
  return out.padStart(width, '0');
}

describe('base62', () => {
  it.each([
    [8, 12],
    [32, 43],
    [4, 6],
  ])('round-trips %i random bytes in %i characters, as the big-integer definition does', (bytes, width) => {
    for (let i = 0; i < 200; i++) {
      const input = new Uint8Array(randomBytes(bytes));
      const text = encodeBase62(input, width);
      expect(text).toBe(referenceEncode(input, width));
      expect(text).toHaveLength(width);
      expect(decodeBase62(text, bytes)).toEqual(input);
    }
  });

  it('handles the extremes: all zero and all 0xff bytes', () => {
    expect(encodeBase62(new Uint8Array(32), 43)).toBe('0'.repeat(43));
    const max = new Uint8Array(32).fill(0xff);
    expect(encodeBase62(max, 43)).toBe(referenceEncode(max, 43));
    expect(decodeBase62(encodeBase62(max, 43), 32)).toEqual(max);
  });

  it('refuses characters outside the alphabet and values too large for the length', () => {
    expect(decodeBase62('abc-def', 8)).toBeNull();
    expect(decodeBase62('abcédef', 8)).toBeNull();
    // 62^43 - 1 does not fit 32 bytes.
    expect(decodeBase62('z'.repeat(43), 32)).toBeNull();
    expect(() => encodeBase62(new Uint8Array(33).fill(0xff), 43)).toThrow(RangeError);
  });

  it('checksums as six base62 digits of the CRC-32', () => {
    expect(checksum62('')).toBe('000000');
    const sum = checksum62('gwk_abc');
    expect(sum).toMatch(/^[0-9A-Za-z]{6}$/);
    expect(checksum62('gwk_abd')).not.toBe(sum);
    for (let i = 0; i < 200; i++) {
      const text = randomBytes(24).toString('base64url');
      const crc = crc32(text);
      const bytes = new Uint8Array([crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff]);
      expect(checksum62(text)).toBe(referenceEncode(bytes, 6));
    }
  });
});
