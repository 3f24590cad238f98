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
