// Answer shapes built by the server and read by the dashboard (SPEC section 7 "Shapes").

/** A paged list: `nextCursor` is null on the last page. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** One entry of a generation's attempt trail, as the SPEC describes it. */
export interface GenerationAttemptView {
  provider: string;
  model: string;
  byok: boolean;
  outcome: string;
  status: number | null;
}

/** A generation record (`GET /api/generations`, `/v1/generation?id=` wrapped in `{data}`). */
export interface GenerationView {
  id: string;
  model: string;
  requested_model: string;
  provider: string | null;
  is_byok: boolean;
  fallback: boolean;
  /** Stored as written by the recorder; readers should check each entry (see GenerationAttemptView). */
  attempts: unknown;
  tokens_prompt: number;
  tokens_completion: number;
  cost: number;
  upstream_inference_cost: number;
  latency_ms: number;
  ttfb_ms: number | null;
  status: string;
  streamed: boolean;
  app_referer: string | null;
  app_title: string | null;
  created_at: string;
}

/** One row of `GET /api/usage`: totals for a day, model, key id or provider. */
export interface UsageRow {
  group: string;
  requests: number;
  cost: number;
  promptTokens: number;
  completionTokens: number;
}

/** One entry of `GET /v1/models`, in OpenRouter's shape; prices are USD per token strings. */
export interface ModelView {
  id: string;
  name: string;
  context_length: number;
  /** `'-1'` for both when the price is unknown. */
  pricing: { prompt: string; completion: string };
  endpoints: string[];
  supported_parameters: string[];
}

/** One entry of `GET /api/admin/audit`. */
export interface AdminAuditView {
  id: string;
  actorId: string;
  action: string;
  targetId: string | null;
  ip: string | null;
  details: unknown;
  createdAt: string;
}

/** An admin alias (`GET|PUT /api/admin/aliases`): `pattern` is a JS regex source. */
export interface AliasRule {
  pattern: string;
  replacement: string;
}
