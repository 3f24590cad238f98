import { createPrivateKey, type KeyObject, sign } from 'node:crypto';

/** The one scope Vertex needs. */
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google accepts assertions valid for at most an hour. */
export const ASSERTION_LIFETIME_SECONDS = 3600;

export interface AssertionInput {
  readonly clientEmail: string;
  /** Sent as the header's `kid` so Google picks the right public key without trying each. */
  readonly privateKeyId: string | null;
  /** PEM (PKCS#8 as Google issues it; PKCS#1 works too). */
  readonly privateKeyPem: string;
  /** The `token_uri` the assertion is posted to. */
  readonly audience: string;
  /** Seconds since the epoch. */
  readonly issuedAt: number;
  readonly scope?: string;
}

/** The service-account key could not be read; the message never contains key material. */
export class InvalidPrivateKeyError extends Error {
  constructor() {
    super('the service account private_key is not a valid PEM RSA private key');
    this.name = 'InvalidPrivateKeyError';
  }
}

export function base64UrlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/**
 * The signed JWT of the OAuth 2.0 JWT-bearer grant (RFC 7523) for a Google service account:
 * header `{alg:RS256, typ:JWT, kid}`, claims iss = sub = client_email, aud = token_uri, the
 * cloud-platform scope, iat and exp = iat + 1 h, signed RSASSA-PKCS1-v1_5 with SHA-256.
 */
export function serviceAccountAssertion(input: AssertionInput): string {
  const header: Record<string, string> = { alg: 'RS256', typ: 'JWT' };
  if (input.privateKeyId !== null && input.privateKeyId !== '') header['kid'] = input.privateKeyId;
  const claims = {
    iss: input.clientEmail,
    sub: input.clientEmail,
    aud: input.audience,
    scope: input.scope ?? CLOUD_PLATFORM_SCOPE,
    iat: input.issuedAt,
    exp: input.issuedAt + ASSERTION_LIFETIME_SECONDS,
  };
  const signingInput = `${base64UrlJson(header)}.${base64UrlJson(claims)}`;
  const signature = sign('RSA-SHA256', Buffer.from(signingInput, 'utf8'), rsaKey(input.privateKeyPem));
  return `${signingInput}.${signature.toString('base64url')}`;
}

function rsaKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // Node's message may quote parts of the input; it stays out of ours.
    throw new InvalidPrivateKeyError();
  }
  if (key.asymmetricKeyType !== 'rsa') throw new InvalidPrivateKeyError();
  return key;
}
