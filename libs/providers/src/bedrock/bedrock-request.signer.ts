import { Sha256 } from '@aws-crypto/sha256-js';
import { DomainError, type Secret } from '@gw/kernel';
import { bedrockRuntimeUrl, isBedrockRegion } from '@gw/net';
import { SignatureV4 } from '@smithy/signature-v4';

/** SigV4 signing name of Bedrock Runtime (not `bedrock-runtime`). */
export const BEDROCK_SIGNING_SERVICE = 'bedrock';

/**
 * The model id as one path segment, percent-encoded the way AWS encodes URIs (RFC 3986: every
 * character but letters, digits and `-._~`): `:` -> `%3A`, `/` -> `%2F`.
 */
export function encodeBedrockModelId(modelId: string): string {
  return encodeURIComponent(modelId).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function conversePath(modelId: string, stream: boolean): string {
  return `/model/${encodeBedrockModelId(modelId)}/${stream ? 'converse-stream' : 'converse'}`;
}

/**
 * Where requests go: `endpointUrl` (BEDROCK_ENDPOINT_URL) replaces only scheme, host and port;
 * otherwise the public endpoint of the credential's region, which must be a known Bedrock region
 * because it becomes part of a host name.
 */
export function bedrockBaseUrl(region: string, endpointUrl: string | null): string {
  if (endpointUrl !== null) return new URL(endpointUrl).origin;
  if (!isBedrockRegion(region)) throw DomainError.validation('secret.region', 'is not a region where Bedrock is offered');
  return bedrockRuntimeUrl(region);
}

export interface BedrockSigV4Input {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: Secret<string>;
  readonly sessionToken: Secret<string> | null;
  readonly signingDate: Date;
}

/**
 * Signs a POST with SigV4 for Bedrock and returns the headers to send: the input headers plus
 * `host`, `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` (session credentials) and
 * `authorization`. The path goes to the signer as it is sent, model id encoded once; the signer
 * encodes it again for the canonical request, as AWS does for every service but S3.
 */
export async function signBedrockSigV4(input: BedrockSigV4Input): Promise<Record<string, string>> {
  const url = new URL(input.url);
  const sessionToken = input.sessionToken?.reveal();
  const signer = new SignatureV4({
    service: BEDROCK_SIGNING_SERVICE,
    region: input.region,
    credentials: {
      accessKeyId: input.accessKeyId,
      secretAccessKey: input.secretAccessKey.reveal(),
      ...(sessionToken === undefined ? {} : { sessionToken }),
    },
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      // `url.pathname` keeps percent-escapes as written, so this is the path on the wire.
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      // The signed host must be the one the request reaches, port included.
      headers: { ...input.headers, host: url.host },
      body: input.body,
    },
    { signingDate: input.signingDate },
  );
  return { ...signed.headers };
}
