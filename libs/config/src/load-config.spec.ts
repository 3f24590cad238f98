import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, loadEnvFile } from './load-config';

const pepper = 'p'.repeat(32);

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const sut = loadConfig({ SERVER_PEPPER: pepper });
    expect(sut.PORT).toBe(3000);
    expect(sut.HOST).toBe('0.0.0.0');
    expect(sut.DATABASE_URL).toBe('postgresql://postgres@127.0.0.1:5432/gateway');
    expect(sut.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(sut.BYOK_FEE_RATE).toBe(0.05);
    expect(sut.BYOK_FREE_REQUESTS_PER_MONTH).toBe(1_000_000);
    expect(sut.BYOK_FREE_USD_PER_MONTH).toBeUndefined();
    expect(sut.MAX_BODY_BYTES).toBe(16 * 1024 * 1024);
    expect(sut.ALLOW_PRIVATE_UPSTREAMS).toBe(false);
    expect(sut.WORKER).toBe('on');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ SERVER_PEPPER: pepper, PORT: '' }).PORT).toBe(3000);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'not a url'],
    ['BYOK_FEE_RATE', '1.5'],
    ['ALLOW_PRIVATE_UPSTREAMS', 'maybe'],
    ['AZURE_PLATFORM_CONFIG', '{not json'],
    ['ADMIN_EMAIL', 'nobody'],
  ])('names %s when it is invalid', (name, value) => {
    expect(() => loadConfig({ SERVER_PEPPER: pepper, [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name} `));
  });

  it.each([
    ['PORT', 'abc', 'PORT must be a number'],
    ['PORT', '70000', 'PORT must be at most 65535'],
    ['UPSTREAM_TIMEOUT_MS', '1.5', 'UPSTREAM_TIMEOUT_MS must be an integer'],
    ['MAX_BODY_BYTES', '0', 'MAX_BODY_BYTES must be greater than 0'],
    ['BYOK_FEE_RATE', '1.5', 'BYOK_FEE_RATE must be at most 1'],
    ['BYOK_FREE_USD_PER_MONTH', '-1', 'BYOK_FREE_USD_PER_MONTH must be at least 0'],
    ['UPSTREAM_USER_AGENT', 'x'.repeat(201), 'UPSTREAM_USER_AGENT must have at most 200 characters'],
  ])('says what is wrong with %s=%s in words', (name, value, message) => {
    expect(() => loadConfig({ SERVER_PEPPER: pepper, [name]: value })).toThrow(`Invalid configuration: ${message}`);
  });

  describe("platform credentials in the tenants' formats", () => {
    const serviceAccount = {
      type: 'service_account',
      project_id: 'proj',
      private_key: '-----BEGIN PRIVATE KEY-----\nsecret-material\n-----END PRIVATE KEY-----\n',
      client_email: 'svc@proj.iam.gserviceaccount.com',
      token_uri: 'https://oauth2.googleapis.com/token',
    };
    const deployment = {
      model_slug: 'gpt-4o',
      endpoint_url: 'https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21',
      api_key: 'azure-secret-material',
      model_id: 'openai/gpt-4o',
    };

    it('accepts every documented form', () => {
      const env = {
        SERVER_PEPPER: pepper,
        AZURE_PLATFORM_CONFIG: JSON.stringify([deployment]),
        BEDROCK_PLATFORM_CREDENTIALS: 'bedrock-api-key-material',
        VERTEX_PLATFORM_SERVICE_ACCOUNT: JSON.stringify({ ...serviceAccount, region: 'us-central1' }),
      };
      expect(loadConfig(env).BEDROCK_PLATFORM_CREDENTIALS).toBe('bedrock-api-key-material');
      const aws = JSON.stringify({
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'aws-secret-material',
        region: 'eu-west-1',
      });
      expect(
        loadConfig({ ...env, BEDROCK_PLATFORM_CREDENTIALS: aws, AZURE_PLATFORM_CONFIG: JSON.stringify(deployment) }),
      ).toBeDefined();
    });

    it.each([
      ['BEDROCK_PLATFORM_CREDENTIALS', '{"accessKeyId": 1}', 'BEDROCK_PLATFORM_CREDENTIALS.accessKeyId must be a string'],
      [
        'BEDROCK_PLATFORM_CREDENTIALS',
        '{"accessKeyId": "AKIAIOSFODNN7EXAMPLE", "secretAccessKey": "aws-secret-material", "region": "mars"}',
        'BEDROCK_PLATFORM_CREDENTIALS.region must be an AWS region such as us-east-1',
      ],
      [
        'BEDROCK_PLATFORM_CREDENTIALS',
        '{"apiKey": "k", "region": "us-east-1", "extra": "aws-secret-material"}',
        'BEDROCK_PLATFORM_CREDENTIALS.extra is not a known field',
      ],
      ['BEDROCK_PLATFORM_CREDENTIALS', '{broken', 'BEDROCK_PLATFORM_CREDENTIALS must be valid JSON'],
      ['VERTEX_PLATFORM_SERVICE_ACCOUNT', '{}', 'VERTEX_PLATFORM_SERVICE_ACCOUNT.type must be "service_account"'],
      [
        'VERTEX_PLATFORM_SERVICE_ACCOUNT',
        JSON.stringify({ ...serviceAccount, client_email: undefined }),
        'VERTEX_PLATFORM_SERVICE_ACCOUNT.client_email must be the service account email',
      ],
      [
        'VERTEX_PLATFORM_SERVICE_ACCOUNT',
        JSON.stringify({ ...serviceAccount, region: 'moon' }),
        'VERTEX_PLATFORM_SERVICE_ACCOUNT.region must be "global"',
      ],
      ['AZURE_PLATFORM_CONFIG', '[]', 'AZURE_PLATFORM_CONFIG must list at least one deployment'],
      [
        'AZURE_PLATFORM_CONFIG',
        JSON.stringify([{ ...deployment, api_key: '' }]),
        'AZURE_PLATFORM_CONFIG.0.api_key must not be empty',
      ],
      ['AZURE_PLATFORM_CONFIG', JSON.stringify([deployment, deployment]), 'AZURE_PLATFORM_CONFIG.1.model_slug appears twice'],
    ])('%s=%s names the field at fault and echoes no secret', (name, value, message) => {
      let thrown: unknown;
      try {
        loadConfig({ SERVER_PEPPER: pepper, [name]: value });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect(String(thrown)).toContain(`Invalid configuration: ${message}`);
      expect(String(thrown)).not.toMatch(/secret-material|AKIA/);
    });
  });

  it('requires a server pepper and never echoes values', () => {
    try {
      loadConfig({ SERVER_PEPPER: 'short-secret-value' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect(String(error)).toContain('SERVER_PEPPER');
      expect(String(error)).not.toContain('short-secret-value');
    }
  });
});

describe('loadEnvFile', () => {
  it('fills unset variables and keeps the real environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-env-'));
    const file = join(dir, '.env.local');
    writeFileSync(file, '# comment\nSERVER_PEPPER="abc"\nPORT=4000\n\nBROKEN\n');
    const env: NodeJS.ProcessEnv = { PORT: '5000' };
    expect(loadEnvFile(file, env)).toBe(true);
    expect(env['SERVER_PEPPER']).toBe('abc');
    expect(env['PORT']).toBe('5000');
    expect(loadEnvFile(join(dir, 'missing'), env)).toBe(false);
  });
});
