import type { ChatParam, ChatRequestBody } from '@gw/contracts';
import { OPENAI_PARAMS, OpenAiCompatibleAdapter } from '../openai-compatible';
import type { AttemptContext, JsonObject, ProviderCredential, UpstreamRequest } from '../provider.types';

type AzureCredential = Extract<ProviderCredential, { provider: 'azure' }>;

/**
 * Azure OpenAI: the tenant's `endpoint_url` is the full chat/completions URL of a deployment
 * (classic `/openai/deployments/{d}/chat/completions?api-version=…`, v1 `/openai/v1/chat/completions`
 * or a Foundry host), authenticated with the `api-key` header. Only OpenAI's own parameters are
 * sent: Azure refuses unknown ones.
 */
export class AzureAdapter extends OpenAiCompatibleAdapter<AzureCredential> {
  override readonly id = 'azure' as const;

  supportedParams(): ReadonlySet<ChatParam> {
    return OPENAI_PARAMS;
  }

  buildRequest(request: ChatRequestBody, ctx: AttemptContext<AzureCredential>): UpstreamRequest {
    const body: JsonObject = { messages: request.messages };
    for (const param of OPENAI_PARAMS) {
      const value = request[param];
      if (value !== undefined) body[param] = value;
    }
    for (const field of ['stream', 'user', 'n', 'metadata', 'service_tier'] as const) {
      if (request[field] !== undefined) body[field] = request[field];
    }
    // The v1 and Foundry styles take the model in the body; classic deployments ignore it.
    body['model'] = ctx.credential.modelId;
    const current = knowsCurrentFields(ctx.credential.endpointUrl);
    if (!current) {
      // Before 2024-09-01 a classic deployment refuses these: the limit goes as max_tokens.
      if (body['max_completion_tokens'] !== undefined) {
        body['max_tokens'] ??= body['max_completion_tokens'];
        delete body['max_completion_tokens'];
      }
      delete body['parallel_tool_calls'];
    }
    // Without include_usage (older api-versions) the stream's usage is estimated from its text.
    if (request.stream && current) body['stream_options'] = { include_usage: true };
    return {
      url: ctx.credential.endpointUrl,
      headers: {
        'api-key': ctx.credential.apiKey.reveal(),
        'content-type': 'application/json',
        'user-agent': ctx.userAgent,
      },
      body: JSON.stringify(body),
      untrustedUrl: !ctx.credential.trustedUrl,
    };
  }
}

/**
 * Whether a deployment's URL takes `stream_options`, `max_completion_tokens` and
 * `parallel_tool_calls` (reference/azure-openai.md: classic URLs since api-version 2024-09-01-preview;
 * the v1 and Foundry forms always).
 */
function knowsCurrentFields(endpointUrl: string): boolean {
  if (!URL.canParse(endpointUrl)) return true;
  const url = new URL(endpointUrl);
  if (!url.pathname.includes('/openai/deployments/')) return true;
  const version = url.searchParams.get('api-version') ?? '';
  return !/^\d{4}-\d{2}-\d{2}/.test(version) || version.slice(0, 10) >= '2024-09-01';
}
