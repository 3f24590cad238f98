import type { FailureKind } from '@gw/providers';

export type GenerationStatus = 'ok' | 'error' | 'aborted';

export interface AttemptRecord {
  provider: string;
  model: string;
  byok: boolean;
  /** `ok` or the failure kind. */
  outcome: 'ok' | FailureKind;
  status: number | null;
  /** Requested parameters this backend cannot honour: dropped from the upstream request. */
  dropped?: string[];
}

/** What is recorded for every /v1 request (money fields are integer micro-USD). */
export interface GenerationRecord {
  id: string;
  tenantId: string;
  keyId: string;
  requestedModel: string;
  model: string;
  provider: string | null;
  isByok: boolean;
  fallback: boolean;
  attempts: AttemptRecord[];
  promptTokens: number;
  completionTokens: number;
  costMicros: string;
  upstreamCostMicros: string;
  latencyMs: number;
  ttfbMs: number | null;
  status: GenerationStatus;
  httpStatus: number;
  streamed: boolean;
  appReferer: string | null;
  appTitle: string | null;
  createdAt: string;
}
