import { generateKeyPairSync, randomBytes } from 'node:crypto';

/** A service-account key file as Google issues it (plus the gateway's `region` field). */
export interface TestServiceAccountJson {
  readonly type: 'service_account';
  readonly project_id: string;
  readonly private_key_id: string;
  readonly private_key: string;
  readonly client_email: string;
  readonly client_id: string;
  readonly auth_uri: string;
  readonly token_uri: string;
  readonly auth_provider_x509_cert_url: string;
  readonly client_x509_cert_url: string;
  readonly universe_domain: string;
  readonly region?: string;
}

export interface TestServiceAccount {
  /** What a tenant uploads as a Vertex provider key (passes `vertexSecret`). */
  readonly json: TestServiceAccountJson;
  readonly projectId: string;
  readonly clientEmail: string;
  readonly privateKeyId: string;
  readonly privateKeyPem: string;
  /** SPKI PEM: what the token fake verifies assertions with. */
  readonly publicKeyPem: string;
}

export interface TestServiceAccountOptions {
  /** Where the JWT-bearer grant goes: a FakeGoogleToken's `tokenUri` in tests. */
  readonly tokenUri: string;
  readonly projectId?: string;
  /** The part of client_email before `@`; unique by default. */
  readonly name?: string;
  /** Stored beside the key's fields, as the gateway reads it; omitted by default (= global). */
  readonly region?: string;
}

let sequence = 0;

/** A service account with a fresh 2048-bit RSA key pair (PKCS#8 private key, as Google's are). */
export function createTestServiceAccount(options: TestServiceAccountOptions): TestServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  sequence += 1;
  const projectId = options.projectId ?? 'gateway-test-project';
  const name = options.name ?? `sa-${sequence}-${randomBytes(3).toString('hex')}`;
  const clientEmail = `${name}@${projectId}.iam.gserviceaccount.com`;
  const privateKeyId = randomBytes(20).toString('hex');
  const json: TestServiceAccountJson = {
    type: 'service_account',
    project_id: projectId,
    private_key_id: privateKeyId,
    private_key: privateKey,
    client_email: clientEmail,
    client_id: String(100_000_000_000_000_000_000n + BigInt(sequence)),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: options.tokenUri,
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
    universe_domain: 'googleapis.com',
    ...(options.region === undefined ? {} : { region: options.region }),
  };
  return { json, projectId, clientEmail, privateKeyId, privateKeyPem: privateKey, publicKeyPem: publicKey };
}
