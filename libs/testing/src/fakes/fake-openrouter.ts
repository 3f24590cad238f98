import { answerDeltas, answerMessage, type Answer, type Delta } from './answer';
import type { UsageScript } from './behaviour';
import { FakeUpstream } from './fake-upstream';
import type { CompletionContext, DialectRoute, Reply, ServedModel, StreamEvent, UpstreamDialect } from './upstream-dialect';

/** A model the fake lists on `GET /api/v1/models` and prices completions with. */
export interface FakeOpenRouterModel {
  readonly id: string;
  readonly name: string;
  readonly contextLength: number;
  /** USD per token as OpenRouter writes it: a decimal string. */
  readonly promptPrice: string;
  readonly completionPrice: string;
}

export interface FakeOpenRouterOptions {
  readonly models?: readonly FakeOpenRouterModel[];
  /** When given, any other key gets OpenRouter's 401; by default every key is accepted. */
  readonly validKeys?: readonly string[];
}

export const DEFAULT_OPENROUTER_MODELS: readonly FakeOpenRouterModel[] = [
  { id: 'openai/gpt-4o', name: 'OpenAI: GPT-4o', contextLength: 128000, promptPrice: '0.0000025', completionPrice: '0.00001' },
  {
    id: 'anthropic/claude-3.5-sonnet',
    name: 'Anthropic: Claude 3.5 Sonnet',
    contextLength: 200000,
    promptPrice: '0.000003',
    completionPrice: '0.000015',
  },
  {
    id: 'meta-llama/llama-3.1-8b-instruct:free',
    name: 'Meta: Llama 3.1 8B Instruct (free)',
    contextLength: 131072,
    promptPrice: '0',
    completionPrice: '0',
  },
];

const API = '/api/v1';
const KEEPALIVE = ': OPENROUTER PROCESSING';
const FINGERPRINT = 'fp_fake';

/** Messages OpenRouter sends with each status (docs and observed responses). */
const ERROR_MESSAGES: Readonly<Record<number, string>> = {
  400: 'Invalid request',
  401: 'User not found.',
  402: 'Insufficient credits. Add more using https://openrouter.ai/settings/credits',
  403: 'Input was flagged by moderation',
  404: 'No endpoints found for this model.',
  408: 'Request timed out',
  429: 'Rate limit exceeded',
  500: 'Internal Server Error',
  502: 'Provider returned error',
  503: 'No allowed providers are available for the selected model.',
};

/** Upstream provider names OpenRouter reports in `provider`, by model vendor. */
const PROVIDERS: Readonly<Record<string, string>> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  google: 'Google',
  'meta-llama': 'Together',
  mistralai: 'Mistral',
  deepseek: 'DeepSeek',
};

/** OpenRouter's protocol: `/api/v1`, Bearer keys, numeric error codes, cost in usage, keep-alive comments. */
class OpenRouterDialect implements UpstreamDialect {
  readonly keepaliveComment = KEEPALIVE;

  constructor(private readonly models: readonly FakeOpenRouterModel[]) {}

  completionId(sequence: number, created: number): string {
    return `gen-${created}-fake${String(sequence).padStart(12, '0')}`;
  }

  route(method: string, url: URL): DialectRoute {
    if (method === 'POST' && url.pathname === `${API}/chat/completions`) return { kind: 'chat', deployment: null };
    if (method === 'GET' && url.pathname === `${API}/models`) {
      return {
        kind: 'respond',
        reply: { status: 200, body: { data: this.models.map(modelJson) }, headers: {} },
        requiresCredential: false,
      };
    }
    return { kind: 'respond', reply: this.error(404, 'Not Found'), requiresCredential: false };
  }

  credential(headers: Readonly<Record<string, string>>): string | null {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(headers['authorization'] ?? '');
    return match?.[1] ?? null;
  }

  unauthorized(credential: string | null): Reply {
    // A missing header and an unknown key read differently on the real service.
    return this.error(401, credential === null ? 'No cookie auth credentials found' : 'User not found.');
  }

  error(status: number, message?: string): Reply {
    const error: Record<string, unknown> = { message: message ?? ERROR_MESSAGES[status] ?? 'Unknown error', code: status };
    if (status === 502) error['metadata'] = { provider_name: 'OpenAI', raw: 'upstream connection reset' };
    if (status === 403)
      error['metadata'] = { reasons: ['harassment'], flagged_input: '...', provider_name: 'OpenAI', model_slug: 'openai/gpt-4o' };
    const headers: Record<string, string> = status === 429 ? { 'retry-after': '1' } : {};
    return { status, body: { error }, headers };
  }

  servedModel(_deployment: string | null, requestedModel: string | null): ServedModel {
    if (requestedModel === null) return { ok: false, reply: this.error(400, 'No models provided') };
    return { ok: true, model: requestedModel };
  }

  responseHeaders(context: CompletionContext): Readonly<Record<string, string>> {
    return { 'x-generation-id': context.id };
  }

