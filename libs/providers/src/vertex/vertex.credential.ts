import type { VertexSecret } from '@gw/contracts';
import { Secret } from '@gw/kernel';
import type { ProviderCredential } from '../provider.types';

export type VertexCredential = Extract<ProviderCredential, { provider: 'vertex' }>;

/** SPEC section 3: a service account without `region` is served from the global endpoint. */
export const DEFAULT_VERTEX_REGION = 'global';

export interface VertexCredentialOptions {
  /** VERTEX_API_ENDPOINT: scheme + host (+ port) replacing Google's host; null for Google's own. */
  readonly endpointUrl: string | null;
  /**
   * True only for the platform's own service account (VERTEX_PLATFORM_SERVICE_ACCOUNT): the
   * operator's `token_uri` is trusted, a tenant's goes through the SSRF checks.
   */
  readonly trustedTokenUri: boolean;
}

/** Maps a validated `vertexSecret` (a service-account JSON with `region` beside its fields) to the credential adapters use. */
export function vertexCredentialFromSecret(secret: VertexSecret, options: VertexCredentialOptions): VertexCredential {
  return {
    provider: 'vertex',
    serviceAccount: {
      projectId: secret.project_id,
      clientEmail: secret.client_email,
      privateKeyId: secret.private_key_id ?? null,
      privateKey: new Secret(secret.private_key),
      tokenUri: secret.token_uri,
    },
    region: secret.region ?? DEFAULT_VERTEX_REGION,
    endpointUrl: options.endpointUrl,
    trustedTokenUri: options.trustedTokenUri,
  };
}
