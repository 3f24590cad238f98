import type { ProviderId } from './routing.types';

const NAMES: ReadonlyMap<string, ProviderId> = new Map<string, ProviderId>([
  ['openrouter', 'openrouter'],
  ['azure', 'azure'],
  ['bedrock', 'bedrock'],
  ['vertex', 'vertex'],
  // OpenRouter's own slugs for the same backends, so requests written for OpenRouter work unchanged.
  ['amazon-bedrock', 'bedrock'],
  ['google-vertex', 'vertex'],
]);

/**
 * A `provider.order|only|ignore` entry to our provider id, or null when unknown. Case-insensitive;
 * spaces and underscores count as hyphens so OpenRouter's display names ("Amazon Bedrock") work too.
 */
export function normalizeProviderName(name: string): ProviderId | null {
  const key = name
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-');
  return NAMES.get(key) ?? null;
}
