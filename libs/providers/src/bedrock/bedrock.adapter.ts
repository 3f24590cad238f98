import type { ChatParam, ChatRequestBody } from '@gw/contracts';
import { assertNever } from '@gw/kernel';
import { chunkUsage, isObject } from '../openai-compatible';
import {
  type AttemptContext,
  type JsonObject,
  NOT_A_COMPLETION,
  type ProviderAdapter,
  type UpstreamError,
  type UpstreamRequest,
  type Usage,
} from '../provider.types';
import { classifyBedrockError } from './bedrock-error.classify';
import { bedrockBaseUrl, conversePath, signBedrockSigV4 } from './bedrock-request.signer';
import {
  bedrockDroppedParams,
  bedrockSupportedParams,
  toConverseRequest,
  type BedrockDroppedParam,
} from './bedrock-request.translate';
import { fromConverseResponse } from './bedrock-response.translate';
import { BedrockStreamDecoder } from './bedrock-stream.decoder';
import type { BedrockCredential } from './bedrock-wire.types';

export interface BedrockAdapterOptions {
  /** The SigV4 signing clock (tests pin it). */
  readonly now?: () => Date;
}

/**
 * AWS Bedrock Runtime through Converse (`/model/{modelId}/converse`) and ConverseStream
 * (`/converse-stream`, binary event stream). The attempt's upstream model is the Bedrock model id,
 * inference profile or ARN. Authenticates with a Bedrock API key (Bearer) or SigV4.
 */
export class BedrockAdapter implements ProviderAdapter<BedrockCredential> {
  readonly id = 'bedrock' as const;
  private readonly now: () => Date;

  constructor(options: BedrockAdapterOptions = {}) {
    this.now = options.now ?? (() => new Date());
  }

  supportedParams(model: string): ReadonlySet<ChatParam> {
    return bedrockSupportedParams(model);
  }

  /** Parameters of `request` that Bedrock will not honour for `model`, with reasons, for the record. */
  droppedParams(request: ChatRequestBody, model: string): string[] {
    return this.droppedParamsWithReasons(request, model).map((dropped) => dropped.param);
  }

  droppedParamsWithReasons(request: ChatRequestBody, model: string): BedrockDroppedParam[] {
    return bedrockDroppedParams(request, model);
  }

  /** Throws a 400 `DomainError` naming the field for content Converse cannot take (see the translator). */
  async buildRequest(request: ChatRequestBody, ctx: AttemptContext<BedrockCredential>): Promise<UpstreamRequest> {
    const { credential } = ctx;
    const stream = request.stream === true;
    const url = `${bedrockBaseUrl(credential.region, credential.endpointUrl)}${conversePath(ctx.upstreamModel, stream)}`;
    const body = JSON.stringify(toConverseRequest(request, ctx.upstreamModel).body);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: stream ? 'application/vnd.amazon.eventstream' : 'application/json',
    };
    const authorized = await this.authorize(credential, url, headers, body);
    // Added after signing: SigV4 leaves user-agent out of the signature anyway.
    return { url, headers: { ...authorized, 'user-agent': ctx.userAgent }, body, untrustedUrl: false };
  }

  parseResponse(body: unknown): { completion: JsonObject; usage: Usage | null } {
    return isConverseResponse(body) ? fromConverseResponse(body) : NOT_A_COMPLETION;
  }

  createStreamDecoder(): BedrockStreamDecoder {
    return new BedrockStreamDecoder();
  }

  usageOf(chunk: JsonObject): Usage | null {
    return chunkUsage(chunk);
  }

  classifyError(status: number, body: unknown, headers: Record<string, string | string[] | undefined>): UpstreamError {
    return classifyBedrockError(status, body, headers);
  }

  private async authorize(
    credential: BedrockCredential,
    url: string,
    headers: Record<string, string>,
    body: string,
  ): Promise<Record<string, string>> {
    const { auth } = credential;
    switch (auth.kind) {
      case 'apiKey':
        return { ...headers, authorization: `Bearer ${auth.apiKey.reveal()}` };
      case 'sigv4':
        return signBedrockSigV4({
          url,
          headers,
          body,
          region: credential.region,
          accessKeyId: auth.accessKeyId,
          secretAccessKey: auth.secretAccessKey,
          sessionToken: auth.sessionToken,
          signingDate: this.now(),
        });
      default:
        return assertNever(auth, 'Bedrock auth');
    }
  }
}

/** A Converse answer: `output.message.content` is a list of blocks. */
function isConverseResponse(body: unknown): boolean {
  const output = isObject(body) ? body['output'] : undefined;
  const message = isObject(output) ? output['message'] : undefined;
  return isObject(message) && Array.isArray(message['content']);
}
