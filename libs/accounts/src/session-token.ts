import { createHash, randomBytes } from 'node:crypto';
import { Secret } from '@gw/kernel';

const PREFIX = 'gws_';

/** An opaque session token (256 random bits). Only its SHA-256 is stored. */
export function generateSessionToken(): Secret<string> {
  return new Secret(PREFIX + randomBytes(32).toString('base64url'));
}

/** High-entropy tokens need no slow hash: SHA-256 makes a stored row useless to present. */
export function hashSessionToken(token: Secret<string>): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(token.reveal()).digest());
}

export function looksLikeSessionToken(value: string): boolean {
  return value.startsWith(PREFIX) && value.length === PREFIX.length + 43;
}
