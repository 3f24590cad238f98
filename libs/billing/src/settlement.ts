import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';

/** One settled generation's charge, as the request path decided it. */
export interface GenerationCharge {
  readonly generationId: string;
  readonly tenantId: string;
  readonly keyId: string;
  readonly kind: 'charge' | 'byok_fee';
  readonly amountMicros: bigint;
}

export interface TenantBalanceState {
  readonly balanceMicros: bigint;
  readonly version: bigint;
}

export interface PostedCharges {
  /** Generations whose charge was cut to what the balance could still pay: the amount posted. */
  readonly clamped: ReadonlyMap<string, bigint>;
  /** Every given tenant's balance row after the postings. */
  readonly balances: ReadonlyMap<string, TenantBalanceState>;
}

interface LockedRow {
  tenant_id: string;
  balance_micros: string;
}

interface StateRow {
  tenant_id: string;
  balance_micros: string;
  version: string;
}

/**
 * Posts a batch of generation charges inside the caller's transaction (the one that inserted the
 * generations, so a generation and its charge commit together or not at all): one ledger entry per
 * charge, idempotent by `gen:<id>`, the balance row updated once per tenant with its version
 * bumped, and each key's spend. Tenants are locked in id order, so concurrent writers cannot
 * deadlock. A charge the balance cannot fully pay (the usage outran its reservation) is cut to
 * the balance: the balance never goes below zero.
 */
export async function postGenerationCharges(
  client: PoolClient,
  charges: readonly GenerationCharge[],
  tenantIds: readonly string[],
): Promise<PostedCharges> {
  const clamped = new Map<string, bigint>();
  let positive = charges.filter((charge) => charge.amountMicros > 0n);
  if (positive.length > 0) {
    // A charge already in the ledger (which only a hand-edited database could produce: a generation
    // and its charge commit together) is skipped rather than failing the batch forever.
    const existing = await client.query<{ generation_id: string }>(
      `SELECT generation_id FROM ledger_entries WHERE idempotency_key = ANY($1::text[])`,
      [positive.map((charge) => `gen:${charge.generationId}`)],
    );
    const posted = new Set(existing.rows.map((row) => row.generation_id));
    positive = positive.filter((charge) => !posted.has(charge.generationId));
  }
  if (positive.length > 0) {
    const chargedTenants = [...new Set(positive.map((charge) => charge.tenantId))].sort();
    await client.query(
      `INSERT INTO tenant_balances (tenant_id, balance_micros, updated_at)
       SELECT unnest($1::uuid[]), 0, now() ON CONFLICT (tenant_id) DO NOTHING`,
      [chargedTenants],
    );
    const locked = await client.query<LockedRow>(
      `SELECT tenant_id, balance_micros::text AS balance_micros FROM tenant_balances
        WHERE tenant_id = ANY($1::uuid[]) ORDER BY tenant_id FOR UPDATE`,
      [chargedTenants],
    );
    const balances = new Map(locked.rows.map((row) => [row.tenant_id, BigInt(row.balance_micros)]));
    const entries: { id: string; charge: GenerationCharge; amount: bigint; after: bigint }[] = [];
    for (const charge of positive) {
      const before = balances.get(charge.tenantId) ?? 0n;
      const amount = charge.amountMicros <= before ? charge.amountMicros : before;
      if (amount !== charge.amountMicros) clamped.set(charge.generationId, amount);
      if (amount === 0n) continue; // zero-amount entries are not written
      const after = before - amount;
      balances.set(charge.tenantId, after);
      entries.push({ id: randomUUID(), charge, amount, after });
    }
    if (entries.length > 0) {
      const inserted = await client.query<{ generation_id: string }>(
        `INSERT INTO ledger_entries (id, tenant_id, kind, amount_micros, balance_after_micros, generation_id, idempotency_key, created_at)
         SELECT e.id, e.tenant_id, e.kind::"LedgerKind", -e.amount, e.after, e.generation_id, 'gen:' || e.generation_id, now()
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::bigint[], $6::text[])
             AS e(id, tenant_id, kind, amount, after, generation_id)
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING generation_id`,
        [
          entries.map((e) => e.id),
          entries.map((e) => e.charge.tenantId),
          entries.map((e) => e.charge.kind),
          entries.map((e) => e.amount.toString()),
          entries.map((e) => e.after.toString()),
          entries.map((e) => e.charge.generationId),
        ],
      );
      // The generation rows are new in this transaction, so their ledger keys are too; anything
      // else would mean a second charge, which the unique key refuses and this check reports.
      if (inserted.rowCount !== entries.length) throw new Error('a generation already had a ledger entry');
      const perTenant = new Map<string, bigint>();
      const perKey = new Map<string, bigint>();
      for (const entry of entries) {
        perTenant.set(entry.charge.tenantId, (perTenant.get(entry.charge.tenantId) ?? 0n) + entry.amount);
        perKey.set(entry.charge.keyId, (perKey.get(entry.charge.keyId) ?? 0n) + entry.amount);
      }
      await client.query(
        `UPDATE tenant_balances b SET balance_micros = b.balance_micros - v.amount, version = b.version + 1, updated_at = now()
           FROM unnest($1::uuid[], $2::bigint[]) AS v(tenant_id, amount) WHERE b.tenant_id = v.tenant_id`,
        [[...perTenant.keys()], [...perTenant.values()].map(String)],
      );
      await client.query(
        `UPDATE gateway_keys k SET usage_micros = k.usage_micros + v.amount
           FROM unnest($1::uuid[], $2::bigint[]) AS v(key_id, amount) WHERE k.id = v.key_id`,
        [[...perKey.keys()], [...perKey.values()].map(String)],
      );
    }
  }
  const states = await client.query<StateRow>(
    `SELECT tenant_id, balance_micros::text AS balance_micros, version::text AS version FROM tenant_balances
      WHERE tenant_id = ANY($1::uuid[])`,
    [[...new Set(tenantIds)]],
  );
  const balances = new Map<string, TenantBalanceState>(
    states.rows.map((row) => [row.tenant_id, { balanceMicros: BigInt(row.balance_micros), version: BigInt(row.version) }]),
  );
  return { clamped, balances };
}
