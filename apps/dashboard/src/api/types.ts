// Answer shapes the contracts library leaves to the server (views built in services); kept here
// as the dashboard reads them.

export interface BalanceView {
  balance: number;
  reserved: number;
  /** Present once the server reports the month's BYOK allowance. */
  byokAllowance?: { month: string; requestsUsed: number; freeRequests: number; usdUsed: number; freeUsd: number | null };
}

export interface UsageRow {
  group: string;
  requests: number;
  cost: number;
  promptTokens: number;
  completionTokens: number;
}

export interface AttemptView {
  provider: string;
  model: string;
  byok: boolean;
  outcome: string;
  status: number | null;
}

export interface GenerationView {
  id: string;
  model: string;
  requested_model?: string;
  provider: string | null;
  is_byok: boolean;
  fallback: boolean;
  attempts: unknown;
  tokens_prompt: number;
  tokens_completion: number;
  cost: number;
  upstream_inference_cost: number;
  latency_ms: number;
  ttfb_ms: number | null;
  status: string;
  app_referer: string | null;
  app_title: string | null;
  created_at: string;
}

export interface Paged<T> {
  data: T[];
  nextCursor: string | null;
}

export interface ModelView {
  id: string;
  name: string;
  context_length?: number;
  pricing?: { prompt: string; completion: string };
}

export interface AdminAuditView {
  id: string;
  actorId: string;
  action: string;
  targetId: string | null;
  ip: string | null;
  details: unknown;
  createdAt: string;
}

export interface AliasRule {
  pattern: string;
  replacement: string;
}

/** Reads an attempt trail defensively: the field is typed loosely on the server. */
export function attemptsOf(generation: GenerationView): AttemptView[] {
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
