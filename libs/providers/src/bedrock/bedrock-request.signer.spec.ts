import { createHash, createHmac } from 'node:crypto';
import { Secret } from '@gw/kernel';
import { bedrockBaseUrl, conversePath, encodeBedrockModelId, signBedrockSigV4 } from './bedrock-request.signer';

const PROFILE_ARN = 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const DATE = new Date('2026-11-21T21:49:08Z');

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

/** SigV4 written out from AWS's documented algorithm, to check the signer against. */
function expectedSignature(input: {
  canonicalUri: string;
  headers: Readonly<Record<string, string>>;
  body: string;
  region: string;
  secret: string;
}): string {
  const names = Object.keys(input.headers).sort();
  const canonicalHeaders = names.map((name) => `${name}:${(input.headers[name] ?? '').trim()}\n`).join('');
  const canonicalRequest = ['POST', input.canonicalUri, '', canonicalHeaders, names.join(';'), sha256Hex(input.body)].join('\n');
  const amzDate = '20261121T214908Z';
  const scope = `20261121/${input.region}/bedrock/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${input.secret}`, '20261121'), input.region), 'bedrock'), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}

function signatureOf(authorization: string | undefined): string {
  const match = /Signature=([0-9a-f]{64})$/.exec(authorization ?? '');
  if (!match?.[1]) throw new Error(`no signature in ${String(authorization)}`);
  return match[1];
}

describe('conversePath', () => {
  it('percent-encodes the model id once, as one path segment', () => {
    expect(conversePath('anthropic.claude-3-haiku-20240307-v1:0', false)).toBe(
      '/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse',
    );
    expect(conversePath(PROFILE_ARN, true)).toBe(
      '/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse-stream',
    );
    expect(encodeBedrockModelId("a(b)!*'~")).toBe('a%28b%29%21%2A%27~');
  });
});

describe('signBedrockSigV4', () => {
  const body = '{"messages":[{"role":"user","content":[{"text":"hi"}]}]}';

  it('signs the canonical URI with the model id encoded twice (%3A -> %253A), as AWS does', async () => {
    const url = `https://bedrock-runtime.us-east-1.amazonaws.com${conversePath(PROFILE_ARN, false)}`;

    const sut = await signBedrockSigV4({
      url,
      headers: { 'content-type': 'application/json' },
      body,
      region: 'us-east-1',
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: new Secret(SECRET),
      sessionToken: null,
      signingDate: DATE,
    });

    expect(sut['authorization']).toBe(
      `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/us-east-1/bedrock/aws4_request, ` +
        `SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature=${signatureOf(sut['authorization'])}`,
    );
    const signedHeaders = {
      'content-type': 'application/json',
      host: 'bedrock-runtime.us-east-1.amazonaws.com',
      'x-amz-content-sha256': sha256Hex(body),
      'x-amz-date': '20261121T214908Z',
    };
    const once = new URL(url).pathname;
    const twice = once.replace(/%/g, '%25');
    expect(twice).toContain('%253A');
    expect(signatureOf(sut['authorization'])).toBe(
      expectedSignature({ canonicalUri: twice, headers: signedHeaders, body, region: 'us-east-1', secret: SECRET }),
    );
    expect(signatureOf(sut['authorization'])).not.toBe(
      expectedSignature({ canonicalUri: once, headers: signedHeaders, body, region: 'us-east-1', secret: SECRET }),
    );
    expect(sut).toMatchObject(signedHeaders);
  });

  it('signs the host the request reaches, port included, and the session token', async () => {
    const url = `http://127.0.0.1:4566${conversePath('amazon.nova-lite-v1:0', true)}`;

    const sut = await signBedrockSigV4({
      url,
      headers: { 'content-type': 'application/json' },
      body,
      region: 'eu-west-1',
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: new Secret(SECRET),
      sessionToken: new Secret('session-token-value'),
      signingDate: DATE,
    });

    expect(sut['host']).toBe('127.0.0.1:4566');
    expect(sut['x-amz-security-token']).toBe('session-token-value');
    expect(sut['authorization']).toContain('/eu-west-1/bedrock/aws4_request');
    expect(sut['authorization']).toContain(
      'SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token',
    );
    expect(signatureOf(sut['authorization'])).toBe(
      expectedSignature({
        canonicalUri: new URL(url).pathname.replace(/%/g, '%25'),
        headers: {
          'content-type': 'application/json',
          host: '127.0.0.1:4566',
          'x-amz-content-sha256': sha256Hex(body),
          'x-amz-date': '20261121T214908Z',
          'x-amz-security-token': 'session-token-value',
        },
        body,
        region: 'eu-west-1',
        secret: SECRET,
      }),
    );
  });
});

describe('bedrockBaseUrl', () => {
  it('uses the region endpoint, or only the scheme, host and port of BEDROCK_ENDPOINT_URL', () => {
    expect(bedrockBaseUrl('eu-central-1', null)).toBe('https://bedrock-runtime.eu-central-1.amazonaws.com');
    expect(bedrockBaseUrl('eu-central-1', 'http://localhost:4566/ignored/path?x=1')).toBe('http://localhost:4566');
  });

  it('refuses a region outside the allow-list', () => {
    expect(() => bedrockBaseUrl('evil.example.com#', null)).toThrow(/region/);
  });
});
