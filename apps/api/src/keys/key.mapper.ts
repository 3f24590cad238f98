import type { CreatedKey } from '@gw/accounts';
import type { CreatedGatewayKey, GatewayKeyView } from '@gw/contracts';
import type { GatewayKey } from '@gw/db';
import { microsToUsd } from '@gw/kernel';

export function toKeyView(row: GatewayKey): GatewayKeyView {
  return {
    id: row.id,
    name: row.name,
    hint: row.hint,
    byok: row.vaultAccess,
    disabled: row.disabled,
    creditLimit: row.creditLimit === null ? null : microsToUsd(row.creditLimit),
    rateLimitRpm: row.rateLimitRpm,
    usage: microsToUsd(row.usageMicros),
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}

export function toCreatedKeyView(created: CreatedKey): CreatedGatewayKey {
  return { ...toKeyView(created.row), key: created.key.reveal() };
}
