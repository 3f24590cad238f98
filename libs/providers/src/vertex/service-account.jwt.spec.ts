import { generateKeyPairSync, verify } from 'node:crypto';
import { InvalidPrivateKeyError, serviceAccountAssertion } from './service-account.jwt';

const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

function decodePart(part: string | undefined): unknown {
  return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
}

describe('serviceAccountAssertion', () => {
  const input = {
    clientEmail: 'gateway@acme-prod.iam.gserviceaccount.com',
    privateKeyId: 'a1b2c3d4e5',
    privateKeyPem: privateKey,
    audience: 'https://oauth2.googleapis.com/token',
    issuedAt: 1_767_000_000,
  };

  it('builds header and claims for the JWT-bearer grant', () => {
    const [header, claims] = serviceAccountAssertion(input).split('.');
    expect(decodePart(header)).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'a1b2c3d4e5' });
    expect(decodePart(claims)).toEqual({
      iss: 'gateway@acme-prod.iam.gserviceaccount.com',
      sub: 'gateway@acme-prod.iam.gserviceaccount.com',
      aud: 'https://oauth2.googleapis.com/token',
      scope: 'https://www.googleapis.com/auth/cloud-platform',
      iat: 1_767_000_000,
      exp: 1_767_003_600,
    });
  });

  it('signs RS256 over header.claims: the public key verifies it, another key does not', () => {
    const sut = serviceAccountAssertion(input);
    const [header, claims, signature] = sut.split('.');
    const signed = Buffer.from(`${header}.${claims}`);
    const bytes = Buffer.from(signature ?? '', 'base64url');
    expect(verify('RSA-SHA256', signed, publicKey, bytes)).toBe(true);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    expect(verify('RSA-SHA256', signed, other, bytes)).toBe(false);
    expect(sut).not.toMatch(/[=+/]/);
  });

  it('leaves kid out when the key has no id', () => {
    const [header] = serviceAccountAssertion({ ...input, privateKeyId: null }).split('.');
    expect(decodePart(header)).toEqual({ alg: 'RS256', typ: 'JWT' });
  });

  it('refuses an unreadable or non-RSA key without repeating it', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nnot-a-key-SECRETPART\n-----END PRIVATE KEY-----\n';
    expect(() => serviceAccountAssertion({ ...input, privateKeyPem: pem })).toThrow(InvalidPrivateKeyError);
    expect(() => serviceAccountAssertion({ ...input, privateKeyPem: pem })).not.toThrow(/SECRETPART/);
    const ec = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    expect(() => serviceAccountAssertion({ ...input, privateKeyPem: ec.privateKey })).toThrow(InvalidPrivateKeyError);
  });
});
