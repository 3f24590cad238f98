import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { generateGatewayKey, KeyAuthService, KeyVerifier, parseGatewayKey } from '@gw/accounts';
import { VaultService } from '@gw/byok';
import { loadConfig } from '@gw/config';
import { PROVIDER_SECRET_SCHEMAS } from '@gw/contracts';
import { Database, ensureDatabase, MigrationRunner } from '@gw/db';
import { Secret } from '@gw/kernel';
import {
  deriveWrappingKey,
  generateTenantKeyPair,
  openSecret,
  sealSecret,
  unwrapPrivateKey,
  vaultReady,
  wrapPrivateKey,
} from '@gw/vault';
import { createApp } from '../../apps/api/src/create-app';
import { createLogger } from '../../apps/api/src/http/logger';
import { micros, summarize } from './stats';

const ITERATIONS = 5000;
const WARMUP = 500;

export interface VaultBenchResult {
  cryptoUncached: ReturnType<typeof summarize>;
  serviceCold: ReturnType<typeof summarize>;
  serviceUncached: ReturnType<typeof summarize>;
  serviceCached: ReturnType<typeof summarize>;
}

/** The crypto of one uncached open, with no I/O: verify, derive, unwrap, open, validate. */
async function cryptoPath(): Promise<ReturnType<typeof summarize>> {
  await vaultReady();
  const verifier = await KeyVerifier.create('bench-pepper-0123456789abcdef0123456789');
  const pair = generateTenantKeyPair();
  const generated = generateGatewayKey();
  const stored = verifier.compute(generated.parsed.publicId, generated.parsed.secret);
  const binding = { tenantId: 't', holder: 'k' };
  const wrapped = wrapPrivateKey(pair.privateKey, deriveWrappingKey('gateway_key', generated.parsed.secret), binding);
  const sealBinding = { tenantId: 't', rowId: 'r', provider: 'openrouter' };
  const sealed = sealSecret(pair.publicKey, sealBinding, new Secret(`sk-or-v1-${randomBytes(32).toString('hex')}`));
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS + WARMUP; i++) {
    const start = process.hrtime.bigint();
    const parsed = parseGatewayKey(generated.key.reveal());
    if (!parsed || !verifier.matches(parsed.publicId, parsed.secret, stored)) throw new Error('verify failed');
    const privateKey = unwrapPrivateKey(wrapped, deriveWrappingKey('gateway_key', parsed.secret), binding);
    const secret = openSecret(sealed, { publicKey: pair.publicKey, privateKey }, sealBinding);
    PROVIDER_SECRET_SCHEMAS.openrouter.parse(secret.reveal());
    if (i >= WARMUP) samples.push(micros(start));
  }
  return summarize(samples);
}

/** The real service against Postgres: key auth (cached) + VaultService.openProviderSecret. */
type Summary = ReturnType<typeof summarize>;

async function servicePath(): Promise<{ cold: Summary; uncached: Summary; cached: Summary }> {
  const database = `gw_bench_${randomBytes(4).toString('hex')}`;
  const url = `postgresql://postgres@127.0.0.1:5432/${database}`;
  await ensureDatabase(url);
  const root = join(__dirname, '../..');
  const runner = new MigrationRunner({
    databaseUrl: url,
    migrationsDir: join(root, 'prisma/migrations'),
    schemaPath: join(root, 'prisma/schema.prisma'),
  });
  await runner.deploy();
  await runner.close();
  const config = loadConfig({
    SERVER_PEPPER: 'bench-pepper-0123456789abcdef0123456789',
    DATABASE_URL: url,
    REDIS_PREFIX: `gwbench:${database}:`,
    LOG_LEVEL: 'silent',
    ALLOW_PRIVATE_UPSTREAMS: 'true',
  });
  const app = await createApp(config, { logger: createLogger(config) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const address = app.getHttpServer().address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const post = async (path: string, body: unknown, token?: string) => {
      const res = await fetch(base + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
      return (await res.json()) as Record<string, unknown>;
    };
    const signup = await post('/api/auth/signup', { email: 'bench@example.com', password: 'bench-password-123' });
    const token = String(signup['token']);
    const key = await post('/api/keys', { name: 'bench', vaultAccess: { recoveryKey: signup['recoveryKey'] } }, token);
    await post('/api/provider-keys', { provider: 'openrouter', secret: `sk-or-v1-${randomBytes(32).toString('hex')}` }, token);
    const auth = app.get(KeyAuthService);
    const vault = app.get(VaultService);
    const principal = await auth.authenticate(`Bearer ${String(key['key'])}`);
    const [row] = await app.get(Database).prisma.providerKey.findMany({ where: { tenantId: principal.tenantId } });
    if (!row) throw new Error('no provider key');
    const run = async (clear: { wraps: boolean } | null) => {
      const samples: number[] = [];
      for (let i = 0; i < ITERATIONS + WARMUP; i++) {
        if (clear) vault.clearCache(clear);
        const start = process.hrtime.bigint();
        const p = await auth.authenticate(`Bearer ${String(key['key'])}`);
        await vault.openProviderSecret(p, row);
        if (i >= WARMUP) samples.push(micros(start));
      }
      return summarize(samples);
    };
    return { cold: await run({ wraps: true }), uncached: await run({ wraps: false }), cached: await run(null) };
  } finally {
    await app.close();
    const admin = new Client({ connectionString: 'postgresql://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  }
}

export async function benchVault(): Promise<VaultBenchResult> {
  const cryptoUncached = await cryptoPath();
  const { cold, uncached, cached } = await servicePath();
  return { cryptoUncached, serviceCold: cold, serviceUncached: uncached, serviceCached: cached };
}
