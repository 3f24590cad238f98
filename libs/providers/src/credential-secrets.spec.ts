import { Secret } from '@gw/kernel';
import { withoutCredentialSecrets } from './credential-secrets';
import type { ProviderCredential, UpstreamError } from './provider.types';

const openrouter: ProviderCredential = {
  provider: 'openrouter',
  apiKey: new Secret('sk-or-v1-"quoted"-secret'),
  baseUrl: 'https://x',
};
const bedrock: ProviderCredential = {
  provider: 'bedrock',
  auth: {
    kind: 'sigv4',
    accessKeyId: 'AKIAEXAMPLE',
    secretAccessKey: new Secret('aws-secret-access-key'),
    sessionToken: new Secret('session-token-1'),
  },
  region: 'us-east-1',
  endpointUrl: null,
};

describe('withoutCredentialSecrets', () => {
  it('redacts the credential in the message and in a client error body, also inside JSON strings', () => {
    const failure: UpstreamError = {
      kind: 'client',
      status: 400,
      message: 'Incorrect API key provided: sk-or-v1-"quoted"-secret.',
      retryAfterSeconds: null,
      body: { error: { message: 'key sk-or-v1-"quoted"-secret is invalid', code: 400 } },
    };
    const cleaned = withoutCredentialSecrets(failure, openrouter);
    expect(cleaned.message).toBe('Incorrect API key provided: [REDACTED].');
    expect(cleaned.body).toEqual({ error: { message: 'key [REDACTED] is invalid', code: 400 } });
    expect(JSON.stringify(cleaned)).not.toContain('quoted');
  });

  it('redacts a bearer token or API key the request sent, such as a minted Vertex access token', () => {
    const failure: UpstreamError = {
      kind: 'client',
      status: 400,
      message: 'Request had invalid authentication credentials: ya29.minted-access-token',
      retryAfterSeconds: null,
      body: { error: { message: 'token ya29.minted-access-token rejected' } },
    };
    const cleaned = withoutCredentialSecrets(failure, bedrock, {
      Authorization: 'Bearer ya29.minted-access-token',
      'content-type': 'application/json',
    });
    expect(cleaned.message).toBe('Request had invalid authentication credentials: [REDACTED]');
    expect(JSON.stringify(cleaned)).not.toContain('ya29');
    const keyed = withoutCredentialSecrets({ ...failure, message: 'bad key azure-header-key-1' }, bedrock, {
      'api-key': 'azure-header-key-1',
    });
    expect(keyed.message).toBe('bad key [REDACTED]');
  });

  it('covers every secret of AWS credentials and leaves failures without them as they are', () => {
    const failure: UpstreamError = {
      kind: 'auth',
      status: 403,
      message: 'signature of aws-secret-access-key with session-token-1 (key AKIAEXAMPLE)',
      retryAfterSeconds: null,
    };
    expect(withoutCredentialSecrets(failure, bedrock).message).toBe('signature of [REDACTED] with [REDACTED] (key AKIAEXAMPLE)');
    const clean: UpstreamError = { kind: 'server', status: 500, message: 'overloaded', retryAfterSeconds: null };
    expect(withoutCredentialSecrets(clean, bedrock)).toBe(clean);
  });
});
