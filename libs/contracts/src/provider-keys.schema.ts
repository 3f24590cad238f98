import { z } from 'zod';

export const PROVIDER_IDS = ['openrouter', 'azure', 'bedrock', 'vertex'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

const nonEmpty = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);

/** A credential sent in an HTTP header (`Authorization`, `api-key`): visible ASCII, no spaces. */
const headerToken = (max: number) =>
  nonEmpty(max).regex(/^[\x21-\x7e]+$/, 'must be visible ASCII characters without spaces (it is sent in an HTTP header)');

export const openrouterSecret = headerToken(512);

const ENDPOINT_MESSAGE = 'must be the full URL of the deployment (…/chat/completions?api-version=…)';

/**
 * The three Azure URL forms (reference/azure-openai.md): classic `/openai/deployments/{d}/chat/completions`
 * and Foundry `/models/chat/completions` need `api-version`; v1 `/openai/v1/chat/completions` does not.
 */
function isChatCompletionsUrl(raw: string): boolean {
  if (!URL.canParse(raw)) return false;
  const url = new URL(raw);
  const path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith('/chat/completions')) return false;
  const versioned = path.includes('/openai/deployments/') || path.endsWith('/models/chat/completions');
  return !versioned || (url.searchParams.get('api-version') ?? '') !== '';
}

export const azureDeployment = z.strictObject({
  model_slug: nonEmpty(200),
  endpoint_url: z.url({ message: ENDPOINT_MESSAGE }).max(2048).refine(isChatCompletionsUrl, ENDPOINT_MESSAGE),
  api_key: headerToken(512),
  model_id: nonEmpty(200),
});
export type AzureDeployment = z.infer<typeof azureDeployment>;

/** Deployment lists that were sent as one deployment object, so errors can name its fields as sent. */
const singleDeployments = new WeakSet<readonly AzureDeployment[]>();

/** Whether this parsed Azure secret was sent as one object (`secret.endpoint_url`) rather than a list (`secret.0.endpoint_url`). */
export function sentAsOneDeployment(deployments: readonly AzureDeployment[]): boolean {
  return singleDeployments.has(deployments);
}

export const azureSecret = z
  .union([azureDeployment, z.array(azureDeployment).min(1, 'must list at least one deployment').max(100)])
  .transform((value) => {
    if (Array.isArray(value)) return value;
    const deployments = [value];
    singleDeployments.add(deployments);
    return deployments;
  })
  .superRefine((deployments, ctx) => {
    const seen = new Set<string>();
    deployments.forEach((deployment, index) => {
      if (seen.has(deployment.model_slug)) {
        ctx.addIssue({ code: 'custom', path: [index, 'model_slug'], message: 'appears twice' });
      }
      seen.add(deployment.model_slug);
    });
  });

const awsRegion = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1');

export const bedrockSecret = z.union([
  headerToken(2048),
  z.strictObject({ apiKey: headerToken(2048), region: awsRegion }),
  z.strictObject({
    // AWS issues 16-128 upper-case letters and digits (AKIA…); shorter ids such as the SigV4 test
    // suite's AKIDEXAMPLE serve fakes and compatible services.
    accessKeyId: z.string().regex(/^[A-Za-z0-9]{1,128}$/, 'must be an AWS access key id (letters and digits)'),
    secretAccessKey: headerToken(256),
    sessionToken: nonEmpty(4096).optional(),
    region: awsRegion,
  }),
]);

export const vertexSecret = z.strictObject({
  type: z.literal('service_account', { message: 'must be "service_account"' }),
  project_id: nonEmpty(200),
  private_key_id: z.string().max(200).optional(),
  private_key: z.string().includes('PRIVATE KEY', { message: 'must be a PEM private key' }).max(8192),
  client_email: z.email({ message: 'must be the service account email' }),
  client_id: z.string().max(200).optional(),
  auth_uri: z.string().max(2048).optional(),
  token_uri: z.url({ message: 'must be a URL' }).max(2048),
  auth_provider_x509_cert_url: z.string().max(2048).optional(),
  client_x509_cert_url: z.string().max(2048).optional(),
  universe_domain: z.string().max(200).optional(),
  region: z
    .string()
    .regex(/^(global|[a-z]+-[a-z]+\d+)$/, 'must be "global" or a Google Cloud region such as us-central1')
    .optional(),
});

export type OpenRouterSecret = z.infer<typeof openrouterSecret>;
export type AzureSecret = z.infer<typeof azureSecret>;
export type BedrockSecret = z.infer<typeof bedrockSecret>;
export type VertexSecret = z.infer<typeof vertexSecret>;

/** A decrypted provider credential: a discriminated union, never one flat bag of fields. */
export type ProviderSecret =
  | { provider: 'openrouter'; secret: OpenRouterSecret }
  | { provider: 'azure'; secret: AzureSecret }
  | { provider: 'bedrock'; secret: BedrockSecret }
  | { provider: 'vertex'; secret: VertexSecret };

export const PROVIDER_SECRET_SCHEMAS = {
  openrouter: openrouterSecret,
  azure: azureSecret,
  bedrock: bedrockSecret,
  vertex: vertexSecret,
} as const;

// On creation, null counts as not sent (the default applies), as for a gateway key's fields.
const common = {
  alwaysUse: z
    .boolean()
    .nullish()
    .transform((value) => value ?? undefined),
  label: z
    .string()
    .trim()
    .max(100)
    .nullish()
    .transform((value) => value ?? undefined),
};

export const createProviderKeyBody = z.discriminatedUnion(
  'provider',
  [
    z.strictObject({ provider: z.literal('openrouter'), secret: openrouterSecret, ...common }),
    z.strictObject({ provider: z.literal('azure'), secret: azureSecret, ...common }),
    z.strictObject({ provider: z.literal('bedrock'), secret: bedrockSecret, ...common }),
    z.strictObject({ provider: z.literal('vertex'), secret: vertexSecret, ...common }),
  ],
  { message: `provider must be one of ${PROVIDER_IDS.join(', ')}` },
);
export type CreateProviderKeyBody = z.infer<typeof createProviderKeyBody>;

export const updateProviderKeyBody = z.strictObject({
  alwaysUse: z.boolean().optional(),
  label: z.string().trim().max(100).optional(),
  disabled: z.boolean().optional(),
});
export type UpdateProviderKeyBody = z.infer<typeof updateProviderKeyBody>;

export interface ProviderKeyView {
  id: string;
  provider: ProviderId;
  label: string;
  hint: string;
  alwaysUse: boolean;
  disabled: boolean;
  /** Azure deployments' model_slugs (routing needs them without decrypting). */
  modelSlugs: string[];
  region: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}
