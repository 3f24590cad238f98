import type { ProviderKeyView } from '@gw/contracts';
import type { ProviderKey } from '@gw/db';

/** Explicit mapping: the sealed blob never leaves the server. */
export function toProviderKeyView(row: ProviderKey): ProviderKeyView {
  return {
    id: row.id,
    provider: row.provider,
    label: row.label,
    hint: row.hint,
    alwaysUse: row.alwaysUse,
    disabled: row.disabled,
    modelSlugs: row.modelSlugs,
    region: row.region,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}
