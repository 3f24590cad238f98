/** Token counts a scripted answer reports; `cost` (USD) only shows on OpenRouter, which bills per request. */
export interface UsageScript {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly cost?: number;
  /** OpenAI-style breakdowns (`prompt_tokens_details.cached_tokens`, `completion_tokens_details.reasoning_tokens`); 0 when unset. */
  readonly cached_tokens?: number;
  readonly reasoning_tokens?: number;
}

/** Knobs shared by every behaviour that ends in a normal completion. */
export interface OkOptions {
  /** Replaces the derived answer (echo, tool call or JSON) with this exact text. */
  readonly content?: string;
  readonly usage?: UsageScript;
  /** Wait before the response headers: time to first byte. */
  readonly delayMs?: number;
  /** Wait before each SSE data chunk after the first. */
  readonly chunkDelayMs?: number;
  /** Wait between a stream's last event (`[DONE]`) and the end of the response body. */
  readonly endDelayMs?: number;
}

/**
 * What a fake upstream does with one chat-completions request. Scripted per credential with
 * `FakeUpstream.script`; each request consumes one.
 */
export type Behaviour =
  | ({ readonly kind: 'ok' } & OkOptions)
  | {
      readonly kind: 'status';
      readonly status: number;
      /** Defaults to the provider's real error body for `status`; a string is sent verbatim as text/plain. */
      readonly body?: unknown;
      /** Merged over the provider's default headers for `status`; `null` removes a default (e.g. `retry-after`). */
      readonly headers?: Readonly<Record<string, string | null>>;
      readonly delayMs?: number;
    }
  /** Reads the request and never answers, until the client or `close()` ends the connection. */
  | { readonly kind: 'hang' }
  /** Sends `afterChunks` SSE data events, then destroys the socket (non-streaming: half the JSON body). */
  | { readonly kind: 'drop-mid-stream'; readonly afterChunks: number; readonly chunkDelayMs?: number }
  /** One valid chunk, then `data: {not json`, then `[DONE]` (non-streaming: a 200 with a broken JSON body). */
  | { readonly kind: 'malformed-sse'; readonly chunkDelayMs?: number }
  /** A couple of chunks, then the provider's mid-stream error event, then `[DONE]` (non-streaming: a 502). */
  | { readonly kind: 'error-chunk'; readonly chunkDelayMs?: number }
  /** SSE keep-alive comments before the first data chunk, then a normal completion (OpenRouter only). */
  | ({ readonly kind: 'keepalive'; readonly comments: number; readonly intervalMs: number } & OkOptions);

export type BehaviourKind = Behaviour['kind'];

/** The credential key that scripts behaviours for requests whose own credential has none queued. */
export const ANY_CREDENTIAL = '*';
