import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { isPublicAddress } from '@gw/net';
import { call, startTestApp, type TestApp } from '../testing/test-app';

const deployment = (endpoint_url: string) => ({
  model_slug: 'gpt-4o',
  endpoint_url,
  api_key: 'azure-key-0000',
  model_id: 'gpt-4o',
});
const serviceAccount = (token_uri: string) => ({
  type: 'service_account',
  project_id: 'p',
  private_key: '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n',
  client_email: 'sa@p.iam.gserviceaccount.com',
  token_uri,
});

/** Every URL a tenant supplies is refused when it could reach inside the network (SPEC section 4). */
describe('SSRF guard on tenant-supplied URLs', () => {
  let sut: TestApp;
  let token: string;
  beforeAll(async () => {
    sut = await startTestApp();
    const signup = await call(sut.url, 'POST', '/api/auth/signup', {
      body: { email: 'ssrf@example.com', password: 'a-long-enough-secret-9' },
    });
    token = signup.body.token;
  });
  afterAll(async () => {
    await sut.close();
  });

  const hostile = [
    'https://127.0.0.1/openai/deployments/x/chat/completions',
    'https://10.1.2.3/openai',
    'https://172.16.0.1/openai',
    'https://192.168.0.10/openai',
    'https://169.254.169.254/latest/meta-data/',
    'https://100.64.0.1/',
    'https://0.0.0.0/',
    'https://[::1]/openai',
    'https://[::ffff:127.0.0.1]/openai',
    'https://[fd12::1]/openai',
    'https://[fe80::1]/openai',
    'https://2130706433/openai',
    'https://0x7f000001/openai',
    'https://0177.0.0.1/openai',
    'https://127.1/openai',
    'https://localhost/openai',
    'https://metadata.google.internal/computeMetadata/v1/',
    'http://example.com/openai',
    'ftp://example.com/openai',
    'https://user:pass@example.com/openai',
  ];

  /** The same host with a well-formed chat/completions path: refused for where it points, not its shape. */
  const chatUrl = (url: string) => {
    const parsed = new URL(url);
    parsed.pathname = '/openai/v1/chat/completions';
    return parsed.toString();
  };

  it.each(hostile)('refuses Azure endpoint_url %s with a 400 naming the field', async (url) => {
    const res = await call(sut.url, 'POST', '/api/provider-keys', {
      token,
      body: { provider: 'azure', secret: [deployment(chatUrl(url))] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.metadata.field).toBe('secret.0.endpoint_url');
    expect(res.body.error.message).not.toContain('full URL');
  });

  it.each([
    ['a classic deployment URL without api-version', 'https://93.184.216.34/openai/deployments/d/chat/completions'],
    ['a deployment URL without /chat/completions', 'https://93.184.216.34/openai/deployments/d?api-version=2024-10-21'],
    ['a Foundry URL without api-version', 'https://93.184.216.34/models/chat/completions'],
    ['a bare host', 'https://93.184.216.34/'],
  ])('refuses %s as not the full chat/completions URL', async (_name, url) => {
    const res = await call(sut.url, 'POST', '/api/provider-keys', {
      token,
      body: { provider: 'azure', secret: [deployment(url)] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.metadata.field).toBe('secret.0.endpoint_url');
    expect(res.body.error.message).toContain('full URL');
  });

  it('stores a deployment whose host does not resolve yet (each call checks it afresh)', async () => {
    const res = await call(sut.url, 'POST', '/api/provider-keys', {
      token,
      body: { provider: 'azure', secret: [deployment('https://no-such-resource.invalid/openai/v1/chat/completions')] },
    });
    expect(res.status).toBe(201);
  });

  it('names the field as sent: one Azure deployment object without an index, a list with one', async () => {
    const url = 'ftp://93.184.216.34/openai/deployments/x/chat/completions?api-version=1';
    const single = await call(sut.url, 'POST', '/api/provider-keys', {
      token,
      body: { provider: 'azure', secret: deployment(url) },
    });
    expect(single.status).toBe(400);
    expect(single.body.error.metadata.field).toBe('secret.endpoint_url');
    const listed = await call(sut.url, 'POST', '/api/provider-keys', {
      token,
      body: { provider: 'azure', secret: [deployment(url)] },
    });
    expect(listed.body.error.metadata.field).toBe('secret.0.endpoint_url');
  });

  it.each([
    [{ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', region: 'us-east-1' }, 'secret.secretAccessKey'],
    [{ secretAccessKey: 'x', region: 'us-east-1' }, 'secret.accessKeyId'],
    [{ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x', region: 7 }, 'secret.region'],
    [{ apiKey: 'k', region: 7 }, 'secret.region'],
  ])('names the missing or wrong field of a Bedrock object secret %j', async (secret, field) => {
    const res = await call(sut.url, 'POST', '/api/provider-keys', { token, body: { provider: 'bedrock', secret } });
    expect(res.status).toBe(400);
    expect(res.body.error.metadata.field).toBe(field);
  });

  it('refuses a hostname that resolves to a private address', async () => {
    const name = hostname();
    const addresses = await lookup(name, { all: true }).catch(() => []);
    // This machine's own name resolves to loopback on Debian; when it does not, use localhost's alias form.
    const target = addresses.length > 0 && addresses.every((a) => !isPublicAddress(a.address)) ? name : 'foo.localhost';
    const res = await call(sut.url, 'POST', '/api/provider-keys', {
      token,
      body: {
        provider: 'azure',
        secret: [
          deployment('https://93.184.216.34/openai/v1/chat/completions'),
          deployment(`https://${target}/openai/v1/chat/completions`),
        ].map((d, i) => ({
          ...d,
          model_slug: `m${String(i)}`,
        })),
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.metadata.field).toBe('secret.1.endpoint_url');
    expect(res.body.error.message).not.toMatch(/127\.0\.|::1/);
  });

  it.each(['https://127.0.0.1/token', 'https://evil.example.com/token', 'http://oauth2.googleapis.com/token'])(
    'refuses Vertex token_uri %s',
    async (uri) => {
      const res = await call(sut.url, 'POST', '/api/provider-keys', {
        token,
        body: { provider: 'vertex', secret: serviceAccount(uri) },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.metadata.field).toBe('secret.token_uri');
    },
  );

  it('takes short access key ids (AKIDEXAMPLE, as in the SigV4 test suite) and hints at no more than a quarter of a short secret', async () => {
    const bedrock = await call(sut.url, 'POST', '/api/provider-keys', {
      token,
      body: { provider: 'bedrock', secret: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x', region: 'us-east-1' } },
    });
    expect(bedrock.status).toBe(201);
    const short = await call(sut.url, 'POST', '/api/provider-keys', { token, body: { provider: 'openrouter', secret: 'abcd' } });
    expect(short.status).toBe(201);
    expect(short.body.hint).toBe('…d');
    const long = await call(sut.url, 'POST', '/api/provider-keys', {
      token,
      body: { provider: 'openrouter', secret: 'sk-or-v1-0123456789abcdef' },
    });
    expect(long.body.hint).toBe('…cdef');
  });

  it('refuses a Bedrock region outside the allow-list', async () => {
    const res = await call(sut.url, 'POST', '/api/provider-keys', {
      token,
      body: {
        provider: 'bedrock',
        secret: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x', region: 'xx-nowhere-9' },
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.metadata.field).toBe('secret.region');
  });

  it('accepts Google’s token endpoint and names malformed fields', async () => {
    const ok = await call(sut.url, 'POST', '/api/provider-keys', {
      token,
      body: { provider: 'vertex', secret: serviceAccount('https://oauth2.googleapis.com/token') },
    });
    expect(ok.status).toBe(201);
    const cases: [unknown, string][] = [
      [{ provider: 'nope', secret: 'x' }, 'provider'],
      [{ provider: 'openrouter', secret: '' }, 'secret'],
      [
        {
          provider: 'azure',
          secret: [{ model_slug: 'a', endpoint_url: 'https://example.com/openai/v1/chat/completions', api_key: 'k' }],
        },
        'secret.0.model_id',
      ],
      [{ provider: 'vertex', secret: { ...serviceAccount('https://oauth2.googleapis.com/token'), type: 'user' } }, 'secret.type'],
      [{ provider: 'openrouter', secret: 'sk', extra: 1 }, 'extra'],
      [{ provider: 'openrouter', secret: 'sk-or\nv1' }, 'secret'],
      [{ provider: 'openrouter', secret: 'sk-ü-key' }, 'secret'],
      [
        { provider: 'azure', secret: [{ ...deployment('https://93.184.216.34/openai/v1/chat/completions'), api_key: 'a b' }] },
        'secret.0.api_key',
      ],
      [{ provider: 'bedrock', secret: { apiKey: 'k\tk', region: 'us-east-1' } }, 'secret.apiKey'],
    ];
    for (const [body, field] of cases) {
      const res = await call(sut.url, 'POST', '/api/provider-keys', { token, body });
      expect({ body, status: res.status, field: res.body.error?.metadata?.field }).toEqual({ body, status: 400, field });
    }
  });
});
