import { randomBytes } from 'node:crypto';
import { CHECKSUM62_LENGTH, checksum62, decodeBase62, encodeBase62, Secret } from '@gw/kernel';

/**
 * The recovery key: 256 random bits shown once at signup, `gwr_<43 base62><6 base62 checksum>`.
 * It opens the tenant's vault without any gateway key; the server keeps no copy.
 */
const PREFIX = 'gwr_';
const BODY_LENGTH = 43;
const CHECKSUM_LENGTH = CHECKSUM62_LENGTH;
const PATTERN = /^gwr_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;

export function generateRecoveryKey(): { text: Secret<string>; bytes: Secret<Uint8Array> } {
  const bytes = new Uint8Array(randomBytes(32));
  const body = PREFIX + encodeBase62(bytes, BODY_LENGTH);
  return { text: new Secret(body + checksum62(body)), bytes: new Secret(bytes) };
}

/** Null for anything that is not a well-formed recovery key with a valid checksum. */
export function parseRecoveryKey(text: string): Secret<Uint8Array> | null {
  const trimmed = text.trim();
  const match = PATTERN.exec(trimmed);
  if (!match) return null;
  if (checksum62(trimmed.slice(0, trimmed.length - CHECKSUM_LENGTH)) !== match[2]) return null;
  const bytes = decodeBase62(match[1] ?? '', 32);
  return bytes ? new Secret(bytes) : null;
}
