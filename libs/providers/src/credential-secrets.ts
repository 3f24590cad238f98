import { REDACTED } from '@gw/kernel';
import type { ProviderCredential, UpstreamError } from './provider.types';

/** Shorter strings would match ordinary text; real provider secrets are far longer. */
const MIN_SECRET_LENGTH = 8;

/** The secret strings a credential holds (the ones an upstream could quote back in an error). */
function secretsOf(credential: ProviderCredential): string[] {
  switch (credential.provider) {
    case 'openrouter':
    case 'azure':
      return [credential.apiKey.reveal()];
    case 'bedrock':
      return credential.auth.kind === 'apiKey'
        ? [credential.auth.apiKey.reveal()]
        : [
            credential.auth.secretAccessKey.reveal(),
            ...(credential.auth.sessionToken ? [credential.auth.sessionToken.reveal()] : []),
          ];
    case 'vertex':
      return [credential.serviceAccount.privateKey.reveal()];
  }
}

/**
 * What the request carried as a bearer token or API key header: for Vertex, the OAuth access
 * token minted from the service account, which the credential itself does not hold.
 */
function secretsSent(headers: Readonly<Record<string, string>> | undefined): string[] {
  if (!headers) return [];
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'authorization' && /^bearer /i.test(value)) out.push(value.slice('bearer '.length).trim());
    else if (lower === 'api-key' || lower === 'x-api-key' || lower === 'x-goog-api-key') out.push(value);
  }
  return out;
}

/**
 * An upstream failure as it may reach the client (its message, and for client errors the
 * upstream's body), with any secret of the credential it was called with, and any token the
 * request sent (`headers`), replaced by `[REDACTED]`: an upstream that quotes the key or token it
 * was given does not hand it on.
 */
export function withoutCredentialSecrets(
  failure: UpstreamError,
  credential: ProviderCredential,
  headers?: Readonly<Record<string, string>>,
): UpstreamError {
  const secrets = [...secretsOf(credential), ...secretsSent(headers)].filter((secret) => secret.length >= MIN_SECRET_LENGTH);
  let message = failure.message;
  let body = failure.body;
  let changed = false;
  for (const secret of secrets) {
    if (message.includes(secret)) {
      message = message.split(secret).join(REDACTED);
      changed = true;
    }
    if (body !== undefined) {
      const text = JSON.stringify(body);
      // The secret as it appears inside a JSON string.
      const quoted = JSON.stringify(secret).slice(1, -1);
      if (text.includes(quoted)) {
        body = JSON.parse(text.split(quoted).join(REDACTED)) as unknown;
        changed = true;
      }
    }
  }
  return changed ? { ...failure, message, body } : failure;
}