  completion(answer: Answer, context: CompletionContext): unknown {
    return {
      id: context.id,
      provider: providerOf(context.model),
      model: context.model,
      object: 'chat.completion',
      created: context.created,
      choices: [
        {
          logprobs: null,
          finish_reason: answer.finishReason,
          native_finish_reason: answer.finishReason,
          index: 0,
          message: { ...answerMessage(answer), reasoning: null },
        },
      ],
      system_fingerprint: FINGERPRINT,
      usage: this.usageJson(answer.usage, context.model),
    };
  }

  /**
   * Role chunk, content chunks, a finish chunk, then a separate usage chunk whose choice has a null
   * finish_reason: OpenRouter sends usage last whether or not `stream_options` asked for it.
   */
  streamEvents(answer: Answer, context: CompletionContext): readonly StreamEvent[] {
    const { role, pieces } = answerDeltas(answer);
    const chunk = (delta: Delta, finishReason: string | null, extra: Record<string, unknown> = {}): unknown => ({
      ...this.chunkHead(context),
      choices: [
        {
          index: 0,
          // OpenRouter repeats the role in every delta.
          delta: { role: 'assistant', ...delta },
          finish_reason: finishReason,
          native_finish_reason: finishReason,
          logprobs: null,
        },
      ],
      system_fingerprint: FINGERPRINT,
      ...extra,
    });
    return [
      { payload: chunk(role, null), content: false },
      ...pieces.map((delta) => ({ payload: chunk(delta, null), content: true })),
      { payload: chunk({ content: '' }, answer.finishReason), content: false },
      { payload: chunk({ content: '' }, null, { usage: this.usageJson(answer.usage, context.model) }), content: false },
    ];
  }

  streamError(context: CompletionContext): unknown {
    return {
      ...this.chunkHead(context),
      // Mid-stream codes are strings, unlike the numeric codes of errors sent before the stream.
      error: { code: 'server_error', message: 'Provider disconnected unexpectedly' },
      choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error', native_finish_reason: 'error' }],
    };
  }

  private chunkHead(context: CompletionContext): Record<string, unknown> {
    return {
      id: context.id,
      provider: providerOf(context.model),
      model: context.model,
      object: 'chat.completion.chunk',
      created: context.created,
    };
  }

  private usageJson(usage: UsageScript, model: string): Record<string, unknown> {
    const priced = this.models.find((m) => m.id === model) ?? DEFAULT_OPENROUTER_MODELS[0];
    const cost =
      usage.cost ??
      (priced === undefined
        ? 0
        : roundUsd(usage.prompt_tokens * Number(priced.promptPrice) + usage.completion_tokens * Number(priced.completionPrice)));
    return {
      prompt_tokens: usage.prompt_tokens,
      completion_tokens: usage.completion_tokens,
      total_tokens: usage.prompt_tokens + usage.completion_tokens,
      cost,
      is_byok: false,
      prompt_tokens_details: { cached_tokens: usage.cached_tokens ?? 0, cache_write_tokens: 0, audio_tokens: 0 },
      cost_details: { upstream_inference_cost: null, upstream_inference_prompt_cost: 0, upstream_inference_completions_cost: 0 },
      completion_tokens_details: { reasoning_tokens: usage.reasoning_tokens ?? 0, image_tokens: 0 },
    };
  }
}

function providerOf(model: string): string {
  const vendor = model.split('/')[0] ?? '';
  return PROVIDERS[vendor] ?? 'OpenAI';
}

/** Float noise such as 0.00012500000000000001 would make exact assertions on cost flaky. */
function roundUsd(value: number): number {
  return Math.round(value * 1e12) / 1e12;
}

function modelJson(model: FakeOpenRouterModel): unknown {
  return {
    id: model.id,
    canonical_slug: model.id,
    name: model.name,
    created: 1715367049,
    description: `${model.name} (served by a fake upstream).`,
    context_length: model.contextLength,
    architecture: {
      modality: 'text->text',
      input_modalities: ['text'],
      output_modalities: ['text'],
      tokenizer: 'Other',
      instruct_type: null,
    },
    pricing: { prompt: model.promptPrice, completion: model.completionPrice, request: '0', image: '0' },
    top_provider: { context_length: model.contextLength, max_completion_tokens: 16384, is_moderated: false },
    per_request_limits: null,
    supported_parameters: ['max_tokens', 'temperature', 'top_p', 'stop', 'tools', 'tool_choice', 'response_format', 'seed'],
  };
}

/**
 * A fake OpenRouter: `POST /api/v1/chat/completions`, `GET /api/v1/models`. Point clients at
 * `baseUrl` (`${url}/api/v1`).
 */
export class FakeOpenRouter extends FakeUpstream {
  static override async start(options: FakeOpenRouterOptions = {}): Promise<FakeOpenRouter> {
    const dialect = new OpenRouterDialect(options.models ?? DEFAULT_OPENROUTER_MODELS);
    return new FakeOpenRouter(dialect, options.validKeys).listen();
  }

  /** What the gateway (or an OpenAI SDK) uses as its base URL. */
  get baseUrl(): string {
    return `${this.url}${API}`;
  }
}
