import type { ChatParam, ChatRequestBody } from '@gw/contracts';
import { assertNever, DomainError } from '@gw/kernel';
import { chunkUsage } from '../openai-compatible';
import {
  type AttemptContext,
  type JsonObject,
  NOT_A_COMPLETION,
  type ProviderAdapter,
  type UpstreamError,
  type UpstreamRequest,
  type Usage,
} from '../provider.types';
import { TransportFailure } from '../transport/upstream-transport';
import { isObject, UnsupportedRequestError } from './chat-content.translate';
import { ClaudeStreamTranslator } from './claude.stream';
import { fromClaudeResponse, toClaudeRequest } from './claude.translate';
import { GeminiStreamTranslator } from './gemini.stream';
import { fromGeminiResponse, toGeminiRequest, type TranslateOptions } from './gemini.translate';
import type { VertexCredential } from './vertex.credential';
import { classifyVertexError } from './vertex.errors';
import { vertexDroppedParams, vertexSupportedParams } from './vertex.params';
import { VertexStreamDecoder } from './vertex.stream';
import type { VertexAccessTokens } from './vertex-token.provider';
import { type VertexFamily, vertexModel, vertexUrl } from './vertex.url';

export interface VertexAdapterOptions {
  /** Ids and time for the translations; tests make them deterministic. */
  readonly translate?: TranslateOptions;
}

/**
 * Google Vertex AI: one adapter for both model families it serves, dispatching on the model id
 * (see vertexModel: `claude…` ids go to Anthropic's Messages API through rawPredict /
 * streamRawPredict, every other id to Gemini's generateContent / streamGenerateContent?alt=sse).
 * Both share the service account's access token, fetched before each request from the token
 * source given to the constructor (VertexTokenProvider: cached, single flight).
 *
 * parseResponse and createStreamDecoder get no attempt context, so they tell the families apart by
 * shape (an Anthropic body or event has a string `type`, a Gemini one never does); the family may
 * also be passed to createStreamDecoder.
 *
 * buildRequest throws TransportFailure (classify with classifyTransportError): `client` (400)
 * for requests Vertex cannot express or model ids that are not one path segment, `auth` for a
 * key whose project_id cannot be addressed, and the token source's failures (`auth`,
 * `rate_limited`, `server`, `connection`, `timeout`).
 */
export class VertexAdapter implements ProviderAdapter<VertexCredential> {
  readonly id = 'vertex' as const;

  constructor(
    private readonly tokens: VertexAccessTokens,
    private readonly options: VertexAdapterOptions = {},
  ) {}

  supportedParams(model: string): ReadonlySet<ChatParam> {
    return vertexSupportedParams(model);
  }

  /** Parameters of `request` that `model`'s API does not take, to record on the generation. */
  droppedParams(request: ChatRequestBody, model: string): ChatParam[] {
    return vertexDroppedParams(request, model);
  }

  async buildRequest(request: ChatRequestBody, ctx: AttemptContext<VertexCredential>): Promise<UpstreamRequest> {
    const model = vertexModel(ctx.upstreamModel);
    if (model === null) throw clientFailure(`"${ctx.upstreamModel.slice(0, 100)}" is not a Vertex model id`);
    const { credential } = ctx;
    let body: JsonObject;
    try {
      body = translateRequest(model.family, request);
    } catch (error) {
      // Content Vertex cannot take is the caller's 400, named at its field as the body's own errors are.
      if (error instanceof UnsupportedRequestError) {
        const field = error.field.replace(/\[(\d+)\]/g, '.$1');
        throw DomainError.validation(field, `${field} ${error.reason}`);
      }
      throw error;
    }
    let url: string;
    try {
      url = vertexUrl({
        projectId: credential.serviceAccount.projectId,
        region: credential.region,
        endpointUrl: credential.endpointUrl,
        model,
        stream: request.stream === true,
      });
    } catch (error) {
      // The key's project_id or region cannot be addressed: the credential is at fault, not the request.
      if (error instanceof RangeError) {
        throw new TransportFailure({
          kind: 'auth',
          status: null,
          message: `service account ${error.message}`,
          retryAfterSeconds: null,
        });
      }
      throw error;
    }
    // After the translation: a request that cannot be sent costs no token exchange.
    const token = await this.tokens.accessToken(credential);
    return {
      url,
      headers: {
        authorization: `Bearer ${token.reveal()}`,
        'content-type': 'application/json',
        'user-agent': ctx.userAgent,
      },
      body: JSON.stringify(body),
      // The Vertex host is Google's or the operator's VERTEX_API_ENDPOINT, never the tenant's.
      untrustedUrl: false,
    };
  }

  parseResponse(body: unknown): { completion: JsonObject; usage: Usage | null } {
    const translate = this.options.translate ?? {};
    if (!isObject(body)) return NOT_A_COMPLETION;
    if (typeof body['type'] === 'string') {
      // Claude: a Messages answer is `type: "message"` with content blocks (not `type: "error"`).
      return body['type'] === 'message' && Array.isArray(body['content'])
        ? fromClaudeResponse(body, translate.nowSeconds)
        : NOT_A_COMPLETION;
    }
    // Gemini: a candidate, or a prompt it blocked (promptFeedback.blockReason, no candidates).
    const candidates = body['candidates'];
    const answered = Array.isArray(candidates) && isObject(candidates[0]);
    const blocked = isObject(body['promptFeedback']) && body['promptFeedback']['blockReason'] !== undefined;
    return answered || blocked ? fromGeminiResponse(body, translate) : NOT_A_COMPLETION;
  }

  createStreamDecoder(family: VertexFamily | null = null): VertexStreamDecoder {
    const translate = this.options.translate ?? {};
    return new VertexStreamDecoder(family, {
      gemini: () => new GeminiStreamTranslator(translate),
      claude: () => new ClaudeStreamTranslator(translate.nowSeconds),
    });
  }

  usageOf(chunk: JsonObject): Usage | null {
    return chunkUsage(chunk);
  }

  classifyError(status: number, body: unknown, headers: Record<string, string | string[] | undefined>): UpstreamError {
    return classifyVertexError(status, body, headers);
  }
}

function translateRequest(family: VertexFamily, request: ChatRequestBody): JsonObject {
  switch (family) {
    case 'gemini':
      return { ...toGeminiRequest(request) };
    case 'claude':
      return { ...toClaudeRequest(request) };
    default:
      return assertNever(family, 'Vertex family');
  }
}

function clientFailure(message: string): TransportFailure {
  // No upstream was asked, so no status; the gateway answers 400 with this message.
  return new TransportFailure({ kind: 'client', status: null, message, retryAfterSeconds: null, body: null });
}
