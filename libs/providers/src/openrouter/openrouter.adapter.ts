import { CHAT_PARAMS, type ChatParam, type ChatRequestBody } from '@gw/contracts';
import { GATEWAY_ONLY_FIELDS, OpenAiCompatibleAdapter } from '../openai-compatible';
import type { AttemptContext, JsonObject, ProviderCredential, UpstreamRequest } from '../provider.types';

type OpenRouterCredential = Extract<ProviderCredential, { provider: 'openrouter' }>;

const GATEWAY_ONLY: ReadonlySet<string> = new Set(GATEWAY_ONLY_FIELDS);

// OpenRouter takes every chat parameter the gateway accepts.
const OPENROUTER_PARAMS: ReadonlySet<ChatParam> = new Set<ChatParam>(CHAT_PARAMS);

/**
 * OpenRouter speaks OpenAI's format plus extensions, so the request passes through with the
 * gateway's routing fields replaced by the one upstream model of this attempt.
 */
export class OpenRouterAdapter extends OpenAiCompatibleAdapter<OpenRouterCredential> {
  override readonly id = 'openrouter' as const;

  supportedParams(): ReadonlySet<ChatParam> {
    return OPENROUTER_PARAMS;
  }

  buildRequest(request: ChatRequestBody, ctx: AttemptContext<OpenRouterCredential>): UpstreamRequest {
    const body: JsonObject = Object.fromEntries(Object.entries(request).filter(([field]) => !GATEWAY_ONLY.has(field)));
    body['model'] = ctx.upstreamModel;
    if (request.stream) body['usage'] = { include: true };
    const headers: Record<string, string> = {
      authorization: `Bearer ${ctx.credential.apiKey.reveal()}`,
      'content-type': 'application/json',
      'user-agent': ctx.userAgent,
    };
    if (ctx.appReferer) headers['http-referer'] = ctx.appReferer;
    if (ctx.appTitle) headers['x-title'] = ctx.appTitle;
    return {
      url: `${ctx.credential.baseUrl.replace(/\/+$/, '')}/chat/completions`,
      headers,
      body: JSON.stringify(body),
      untrustedUrl: false,
    };
  }
}
