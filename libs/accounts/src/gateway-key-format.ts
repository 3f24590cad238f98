import { randomBytes } from 'node:crypto';
import { CHECKSUM62_LENGTH, checksum62, decodeBase62, encodeBase62, Secret } from '@gw/kernel';

/**
 * Gateway keys look like `gwk_<public id>_<secret><checksum>`:
 * - public id: 64 random bits as 12 base62 characters, stored in the clear and used to find the row;
 * - secret: 32 random bytes (256 bits) as 43 base62 characters, never stored;
 * - checksum: CRC-32 of everything before it, 6 base62 characters, so a mistyped key is refused
 *   before any lookup.
 */
export const GATEWAY_KEY_PREFIX = 'gwk';
const PUBLIC_ID_LENGTH = 12;
const SECRET_BYTES = 32;
const SECRET_LENGTH = 43;
const CHECKSUM_LENGTH = CHECKSUM62_LENGTH;
const PATTERN = new RegExp(
  `^${GATEWAY_KEY_PREFIX}_([0-9A-Za-z]{${PUBLIC_ID_LENGTH}})_([0-9A-Za-z]{${SECRET_LENGTH}})([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`,
);

export interface ParsedGatewayKey {
  readonly publicId: string;
  readonly secret: Secret<Uint8Array>;
}

export function generateGatewayKey(): { key: Secret<string>; parsed: ParsedGatewayKey; hint: string } {
  const publicId = encodeBase62(randomBytes(8), PUBLIC_ID_LENGTH);
  const secretBytes = randomBytes(SECRET_BYTES);
  const body = `${GATEWAY_KEY_PREFIX}_${publicId}_${encodeBase62(secretBytes, SECRET_LENGTH)}`;
  const key = body + checksum62(body);
  return {
    key: new Secret(key),
    parsed: { publicId, secret: new Secret(new Uint8Array(secretBytes)) },
    hint: hintOf(key),
  };
}

/** Returns null for anything that is not a well-formed key with a valid checksum. */
export function parseGatewayKey(key: string): ParsedGatewayKey | null {
  const match = PATTERN.exec(key);
  if (!match) return null;
  const [, publicId = '', secretText = '', sum = ''] = match;
  if (checksum62(key.slice(0, key.length - CHECKSUM_LENGTH)) !== sum) return null;
  const secret = decodeBase62(secretText, SECRET_BYTES);
  if (!secret) return null;
  return { publicId, secret: new Secret(secret) };
}

/** What the dashboard shows of a key: its prefix, public id and last four characters. */
export function hintOf(key: string): string {
  const publicPart = key.slice(0, GATEWAY_KEY_PREFIX.length + 1 + PUBLIC_ID_LENGTH);
  return `${publicPart}_…${key.slice(-4)}`;
}
