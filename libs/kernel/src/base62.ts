import { crc32 } from './crc32';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Character code -> digit value, -1 for characters outside the alphabet. */
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

/**
 * Encodes bytes as a fixed-width base62 string (width chosen by the caller for the byte length):
 * the bytes read as one big-endian number, written in base 62 with leading zeros. Long division
 * of the byte array by 62, one digit per pass; no big integers (this runs on every request).
 */
export function encodeBase62(bytes: Uint8Array, width: number): string {
  const number = Array.from(bytes);
  const digits: string[] = [];
  let start = 0;
  while (start < number.length) {
    let remainder = 0;
    for (let i = start; i < number.length; i++) {
      const value = remainder * 256 + (number[i] as number);
      number[i] = Math.floor(value / 62);
      remainder = value % 62;
    }
    digits.push(ALPHABET.charAt(remainder));
    while (start < number.length && number[start] === 0) start++;
  }
  if (digits.length > width) throw new RangeError('value does not fit the base62 width');
  return digits.reverse().join('').padStart(width, '0');
}

/** Decodes a base62 string into exactly `length` bytes, or null if it is not valid or too large. */
export function decodeBase62(text: string, length: number): Uint8Array | null {
  const out = new Uint8Array(length);
  for (let c = 0; c < text.length; c++) {
    const code = text.charCodeAt(c);
    const digit = code < 128 ? (VALUE[code] as number) : -1;
    if (digit < 0) return null;
    // out = out * 62 + digit, least significant byte last.
    let carry = digit;
    for (let i = length - 1; i >= 0; i--) {
      const value = (out[i] as number) * 62 + carry;
      out[i] = value & 0xff;
      carry = value >>> 8;
    }
    if (carry !== 0) return null;
  }
  return out;
}

/** A 6-character base62 CRC-32 of `text`: the typo check at the end of keys users copy around. */
export const CHECKSUM62_LENGTH = 6;
export function checksum62(text: string): string {
  let sum = crc32(text) >>> 0;
  let out = '';
  for (let i = 0; i < CHECKSUM62_LENGTH; i++) {
    out = ALPHABET.charAt(sum % 62) + out;
    sum = Math.floor(sum / 62);
  }
  return out;
}
