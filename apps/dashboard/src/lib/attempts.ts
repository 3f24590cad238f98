import type { GenerationAttemptView, GenerationView } from '@gw/contracts';

/** Reads an attempt trail defensively: the server passes the stored JSON through untyped. */
export function attemptsOf(generation: GenerationView): GenerationAttemptView[] {
  if (!Array.isArray(generation.attempts)) return [];
  return generation.attempts.flatMap((item: unknown) => {
    if (typeof item !== 'object' || item === null) return [];
    const record = item as Record<string, unknown>;
    return [
      {
        provider: typeof record['provider'] === 'string' ? record['provider'] : '?',
        model: typeof record['model'] === 'string' ? record['model'] : '?',
        byok: record['byok'] === true,
        outcome: typeof record['outcome'] === 'string' ? record['outcome'] : '?',
        status: typeof record['status'] === 'number' ? record['status'] : null,
      },
    ];
  });
}
