import { crc32 } from './crc32';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const VALUE = new Map(Array.from(ALPHABET, (char, index) => [char, BigInt(index)]));

/** Encodes bytes as a fixed-width base62 string (width chosen by the caller for the byte length). */
export function encodeBase62(bytes: Uint8Array, width: number): string {
  let n = 0n;
  for (const byte of bytes) n = (n << 8n) | BigInt(byte);
  let out = '';
  while (n > 0n) {
    out = ALPHABET.charAt(Number(n % 62n)) + out;
    n /= 62n;
  }
  if (out.length > width) throw new RangeError('value does not fit the base62 width');
  return out.padStart(width, '0');
}

/** Decodes a base62 string into exactly `length` bytes, or null if it is not valid or too large. */
export function decodeBase62(text: string, length: number): Uint8Array | null {
  let n = 0n;
  for (const char of text) {
    const value = VALUE.get(char);
    if (value === undefined) return null;
    n = n * 62n + value;
  }
  if (n >> BigInt(length * 8) !== 0n) return null;
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** A 6-character base62 CRC-32 of `text`: the typo check at the end of keys users copy around. */
export const CHECKSUM62_LENGTH = 6;
export function checksum62(text: string): string {
  const sum = crc32(text);
  return encodeBase62(new Uint8Array([sum >>> 24, (sum >>> 16) & 0xff, (sum >>> 8) & 0xff, sum & 0xff]), CHECKSUM62_LENGTH);
}
