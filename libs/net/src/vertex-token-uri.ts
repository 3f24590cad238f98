import { type CheckedUrl, type CheckUrlOptions, checkUpstreamUrl, UnsafeUrlError } from './upstream-url';

/**
 * Token endpoints Google puts in service-account keys. The `token_uri` travels with a signed JWT
 * assertion, so any other host would receive a credential it could replay against Google.
 */
export const GOOGLE_TOKEN_URIS: readonly string[] = [
  'https://oauth2.googleapis.com/token',
  'https://www.googleapis.com/oauth2/v4/token',
  'https://accounts.google.com/o/oauth2/token',
];

const known: ReadonlySet<string> = new Set(GOOGLE_TOKEN_URIS);

/**
 * Checks a service account's `token_uri`: one of Google's endpoints, or with allowPrivate (tests
 * with a fake token server) any URL checkUpstreamUrl accepts.
 */
export async function checkVertexTokenUri(raw: string, options: CheckUrlOptions): Promise<CheckedUrl> {
  // Matched before resolving, so a hostile value never costs a DNS lookup.
  if (!options.allowPrivate && !isGoogleTokenEndpoint(raw)) {
    throw new UnsafeUrlError(URL.canParse(raw) ? "must be Google's OAuth token endpoint" : 'is not a valid URL');
  }
  // Google's own endpoints are fixed and trusted: not resolved here (saving a key must not
  // depend on DNS), and called later through the ordinary pool rather than a pinned one.
  if (isGoogleTokenEndpoint(raw)) {
    const url = new URL(raw);
    return Object.freeze({ url, host: url.hostname, addresses: Object.freeze([]) });
  }
  return checkUpstreamUrl(raw, options);
}

function isGoogleTokenEndpoint(raw: string): boolean {
  if (!URL.canParse(raw)) return false;
  const url = new URL(raw);
  const bare = url.username === '' && url.password === '' && url.search === '' && url.hash === '';
  return bare && known.has(`${url.origin}${url.pathname}`);
}
