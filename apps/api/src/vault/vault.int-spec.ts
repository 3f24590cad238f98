import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { KeyAuthService, KeyVerifier, parseGatewayKey } from '@gw/accounts';
import { ProviderKeysService, VaultService } from '@gw/byok';
import { Database, type ProviderKey } from '@gw/db';
import { DomainError, Secret } from '@gw/kernel';
import { canaryProviderSecrets, dumpRedis, fragments } from '@gw/testing';
import { deriveWrappingKey, openSecret, unwrapPrivateKey, VaultError } from '@gw/vault';
import { call, startTestApp, TEST_PEPPER, type TestApp } from '../testing/test-app';

const password = 'a-long-enough-secret-9';

interface Tenant {
  token: string;
  tenantId: string;
  recoveryKey: string;
  vaultKey: string;
  vaultKeyId: string;
}

async function signupWithVaultKey(app: TestApp, email: string): Promise<Tenant> {
  const signup = await call(app.url, 'POST', '/api/auth/signup', { body: { email, password } });
  expect(signup.status).toBe(201);
  expect(signup.body.recoveryKey).toMatch(/^gwr_[0-9A-Za-z]{49}$/);
  const key = await call(app.url, 'POST', '/api/keys', {
    token: signup.body.token,
    body: { name: 'vault', vaultAccess: { recoveryKey: signup.body.recoveryKey } },
  });
  expect(key.status).toBe(201);
  expect(key.body.byok).toBe(true);
  return {
    token: signup.body.token,
    tenantId: signup.body.tenant.id,
    recoveryKey: signup.body.recoveryKey,
    vaultKey: key.body.key,
    vaultKeyId: key.body.id,
  };
}

