import { normalizeProviderName } from './provider-name.normalizer';
import type { BadRequestError, ProviderId, ProviderPreferences } from './routing.types';

export interface ResolvedPreferences {
  /** Deduplicated; empty when not given. */
  order: readonly ProviderId[];
  /** Null when not given or empty: an empty `only` reads as "no restriction", not "nothing". */
  only: ReadonlySet<ProviderId> | null;
  ignore: ReadonlySet<ProviderId>;
  allowFallbacks: boolean;
  requireParameters: boolean;
  sort: NonNullable<ProviderPreferences['sort']> | null;
}

/** Validates the provider names and applies OpenRouter's defaults; errors name `provider.<list>.<index>`. */
export function resolveProviderPreferences(preferences: ProviderPreferences | undefined): ResolvedPreferences | BadRequestError {
  const order = resolveList(preferences?.order, 'order');
  if (!Array.isArray(order)) return order;
  const only = resolveList(preferences?.only, 'only');
  if (!Array.isArray(only)) return only;
  const ignore = resolveList(preferences?.ignore, 'ignore');
  if (!Array.isArray(ignore)) return ignore;
  return {
    order: [...new Set(order)],
    only: only.length > 0 ? new Set(only) : null,
    ignore: new Set(ignore),
    allowFallbacks: preferences?.allow_fallbacks ?? true,
    requireParameters: preferences?.require_parameters ?? false,
    sort: preferences?.sort ?? null,
  };
}

function resolveList(names: readonly string[] | undefined, list: 'order' | 'only' | 'ignore'): ProviderId[] | BadRequestError {
  const ids: ProviderId[] = [];
  for (const [index, name] of (names ?? []).entries()) {
    const id = normalizeProviderName(name);
    if (id === null) {
      return {
        kind: 'bad_request',
        field: `provider.${list}.${index}`,
        message: `Unknown provider "${name}"; use openrouter, azure, bedrock or vertex.`,
      };
    }
    ids.push(id);
  }
  return ids;
}
