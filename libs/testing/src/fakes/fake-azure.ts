import { randomUUID } from 'node:crypto';
import { answerDeltas, answerMessage, type Answer, type Delta } from './answer';
import type { Behaviour, UsageScript } from './behaviour';
import { FakeUpstream } from './fake-upstream';
import type { CompletionContext, DialectRoute, Reply, ServedModel, StreamEvent, UpstreamDialect } from './upstream-dialect';

export interface FakeAzureOptions {
  /**
   * Deployment name -> the model+version responses report (`gpt-4o` -> `gpt-4o-2024-08-06`).
   * When given, other deployments get Azure's 404 `DeploymentNotFound`; by default every
   * deployment exists and reports its own name.
   */
  readonly deployments?: Readonly<Record<string, string>>;
  /**
   * Emit the delta-less annotation chunk (`content_filter_offsets`) Azure's asynchronous content
   * filter adds after the text. Default true: consumers must survive it.
   */
  readonly trailingAnnotations?: boolean;
  /** When given, any other key gets Azure's 401; by default every key is accepted. */
  readonly validKeys?: readonly string[];
}

export const DEFAULT_AZURE_API_VERSION = '2024-10-21';
/** The api-version of the older Foundry "model inference" route (`/models/chat/completions`). */
export const FOUNDRY_INFERENCE_API_VERSION = '2024-05-01-preview';

const CLASSIC_CHAT = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/;
const FINGERPRINT = 'fp_fake';

const SAFE = { filtered: false, severity: 'safe' } as const;
const NOT_DETECTED = { filtered: false, detected: false } as const;
const PROMPT_FILTER_RESULTS = [
  {
    prompt_index: 0,
    content_filter_results: { hate: SAFE, jailbreak: NOT_DETECTED, self_harm: SAFE, sexual: SAFE, violence: SAFE },
  },
];
const OUTPUT_FILTER_RESULTS = {
  hate: SAFE,
  self_harm: SAFE,
  sexual: SAFE,
  violence: SAFE,
  protected_material_text: NOT_DETECTED,
  protected_material_code: NOT_DETECTED,
};

const UNAUTHORIZED_MESSAGE =
  'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.';
const DEPLOYMENT_NOT_FOUND_MESSAGE =
  'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.';

/** Azure answers unknown paths and a missing api-version alike: 404 "Resource not found". */
const RESOURCE_NOT_FOUND: Reply = { status: 404, body: { error: { code: '404', message: 'Resource not found' } }, headers: {} };

/** Azure OpenAI's protocol: three URL styles, `api-key` (or Bearer), content-filter annotations. */
class AzureDialect implements UpstreamDialect {
  readonly keepaliveComment = null;

  constructor(
    private readonly deployments: Readonly<Record<string, string>> | null,
    private readonly trailingAnnotations: boolean,
  ) {}

  completionId(sequence: number): string {
    return `chatcmpl-fake${String(sequence).padStart(12, '0')}`;
  }

  route(method: string, url: URL): DialectRoute {
    const apiVersion = url.searchParams.get('api-version') ?? '';
    const classic = CLASSIC_CHAT.exec(url.pathname);
    if (method === 'POST' && classic?.[1] !== undefined) {
      if (apiVersion === '') return { kind: 'respond', reply: RESOURCE_NOT_FOUND, requiresCredential: false };
      return { kind: 'chat', deployment: decodeURIComponent(classic[1]) };
    }
    // v1 needs no api-version; the deployment travels as the body's `model`.
    if (method === 'POST' && url.pathname === '/openai/v1/chat/completions') return { kind: 'chat', deployment: null };
    if (method === 'POST' && url.pathname === '/models/chat/completions') {
      if (apiVersion === '') return { kind: 'respond', reply: RESOURCE_NOT_FOUND, requiresCredential: false };
      return { kind: 'chat', deployment: null };
    }
    if (method === 'GET' && url.pathname === '/openai/v1/models') {
      const names = this.deployments === null ? ['gpt-4o'] : Object.keys(this.deployments);
      const data = names.map((id) => ({ id, object: 'model', created: 1715367049, owned_by: 'system' }));
      return { kind: 'respond', reply: { status: 200, body: { object: 'list', data }, headers: {} }, requiresCredential: true };
    }
    return { kind: 'respond', reply: RESOURCE_NOT_FOUND, requiresCredential: false };
  }

