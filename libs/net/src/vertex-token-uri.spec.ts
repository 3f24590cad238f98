import { UnsafeUrlError } from './upstream-url';
import { checkVertexTokenUri } from './vertex-token-uri';

const resolve = (): Promise<readonly string[]> => Promise.resolve(['142.250.74.10']);

async function reasonFor(raw: string, allowPrivate = false): Promise<string> {
  const error = await checkVertexTokenUri(raw, { allowPrivate, resolve }).catch((caught: unknown) => caught);
  if (error instanceof UnsafeUrlError) return error.reason;
  throw new Error(`expected ${raw} to be rejected`);
}

describe('checkVertexTokenUri', () => {
  it.each([
    'https://oauth2.googleapis.com/token',
    'https://www.googleapis.com/oauth2/v4/token',
    'https://accounts.google.com/o/oauth2/token',
    'https://OAUTH2.googleapis.com:443/token',
  ])('accepts %s', async (raw) => {
    const lookups: string[] = [];
    const sut = await checkVertexTokenUri(raw, {
      allowPrivate: false,
      resolve: (host) => {
        lookups.push(host);
        return resolve();
      },
    });
    expect(sut.host).toBe(new URL(raw).hostname);
    // Google's fixed endpoints are trusted without a DNS lookup.
    expect(lookups).toEqual([]);
  });

  it.each([
    'http://oauth2.googleapis.com/token',
    'https://oauth2.googleapis.com/token/',
    'https://oauth2.googleapis.com/token?x=1',
    'https://oauth2.googleapis.com/token#x',
    'https://oauth2.googleapis.com:8443/token',
    'https://u:p@oauth2.googleapis.com/token',
    'https://oauth2.googleapis.com.evil.com/token',
    'https://evil.com/token',
    'https://169.254.169.254/computeMetadata/v1/',
  ])('rejects %s', async (raw) => {
    expect(await reasonFor(raw)).toBe("must be Google's OAuth token endpoint");
  });

  it('says when the value is not a URL at all', async () => {
    expect(await reasonFor('oauth2.googleapis.com/token')).toBe('is not a valid URL');
  });

  it('accepts a fake token server when private upstreams are allowed', async () => {
    const sut = await checkVertexTokenUri('http://127.0.0.1:9999/token', { allowPrivate: true, resolve });
    expect(sut.addresses).toEqual(['127.0.0.1']);
    expect(await reasonFor('ftp://127.0.0.1/token', true)).toBe('must use http or https');
  });
});
