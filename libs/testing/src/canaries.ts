import { generateKeyPairSync, randomBytes } from 'node:crypto';

/** A distinctive random string to plant in a secret and search for in dumps and logs. */
export function canary(label: string): string {
  return `CANARY${label.toUpperCase().replace(/[^A-Z0-9]/g, '')}${randomBytes(16).toString('hex')}`;
}

/** Every `length`-character window of `value`: what must not appear anywhere at rest. */
export function fragments(value: string, length = 16): string[] {
  const out: string[] = [];
  for (let i = 0; i + length <= value.length; i++) out.push(value.slice(i, i + length));
  return out;
}

/** A real RSA service-account key (PKCS#8 PEM), as Google issues them. */
export function servicePrivateKeyPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Provider secrets in the SPEC formats, each carrying canaries; `canaries` lists them. */
export function canaryProviderSecrets(tag: string, options: { azureEndpoint: string; tokenUri: string }) {
  const c = {
    openrouter: canary(`${tag}or`),
    azure: canary(`${tag}az`),
    bedrockSecret: canary(`${tag}bs`),
    vertexKeyId: canary(`${tag}vk`),
  };
  const pem = servicePrivateKeyPem();
  return {
    canaries: [...Object.values(c), pem.split('\n')[5] ?? ''],
    bodies: [
      { provider: 'openrouter', secret: `sk-or-v1-${c.openrouter}` },
      {
        provider: 'azure',
        secret: [{ model_slug: `gpt-4o-${tag}`, endpoint_url: options.azureEndpoint, api_key: c.azure, model_id: 'gpt-4o' }],
      },
      {
        provider: 'bedrock',
        secret: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: c.bedrockSecret, region: 'us-west-2' },
      },
      {
        provider: 'vertex',
        secret: {
          type: 'service_account',
          project_id: `proj-${tag}`,
          private_key_id: c.vertexKeyId,
          private_key: pem,
          client_email: `gateway@proj-${tag}.iam.gserviceaccount.com`,
          token_uri: options.tokenUri,
          region: 'us-central1',
        },
      },
    ],
  };
}
