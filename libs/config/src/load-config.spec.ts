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
