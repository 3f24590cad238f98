import type { Answer } from './answer';

/** A complete non-streamed reply: status, JSON body (a string is sent as text) and headers. */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string>>;
}

/** What a request is for, decided by the provider's URL scheme. */
export type DialectRoute =
  /** A chat completion; `deployment` is the model named by the URL (Azure classic), if any. */
  | { readonly kind: 'chat'; readonly deployment: string | null }
  /** A canned answer (model lists, unknown routes, missing api-version). */
  | { readonly kind: 'respond'; readonly reply: Reply; readonly requiresCredential: boolean };

/** Identity of one chat completion, shared by every chunk of its stream. */
export interface CompletionContext {
  readonly id: string;
  readonly created: number;
  /** The model name responses report. */
  readonly model: string;
  /** `stream_options.include_usage` was true. */
  readonly includeUsage: boolean;
}

/** One SSE data event; `content` marks events that carry part of the answer. */
export interface StreamEvent {
  readonly payload: unknown;
  readonly content: boolean;
}

export type ServedModel = { readonly ok: true; readonly model: string } | { readonly ok: false; readonly reply: Reply };

/** Everything that differs between providers speaking the OpenAI chat protocol. */
export interface UpstreamDialect {
  /** The SSE comment sent as a keep-alive, or null when the provider sends none. */
  readonly keepaliveComment: string | null;
  /** The provider's id format (`gen-...`, `chatcmpl-...`) for the `sequence`-th completion. */
  completionId(sequence: number, created: number): string;
  route(method: string, url: URL): DialectRoute;
  /** The credential in lower-cased request headers, or null when none is usable. */
  credential(headers: Readonly<Record<string, string>>): string | null;
  /** The 401 for a missing (null) or rejected credential. */
  unauthorized(credential: string | null): Reply;
  /** The provider's real error for `status` (body and headers such as `retry-after`). */
  error(status: number, message?: string): Reply;
  /** Which model serves a chat request; an unknown deployment or a missing model is an error reply. */
  servedModel(deployment: string | null, requestedModel: string | null): ServedModel;
  /** Headers every chat response carries (request ids, rate-limit counters). */
  responseHeaders(context: CompletionContext): Readonly<Record<string, string>>;
  completion(answer: Answer, context: CompletionContext): unknown;
  /** The data events of a streamed answer, in order, without the `[DONE]` sentinel. */
  streamEvents(answer: Answer, context: CompletionContext): readonly StreamEvent[];
  /** The data event a provider sends when generation fails after the 200 went out. */
  streamError(context: CompletionContext): unknown;
}
