import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { DomainError, Secret } from '@gw/kernel';

/**
 * scrypt (memory-hard) through Node's libuv thread pool, so hashing never blocks the event loop.
 * Stored as `scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>` so parameters can be raised later
 * without invalidating existing hashes.
 */
const DEFAULT_PARAMS = { log2N: 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

const COMMON_PASSWORDS = new Set([
  'password',
  'password1',
  'password123',
  'passw0rd',
  '1234567890',
  '12345678910',
  'qwertyuiop',
  'qwerty123456',
  'iloveyou123',
  'letmein123',
  'welcome123',
  'administrator',
  'changeme123',
  'abcdefghij',
  'abc1234567',
]);

function derive(password: string, salt: Buffer, log2N: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** log2N;
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r * p };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: Secret<string>): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const { log2N, r, p } = DEFAULT_PARAMS;
  const key = await derive(password.reveal(), salt, log2N, r, p);
  return ['scrypt', log2N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** False for a wrong password or a malformed stored hash; never throws for either. */
export async function verifyPassword(password: Secret<string>, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [log2N, r, p] = parts.slice(1, 4).map(Number);
  if (log2N === undefined || r === undefined || p === undefined || ![log2N, r, p].every(Number.isInteger)) return false;
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const expected = Buffer.from(parts[5] ?? '', 'base64');
  if (expected.length !== KEY_LENGTH) return false;
  const actual = await derive(password.reveal(), salt, log2N, r, p);
  return timingSafeEqual(actual, expected);
}

/** A hash to verify against when the account does not exist, so timing does not reveal that. */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(new Secret(randomBytes(16).toString('hex')));
  return decoyHash;
}

/** Rejects passwords that are short, trivially guessable or equal to the email. */
export function assertPasswordStrength(password: string, email: string): void {
  const weak = (message: string) => new DomainError('weak_password', { message, metadata: { field: 'password' } });
  if (password.length < PASSWORD_MIN_LENGTH) throw weak(`password must have at least ${PASSWORD_MIN_LENGTH} characters`);
  if (password.length > PASSWORD_MAX_LENGTH) throw weak(`password must have at most ${PASSWORD_MAX_LENGTH} characters`);
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) throw weak('password is too common');
  if (new Set(lower).size < 4) throw weak('password must use at least 4 different characters');
  if (lower === email.toLowerCase() || lower === email.toLowerCase().split('@')[0]) {
    throw weak('password must not be your email');
  }
}
