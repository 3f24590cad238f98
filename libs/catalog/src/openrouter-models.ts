/** One model of OpenRouter's `GET /models`, as the catalogue stores it. */
export interface SyncedModel {
  readonly id: string;
  readonly name: string;
  readonly contextLength: number;
  /** micro-USD per million tokens; null when OpenRouter gives no fixed price (routers, variable pricing). */
  readonly promptMicrosPerMTok: bigint | null;
  readonly completionMicrosPerMTok: bigint | null;
}

const ID = /^[a-z0-9-]+\/[\w.:@-]+$/;
/** USD per token to micro-USD per million tokens: times 10^12. */
const SCALE = 12;

/**
 * A USD-per-token decimal string (`"0.0000025"`) to integer micro-USD per million tokens, exactly;
 * digits past the 12th decimal round up (a price is never understated). Null for a negative or
 * unparsable price (OpenRouter writes `-1` for models priced per call by the router).
 */
export function perTokenToMicrosPerMTok(value: unknown): bigint | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const text = typeof value === 'number' ? value.toFixed(15) : value.trim();
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return null;
  const whole = BigInt(match[1] ?? '0');
  const fraction = match[2] ?? '';
  const kept = BigInt(fraction.slice(0, SCALE).padEnd(SCALE, '0'));
  const roundUp = /[1-9]/.test(fraction.slice(SCALE)) ? 1n : 0n;
  return whole * 10n ** BigInt(SCALE) + kept + roundUp;
}

/** Parses OpenRouter's model list, skipping entries that are not well formed. */
export function parseOpenRouterModels(body: unknown): SyncedModel[] {
  const data = typeof body === 'object' && body !== null ? (body as { data?: unknown }).data : undefined;
  if (!Array.isArray(data)) throw new Error('the model list has no data array');
  const models: SyncedModel[] = [];
  for (const item of data as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const entry = item as { id?: unknown; name?: unknown; context_length?: unknown; pricing?: unknown };
    if (typeof entry.id !== 'string' || !ID.test(entry.id) || entry.id.length > 200) continue;
    const pricing = (typeof entry.pricing === 'object' && entry.pricing !== null ? entry.pricing : {}) as {
      prompt?: unknown;
      completion?: unknown;
    };
    const prompt = perTokenToMicrosPerMTok(pricing.prompt);
    const completion = perTokenToMicrosPerMTok(pricing.completion);
    const context =
      typeof entry.context_length === 'number' && Number.isSafeInteger(entry.context_length) ? entry.context_length : 0;
    models.push({
      id: entry.id,
      name: typeof entry.name === 'string' && entry.name.length > 0 ? entry.name.slice(0, 200) : entry.id,
      contextLength: context > 0 ? context : 4096,
      // A price is whole or absent: half a price would bill one side at zero.
      promptMicrosPerMTok: prompt !== null && completion !== null ? prompt : null,
      completionMicrosPerMTok: prompt !== null && completion !== null ? completion : null,
    });
  }
  return models;
}
