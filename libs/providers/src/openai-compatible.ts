import { CHAT_PARAMS, type ChatParam, type ChatRequestBody } from '@gw/contracts';
import type {
  AttemptContext,
  FailureKind,
  JsonObject,
  ProviderAdapter,
  ProviderCredential,
  ProviderId,
  UpstreamError,
  UpstreamRequest,
  Usage,
} from './provider.types';
import { SseDecoder } from './sse/sse-decoder';

/** OpenRouter's extensions to the OpenAI parameters. */
export const OPENROUTER_ONLY_PARAMS: ReadonlySet<ChatParam> = new Set<ChatParam>([
  'top_k',
  'top_a',
  'min_p',
  'repetition_penalty',
  'reasoning',
]);

/** Parameters of OpenAI's own chat API (Azure serves exactly these): every chat parameter but OpenRouter's. */
export const OPENAI_PARAMS: ReadonlySet<ChatParam> = new Set<ChatParam>(
  CHAT_PARAMS.filter((param) => !OPENROUTER_ONLY_PARAMS.has(param)),
);

/** A JSON object (not an array, not null). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function usageFrom(value: unknown): Usage | null {
  if (!isObject(value)) return null;
  const prompt = value['prompt_tokens'];
  const completion = value['completion_tokens'];
  if (typeof prompt !== 'number' || typeof completion !== 'number') return null;
  const cost = value['cost'];
  const usage: Usage = {
    promptTokens: prompt,
    completionTokens: completion,
    upstreamCostUsd: typeof cost === 'number' ? cost : null,
  };
  const promptDetails = countsOf(value['prompt_tokens_details']);
  const completionDetails = countsOf(value['completion_tokens_details']);
  if (promptDetails || completionDetails) {
    usage.details = {
      ...(promptDetails ? { prompt: promptDetails } : {}),
      ...(completionDetails ? { completion: completionDetails } : {}),
    };
  }
  return usage;
}

/** A usage breakdown's token counts (finite, non-negative numbers); null when it has none. */
function countsOf(value: unknown): Record<string, number> | null {
  if (!isObject(value)) return null;
  const counts: Record<string, number> = {};
  let any = false;
  for (const [name, count] of Object.entries(value)) {
    if (typeof count === 'number' && Number.isFinite(count) && count >= 0 && name.length <= 64) {
      counts[name] = count;
      any = true;
    }
  }
  return any ? counts : null;
}

export function chunkUsage(chunk: JsonObject): Usage | null {
  return usageFrom(chunk['usage']);
}

/** The message an OpenAI-style error body carries, trimmed; never echoes credentials. */
export function errorMessage(body: unknown): string {
  if (isObject(body)) {
    const error = body['error'];
    if (isObject(error) && typeof error['message'] === 'string') return error['message'].slice(0, 500);
    if (typeof body['message'] === 'string') return body['message'].slice(0, 500);
  }
  return typeof body === 'string' ? body.slice(0, 200) : 'upstream error';
}

export function kindOfStatus(status: number): FailureKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate_limited';
  if (status === 404) return 'not_found';
  if (status >= 500 || status < 200 || (status >= 300 && status < 400)) return 'server';
  return 'client';
}

export function retryAfter(headers: Record<string, string | string[] | undefined>): number | null {
  const raw = headers['retry-after'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

export function classifyOpenAiError(
  status: number,
  body: unknown,
  headers: Record<string, string | string[] | undefined>,
): UpstreamError {
  const kind = kindOfStatus(status);
  return {
    kind,
    status,
    message: errorMessage(body),
    retryAfterSeconds: retryAfter(headers),
    ...(kind === 'client' ? { body } : {}),
  };
}

/** The gateway's own fields that no upstream should receive. */
export const GATEWAY_ONLY_FIELDS = ['model', 'models', 'route', 'provider', 'transforms', 'plugins'] as const;

/**
 * What every backend that answers in OpenAI's own format shares (OpenRouter, Azure): JSON
 * responses, SSE streams, usage and error shapes. Subclasses say which parameters they take and
 * how to address and authenticate the request.
 */
export abstract class OpenAiCompatibleAdapter<C extends ProviderCredential> implements ProviderAdapter<C> {
  abstract readonly id: ProviderId;
  abstract supportedParams(model: string): ReadonlySet<ChatParam>;
  abstract buildRequest(request: ChatRequestBody, ctx: AttemptContext<C>): UpstreamRequest;

  parseResponse(body: unknown): { completion: JsonObject; usage: Usage | null } {
    const completion = (typeof body === 'object' && body !== null ? body : {}) as JsonObject;
    return { completion, usage: usageFrom(completion['usage']) };
  }

  createStreamDecoder(): SseDecoder {
    return new SseDecoder();
  }

  usageOf(chunk: JsonObject): Usage | null {
    return chunkUsage(chunk);
  }

  classifyError(status: number, body: unknown, headers: Record<string, string | string[] | undefined>): UpstreamError {
    return classifyOpenAiError(status, body, headers);
  }
}