  credential(headers: Readonly<Record<string, string>>): string | null {
    const apiKey = headers['api-key']?.trim() ?? '';
    if (apiKey !== '') return apiKey;
    // Entra tokens and, on v1, the SDK's apiKey arrive as a bearer token.
    const match = /^Bearer\s+(\S+)\s*$/i.exec(headers['authorization'] ?? '');
    return match?.[1] ?? null;
  }

  unauthorized(): Reply {
    return { status: 401, body: { error: { code: '401', message: UNAUTHORIZED_MESSAGE } }, headers: {} };
  }

  error(status: number, message?: string): Reply {
    switch (status) {
      case 400:
        // Parameter errors come from the OpenAI service behind Azure, in OpenAI's shape.
        return {
          status,
          body: { error: { message: message ?? 'Invalid request.', type: 'invalid_request_error', param: null, code: null } },
          headers: {},
        };
      case 401:
        return this.unauthorized();
      case 404:
        return {
          status,
          body: { error: { code: 'DeploymentNotFound', message: message ?? DEPLOYMENT_NOT_FOUND_MESSAGE } },
          headers: {},
        };
      case 429:
        return {
          status,
          body: {
            error: {
              code: '429',
              message:
                message ??
                `Requests to the ChatCompletions_Create Operation under Azure OpenAI API version ${DEFAULT_AZURE_API_VERSION} have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 1 second. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.`,
            },
          },
          headers: {
            'retry-after': '1',
            'retry-after-ms': '1000',
            'x-ratelimit-remaining-requests': '0',
            'x-ratelimit-remaining-tokens': '0',
            'policy-id': 'DeploymentRatelimit-Token',
          },
        };
      default:
        return {
          status,
          body: {
            error: {
              code: String(status),
              message: message ?? 'The server had an error while processing your request. Sorry about that!',
            },
          },
          headers: {},
        };
    }
  }

  servedModel(deployment: string | null, requestedModel: string | null): ServedModel {
    const name = deployment ?? requestedModel;
    if (name === null) return { ok: false, reply: this.error(400, "Missing required parameter: 'model'.") };
    if (this.deployments === null) return { ok: true, model: name };
    const model = this.deployments[name];
    return model === undefined ? { ok: false, reply: this.error(404) } : { ok: true, model };
  }

  responseHeaders(): Readonly<Record<string, string>> {
    const requestId = randomUUID();
    return {
      'apim-request-id': requestId,
      'x-request-id': requestId,
      'x-ms-region': 'Sweden Central',
      'x-ratelimit-remaining-requests': '99',
      'x-ratelimit-remaining-tokens': '99000',
    };
  }

  completion(answer: Answer, context: CompletionContext): unknown {
    return {
      choices: [
        {
          content_filter_results: OUTPUT_FILTER_RESULTS,
          finish_reason: answer.finishReason,
          index: 0,
          logprobs: null,
          message: { annotations: [], ...answerMessage(answer) },
        },
      ],
      created: context.created,
      id: context.id,
      model: context.model,
      object: 'chat.completion',
      prompt_filter_results: PROMPT_FILTER_RESULTS,
      system_fingerprint: FINGERPRINT,
      usage: usageJson(answer.usage),
    };
  }