describe('the BYOK vault (SPEC section 4)', () => {
  let sut: TestApp;
  let alice: Tenant;
  let bob: Tenant;
  const canaries: string[] = [];
  const providerKeyIds: Record<string, string[]> = {};

  async function openAll(app: TestApp, gatewayKey: string, tenantId: string): Promise<unknown[]> {
    const principal = await app.app.get(KeyAuthService).authenticate(`Bearer ${gatewayKey}`);
    const rows = await app.app.get(Database).prisma.providerKey.findMany({ where: { tenantId } });
    const vault = app.app.get(VaultService);
    const opened: unknown[] = [];
    for (const row of rows) opened.push((await vault.openProviderSecret(principal, row)).reveal());
    return opened;
  }

  beforeAll(async () => {
    sut = await startTestApp({ env: { LOG_LEVEL: 'trace', ALLOW_PRIVATE_UPSTREAMS: 'true' } });
    alice = await signupWithVaultKey(sut, 'alice@example.com');
    bob = await signupWithVaultKey(sut, 'bob@example.com');
    for (const [tenant, tag] of [
      [alice, 'alice'],
      [bob, 'bob'],
    ] as const) {
      const secrets = canaryProviderSecrets(tag, {
        azureEndpoint: 'http://127.0.0.1:9/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21',
        tokenUri: 'http://127.0.0.1:9/token',
      });
      canaries.push(...secrets.canaries);
      providerKeyIds[tenant.tenantId] = [];
      for (const body of secrets.bodies) {
        const res = await call(sut.url, 'POST', '/api/provider-keys', { token: tenant.token, body });
        expect(res.status).toBe(201);
        expect(JSON.stringify(res.body)).not.toContain('CANARY');
        providerKeyIds[tenant.tenantId]?.push(res.body.id);
      }
    }
  });
  afterAll(async () => {
    await sut.close();
  });

  it('lists provider keys with hints and routing fields, never secrets', async () => {
    const list = await call(sut.url, 'GET', '/api/provider-keys', { token: alice.token });
    expect(list.status).toBe(200);
    expect(list.body.data.map((k: { provider: string }) => k.provider)).toEqual(['openrouter', 'azure', 'bedrock', 'vertex']);
    const azure = list.body.data[1];
    expect(azure).toEqual(
      expect.objectContaining({
        modelSlugs: ['gpt-4o-alice'],
        alwaysUse: false,
        disabled: false,
        hint: expect.stringMatching(/^…/),
      }),
    );
    expect(list.body.data[2].region).toBe('us-west-2');
    expect(list.body.data[3].region).toBe('us-central1');
    expect(JSON.stringify(list.body)).not.toMatch(/CANARY|PRIVATE KEY/);
  });

  it('opens every provider secret for a key with vault access, validated and bound to its row', async () => {
    const opened = await openAll(sut, alice.vaultKey, alice.tenantId);
    expect(opened).toHaveLength(4);
    expect(JSON.stringify(opened)).toContain('CANARYALICEOR');
    expect(JSON.stringify(opened)).not.toContain('CANARYBOB');
  });

  it('gives the router the same rows in plain SQL as the management routes read, and they open', async () => {
    const service = sut.app.get(ProviderKeysService);
    const routed = await service.listForRouting(alice.tenantId);
    const listed = await service.list(alice.tenantId);
    const plain = (rows: readonly ProviderKey[]) => rows.map((row) => ({ ...row, sealed: Array.from(row.sealed) }));
    expect(routed.length).toBe(providerKeyIds[alice.tenantId]?.length);
    expect(plain(routed)).toEqual(plain(listed));
    expect(routed.some((row) => row.modelSlugs.length > 0 && row.region === null)).toBe(true);
    const principal = await sut.app.get(KeyAuthService).authenticate(`Bearer ${alice.vaultKey}`);
    for (const row of routed) expect((await sut.app.get(VaultService).openProviderSecret(principal, row)).reveal()).toBeTruthy();
  });

  it('stores nothing that decrypts without a gateway secret or the recovery key', async () => {
    // Use the secrets once more so every cache is warm while we dump.
    await openAll(sut, bob.vaultKey, bob.tenantId);
    const pgDump = execFileSync('pg_dump', ['--inserts', sut.db.url], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const redisDump = await dumpRedis(sut.config.REDIS_PREFIX);
    const logs = sut.logs.join('\n');
    expect(pgDump).toContain('provider_keys');
    expect(logs.length).toBeGreaterThan(0);
    for (const value of canaries) {
      for (const fragment of fragments(value)) {
        for (const [where, haystack] of Object.entries({ pgDump, redisDump, logs })) {
          if (haystack.includes(fragment)) throw new Error(`a canary fragment is in ${where}`);
        }
      }
    }

    // Everything the server has, but no gateway secret or recovery key: try it all as keys.
    const prisma = sut.app.get(Database).prisma;
    const wraps = await prisma.vaultWrap.findMany();
    const rows = await prisma.providerKey.findMany();
    const tenants = await prisma.tenant.findMany();
    const gatewayKeys = await prisma.gatewayKey.findMany();
    const verifier = sut.app.get(KeyVerifier);
    expect(verifier).toBeDefined();
    const candidates: Uint8Array[] = [
      Buffer.from(TEST_PEPPER),
      Buffer.alloc(32),
      ...gatewayKeys.flatMap((k) => (k.verifier ? [k.verifier] : [])),
      ...tenants.flatMap((t) => (t.vaultPublicKey ? [t.vaultPublicKey] : [])),
      ...[TEST_PEPPER, password, ...gatewayKeys.map((k) => k.publicId)].map((text) =>
        Buffer.from(text.padEnd(32, '\0').slice(0, 32)),
      ),
    ].filter((candidate) => candidate.length === 32);
    let attempts = 0;
    for (const wrap of wraps) {
      const holder = wrap.kind === 'recovery_key' ? 'recovery' : (wrap.gatewayKeyId ?? '');
      for (const candidate of candidates) {
        for (const source of ['gateway_key', 'recovery_key'] as const) {
          attempts++;
          expect(() =>
            unwrapPrivateKey(wrap.wrapped, deriveWrappingKey(source, new Secret(candidate)), { tenantId: wrap.tenantId, holder }),
          ).toThrow(VaultError);
        }
      }
    }
    for (const row of rows) {
      const tenant = tenants.find((t) => t.id === row.tenantId);
      for (const candidate of candidates) {
        attempts++;
        expect(() =>
          openSecret(
            row.sealed,
            { publicKey: tenant?.vaultPublicKey ?? new Uint8Array(32), privateKey: new Secret(candidate) },
            {
              tenantId: row.tenantId,
              rowId: row.id,
              provider: row.provider,
            },
          ),
        ).toThrow(VaultError);
      }
    }
    expect(attempts).toBeGreaterThan(100);
  });

  it('gives no access to a key created without vaultAccess, and access with either proof', async () => {
    const plain = await call(sut.url, 'POST', '/api/keys', { token: alice.token, body: { name: 'credits only' } });
    expect(plain.body.byok).toBe(false);
    await expect(openAll(sut, plain.body.key, alice.tenantId)).rejects.toMatchObject({ code: 'vault_access_denied' });

    const viaKey = await call(sut.url, 'POST', '/api/keys', {
      token: alice.token,
      body: { name: 'via key', vaultAccess: { gatewayKey: alice.vaultKey } },
    });
    expect(viaKey.status).toBe(201);
    expect(viaKey.body.byok).toBe(true);
    expect(await openAll(sut, viaKey.body.key, alice.tenantId)).toHaveLength(4);

    const viaRecovery = await call(sut.url, 'POST', '/api/keys', {
      token: alice.token,
      body: { name: 'via recovery', vaultAccess: { recoveryKey: alice.recoveryKey } },
    });
    expect(await openAll(sut, viaRecovery.body.key, alice.tenantId)).toHaveLength(4);

    const inherited = await call(sut.url, 'POST', '/v1/keys', { token: viaKey.body.key, body: { name: 'inherited' } });
    expect(inherited.body.byok).toBe(true);
    expect(await openAll(sut, inherited.body.key, alice.tenantId)).toHaveLength(4);
  });

  it('refuses wrong or foreign proofs with 403 and creates no key', async () => {
    // A key with vault access, then disabled: it proves nothing until it is enabled again.
    const disabledVaultKey = async (): Promise<string> => {
      const made = await call(sut.url, 'POST', '/api/keys', {
        token: alice.token,
        body: { name: 'disabled vault', vaultAccess: { recoveryKey: alice.recoveryKey } },
      });
      await call(sut.url, 'PATCH', `/api/keys/${String(made.body.id)}`, { token: alice.token, body: { disabled: true } });
      return made.body.key as string;
    };
    const before = (await call(sut.url, 'GET', '/api/keys', { token: alice.token })).body.data.length;
    const flipped = alice.recoveryKey.slice(0, 10) + (alice.recoveryKey[10] === 'A' ? 'B' : 'A') + alice.recoveryKey.slice(11);
    for (const vaultAccess of [
      { recoveryKey: bob.recoveryKey },
      { gatewayKey: bob.vaultKey },
      { recoveryKey: flipped },
      { recoveryKey: 'nonsense' },
      { gatewayKey: (await call(sut.url, 'POST', '/api/keys', { token: alice.token, body: { name: 'no vault' } })).body.key },
      { gatewayKey: await disabledVaultKey() },
    ]) {
      const res = await call(sut.url, 'POST', '/api/keys', { token: alice.token, body: { name: 'sneaky', vaultAccess } });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe(403);
    }
    const after = (await call(sut.url, 'GET', '/api/keys', { token: alice.token })).body.data;
    expect(after.length).toBe(Number(before) + 2); // only the "no vault" and the disabled helper keys
    expect(after.map((k: { name: string }) => k.name)).not.toContain('sneaky');
  });

  it('deletes the wrap on revocation, and the revoked key opens nothing', async () => {
    const key = await call(sut.url, 'POST', '/api/keys', {
      token: alice.token,
      body: { name: 'short-lived', vaultAccess: { gatewayKey: alice.vaultKey } },
    });
    const prisma = sut.app.get(Database).prisma;
    expect(await prisma.vaultWrap.count({ where: { gatewayKeyId: key.body.id } })).toBe(1);
    expect(await openAll(sut, key.body.key, alice.tenantId)).toHaveLength(4);
    expect((await call(sut.url, 'DELETE', `/api/keys/${key.body.id}`, { token: alice.token })).status).toBe(204);
    expect(await prisma.vaultWrap.count({ where: { gatewayKeyId: key.body.id } })).toBe(0);
    await expect(openAll(sut, key.body.key, alice.tenantId)).rejects.toBeInstanceOf(DomainError);
  });

  it('regenerates the recovery key: the new one works, the old one no longer does', async () => {
    const res = await call(sut.url, 'POST', '/api/vault/recovery-key', {
      token: bob.token,
      body: { vaultAccess: { recoveryKey: bob.recoveryKey } },
    });
    expect(res.status).toBe(200);
    expect(res.body.recoveryKey).toMatch(/^gwr_/);
    const old = await call(sut.url, 'POST', '/api/keys', {
      token: bob.token,
      body: { name: 'old', vaultAccess: { recoveryKey: bob.recoveryKey } },
    });
    expect(old.status).toBe(403);
    const fresh = await call(sut.url, 'POST', '/api/keys', {
      token: bob.token,
      body: { name: 'new', vaultAccess: { recoveryKey: res.body.recoveryKey } },
    });
    expect(fresh.status).toBe(201);
    bob.recoveryKey = res.body.recoveryKey;
  });

  it('rotation re-seals every secret, keeps only presented keys, and old wraps open nothing', async () => {
    const prisma = sut.app.get(Database).prisma;
    const dropped = await call(sut.url, 'POST', '/api/keys', {
      token: bob.token,
      body: { name: 'to drop', vaultAccess: { gatewayKey: bob.vaultKey } },
    });
    const kept = await call(sut.url, 'POST', '/api/keys', {
      token: bob.token,
      body: { name: 'to keep', vaultAccess: { gatewayKey: bob.vaultKey } },
    });
    await openAll(sut, dropped.body.key, bob.tenantId); // warm its cache
    const oldWrap = await prisma.vaultWrap.findUniqueOrThrow({ where: { gatewayKeyId: dropped.body.id } });
    const sealedBefore = await prisma.providerKey.findMany({ where: { tenantId: bob.tenantId }, orderBy: { id: 'asc' } });

    const res = await call(sut.url, 'POST', '/api/vault/rotate', {
      token: bob.token,
      body: { vaultAccess: { gatewayKey: bob.vaultKey }, keepKeys: [kept.body.key] },
    });
    expect(res.status).toBe(200);
    expect(res.body.resealed).toBe(4);
    expect(res.body.keptKeyIds.sort()).toEqual([bob.vaultKeyId, kept.body.id].sort());
    expect(res.body.droppedKeyIds).toContain(dropped.body.id);
    expect(res.body.recoveryKey).toMatch(/^gwr_/);

    const sealedAfter = await prisma.providerKey.findMany({ where: { tenantId: bob.tenantId }, orderBy: { id: 'asc' } });
    sealedAfter.forEach((row, i) =>
      expect(Buffer.from(row.sealed).equals(Buffer.from(sealedBefore[i]?.sealed ?? []))).toBe(false),
    );
    expect(await prisma.vaultWrap.count({ where: { gatewayKeyId: dropped.body.id } })).toBe(0);

    // The old wrap still opens with the dropped key's secret, but the old private key opens no new blob.
    const parsed = parseGatewayKey(dropped.body.key);
    const oldPrivate = unwrapPrivateKey(
      oldWrap.wrapped,
      deriveWrappingKey('gateway_key', parsed?.secret ?? new Secret(new Uint8Array(32))),
      {
        tenantId: bob.tenantId,
        holder: dropped.body.id,
      },
    );
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { id: bob.tenantId } });
    for (const row of sealedAfter) {
      expect(() =>
        openSecret(
          row.sealed,
          { publicKey: tenant.vaultPublicKey ?? new Uint8Array(32), privateKey: oldPrivate },
          { tenantId: row.tenantId, rowId: row.id, provider: row.provider },
        ),
      ).toThrow(VaultError);
    }

    // Kept keys work; the dropped key lost vault access everywhere; the old recovery key is dead.
    expect(await openAll(sut, kept.body.key, bob.tenantId)).toHaveLength(4);
    expect(await openAll(sut, bob.vaultKey, bob.tenantId)).toHaveLength(4);
    await expect(openAll(sut, dropped.body.key, bob.tenantId)).rejects.toMatchObject({ code: 'vault_access_denied' });
    const withOldRecovery = await call(sut.url, 'POST', '/api/keys', {
      token: bob.token,
      body: { name: 'x', vaultAccess: { recoveryKey: bob.recoveryKey } },
    });
    expect(withOldRecovery.status).toBe(403);
    const keys = (await call(sut.url, 'GET', '/api/keys', { token: bob.token })).body.data;
    expect(keys.find((k: { id: string }) => k.id === dropped.body.id)?.byok).toBe(false);
  });

  it("answers 404 for another tenant's provider keys on every route", async () => {
    const aliceKeyId = providerKeyIds[alice.tenantId]?.[0] ?? '';
    const bobGateway = await call(sut.url, 'POST', '/api/keys', { token: bob.token, body: { name: 'bob mgmt' } });
    const attempts = [
      call(sut.url, 'GET', `/api/provider-keys/${aliceKeyId}`, { token: bob.token }),
      call(sut.url, 'PATCH', `/api/provider-keys/${aliceKeyId}`, { token: bob.token, body: { label: 'mine' } }),
      call(sut.url, 'DELETE', `/api/provider-keys/${aliceKeyId}`, { token: bob.token }),
      call(sut.url, 'GET', `/v1/provider-keys/${aliceKeyId}`, { token: bobGateway.body.key }),
      call(sut.url, 'PATCH', `/v1/provider-keys/${aliceKeyId}`, { token: bobGateway.body.key, body: { alwaysUse: true } }),
      call(sut.url, 'DELETE', `/v1/provider-keys/${aliceKeyId}`, { token: bobGateway.body.key }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe(404);
    }
    const bobList = await call(sut.url, 'GET', '/v1/provider-keys', { token: bobGateway.body.key });
    expect(bobList.body.data.map((k: { id: string }) => k.id)).not.toContain(aliceKeyId);
    // Bob's key cannot open Alice's rows either, even when handed the row directly.
    const principal = await sut.app.get(KeyAuthService).authenticate(`Bearer ${bob.vaultKey}`);
    const row = await sut.app.get(Database).prisma.providerKey.findUniqueOrThrow({ where: { id: aliceKeyId } });
    await expect(sut.app.get(VaultService).openProviderSecret(principal, row)).rejects.toMatchObject({ code: 'not_found' });
    expect((await call(sut.url, 'GET', `/api/provider-keys/${aliceKeyId}`, { token: alice.token })).status).toBe(200);
  });

  it('provisions a vault inside a plain pg transaction (the bootstrap admin) that its recovery key opens', async () => {
    const db = sut.app.get(Database);
    const vault = sut.app.get(VaultService);
    const tenantId = randomUUID();
    const recoveryKey = await db.transaction(async (client) => {
      await client.query(`INSERT INTO tenants (id, name) VALUES ($1, 'bootstrap')`, [tenantId]);
      return vault.provisionTenant(tenantId, client);
    });
    await expect(
      vault.regenerateRecoveryKey(tenantId, { recoveryKey: new Secret(alice.recoveryKey) }, { type: 'system' }, null),
    ).rejects.toBeInstanceOf(DomainError);
    const next = await vault.regenerateRecoveryKey(tenantId, { recoveryKey }, { type: 'system' }, null);
    expect(next.reveal()).not.toBe(recoveryKey.reveal());
    const { rows } = await db.pool.query<{ action: string }>(
      'SELECT action FROM vault_audit_log WHERE tenant_id = $1 ORDER BY created_at, action',
      [tenantId],
    );
    expect(rows.map((row) => row.action)).toEqual(['vault.created', 'vault.recovery_key_regenerated']);
  });

  it('updates and deletes provider keys, recording every change in the audit log', async () => {
    const id = providerKeyIds[alice.tenantId]?.[0] ?? '';
    const patched = await call(sut.url, 'PATCH', `/api/provider-keys/${id}`, {
      token: alice.token,
      body: { alwaysUse: true, label: 'primary' },
    });
    expect(patched.body).toEqual(expect.objectContaining({ alwaysUse: true, label: 'primary' }));
    expect((await call(sut.url, 'DELETE', `/api/provider-keys/${id}`, { token: alice.token })).status).toBe(204);
    expect((await call(sut.url, 'GET', `/api/provider-keys/${id}`, { token: alice.token })).status).toBe(404);
    const audit = await call(sut.url, 'GET', '/api/vault/audit?limit=100', { token: alice.token });
    expect(audit.status).toBe(200);
    const actions = audit.body.data.map((e: { action: string }) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'vault.created',
        'key.vault_access_granted',
        'provider_key.created',
        'provider_key.updated',
        'provider_key.deleted',
        'key.vault_access_revoked',
      ]),
    );
    const created = audit.body.data.find((e: { action: string }) => e.action === 'provider_key.created');
    expect(created).toEqual(expect.objectContaining({ actorType: 'user', ip: expect.any(String), targetId: expect.any(String) }));
    expect(JSON.stringify(audit.body)).not.toContain('CANARY');
    const bobAudit = await call(sut.url, 'GET', '/api/vault/audit', { token: bob.token });
    expect(bobAudit.body.data.map((e: { targetId: string | null }) => e.targetId)).not.toContain(id);
    const page = await call(sut.url, 'GET', '/api/vault/audit?limit=2', { token: alice.token });
    expect(page.body.data).toHaveLength(2);
    const next = await call(sut.url, 'GET', `/api/vault/audit?limit=2&cursor=${page.body.nextCursor}`, { token: alice.token });
    expect(next.body.data[0].id).not.toBe(page.body.data[0].id);
  });
});
