import type { BedrockSecret } from '@gw/contracts';
import { DomainError, Secret } from '@gw/kernel';
import { isBedrockRegion } from '@gw/net';
import type { BedrockCredential } from './bedrock-wire.types';

/** Region of a bare Bedrock API key, which names none. */
export const DEFAULT_BEDROCK_REGION = 'us-east-1';

/**
 * A validated `bedrockSecret` -> the adapter's credential: a bare string is a Bedrock API key in
 * us-east-1; `{apiKey, region}` a key elsewhere; `{accessKeyId, secretAccessKey, sessionToken?,
 * region}` AWS credentials signed with SigV4. Secrets stay wrapped. `endpointUrl` is the
 * operator's BEDROCK_ENDPOINT_URL, when set.
 */
export function bedrockCredentialFromSecret(secret: BedrockSecret, endpointUrl: string | null = null): BedrockCredential {
  if (typeof secret === 'string') {
    return {
      provider: 'bedrock',
      auth: { kind: 'apiKey', apiKey: new Secret(secret) },
      region: DEFAULT_BEDROCK_REGION,
      endpointUrl,
    };
  }
  // The region becomes part of a host name: only the allow-list may reach it.
  if (!isBedrockRegion(secret.region)) throw DomainError.validation('secret.region', 'is not a region where Bedrock is offered');
  if ('apiKey' in secret) {
    return {
      provider: 'bedrock',
      auth: { kind: 'apiKey', apiKey: new Secret(secret.apiKey) },
      region: secret.region,
      endpointUrl,
    };
  }
  return {
    provider: 'bedrock',
    auth: {
      kind: 'sigv4',
      accessKeyId: secret.accessKeyId,
      secretAccessKey: new Secret(secret.secretAccessKey),
      sessionToken: secret.sessionToken === undefined ? null : new Secret(secret.sessionToken),
    },
    region: secret.region,
    endpointUrl,
  };
}