  /**
   * The blank prompt-annotation chunk (`choices: []`), role chunk, content chunks with filter
   * results, finish chunk, the optional delta-less annotation chunk, and a `choices: []` usage
   * chunk only when `stream_options.include_usage` asked for it.
   */
  streamEvents(answer: Answer, context: CompletionContext): readonly StreamEvent[] {
    const { role, pieces } = answerDeltas(answer);
    const chunk = (delta: Delta, filterResults: unknown, finishReason: string | null): unknown => ({
      choices: [{ content_filter_results: filterResults, delta, finish_reason: finishReason, index: 0, logprobs: null }],
      created: context.created,
      id: context.id,
      model: context.model,
      object: 'chat.completion.chunk',
      system_fingerprint: FINGERPRINT,
      // As on OpenAI: once usage is requested, every chunk carries the key, null until the last.
      ...(context.includeUsage ? { usage: null } : {}),
    });
    const events: StreamEvent[] = [
      { payload: { ...blankChunk(), prompt_filter_results: PROMPT_FILTER_RESULTS }, content: false },
      { payload: chunk({ ...role, refusal: null }, {}, null), content: false },
      ...pieces.map((delta) => ({ payload: chunk(delta, OUTPUT_FILTER_RESULTS, null), content: true })),
      { payload: chunk({}, {}, answer.finishReason), content: false },
    ];
    if (this.trailingAnnotations) {
      const end = answer.kind === 'text' ? answer.content.length : 0;
      const choice = {
        content_filter_offsets: { check_offset: 0, start_offset: 0, end_offset: end },
        content_filter_results: OUTPUT_FILTER_RESULTS,
        finish_reason: null,
        index: 0,
      };
      events.push({ payload: { ...blankChunk(), choices: [choice] }, content: false });
    }
    if (context.includeUsage) {
      const payload = {
        choices: [],
        created: context.created,
        id: context.id,
        model: context.model,
        object: 'chat.completion.chunk',
        system_fingerprint: FINGERPRINT,
        usage: usageJson(answer.usage),
      };
      events.push({ payload, content: false });
    }
    return events;
  }

  /** Seen from Azure via proxies only (UNCONFIRMED from Azure directly): the error object as a data event. */
  streamError(): unknown {
    return { error: { code: '500', message: 'The server had an error while processing your request. Sorry about that!' } };
  }
}

/** Annotation chunks carry no identity: blank id, model and object, created 0. */
function blankChunk(): Record<string, unknown> {
  return { choices: [], created: 0, id: '', model: '', object: '' };
}

function usageJson(usage: UsageScript): unknown {
  return {
    completion_tokens: usage.completion_tokens,
    completion_tokens_details: {
      accepted_prediction_tokens: 0,
      audio_tokens: 0,
      reasoning_tokens: 0,
      rejected_prediction_tokens: 0,
    },
    prompt_tokens: usage.prompt_tokens,
    prompt_tokens_details: { audio_tokens: 0, cached_tokens: 0 },
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
  };
}

/**
 * A fake Azure OpenAI resource serving the classic deployment URL (`deploymentUrl`), the v1 API
 * (`v1BaseUrl`, body `model` = deployment) and the Foundry model-inference route (`foundryUrl`).
 */
export class FakeAzure extends FakeUpstream {
  static override async start(options: FakeAzureOptions = {}): Promise<FakeAzure> {
    const dialect = new AzureDialect(options.deployments ?? null, options.trailingAnnotations ?? true);
    return new FakeAzure(dialect, options.validKeys).listen();
  }

  /** The prompt-blocked 400 (`code: "content_filter"`), ready to script. */
  static contentFilterError(): Behaviour {
    return {
      kind: 'status',
      status: 400,
      body: {
        error: {
          message:
            "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
          type: null,
          param: 'prompt',
          code: 'content_filter',
          status: 400,
          innererror: {
            code: 'ResponsibleAIPolicyViolation',
            // Singular here, unlike `content_filter_results` everywhere else.
            content_filter_result: {
              hate: SAFE,
              jailbreak: NOT_DETECTED,
              self_harm: SAFE,
              sexual: { filtered: true, severity: 'high' },
              violence: SAFE,
            },
          },
        },
      },
    };
  }

  /** The full classic chat URL, as tenants store it in `endpoint_url`. */
  deploymentUrl(deployment: string, apiVersion: string = DEFAULT_AZURE_API_VERSION): string {
    const query = new URLSearchParams({ 'api-version': apiVersion });
    return `${this.url}/openai/deployments/${encodeURIComponent(deployment)}/chat/completions?${query.toString()}`;
  }

  /** Base URL of the v1 API for an OpenAI client (`${url}/openai/v1`). */
  get v1BaseUrl(): string {
    return `${this.url}/openai/v1`;
  }

  /** The Foundry model-inference chat URL (body `model` = deployment). */
  foundryUrl(apiVersion: string = FOUNDRY_INFERENCE_API_VERSION): string {
    const query = new URLSearchParams({ 'api-version': apiVersion });
    return `${this.url}/models/chat/completions?${query.toString()}`;
  }
}
