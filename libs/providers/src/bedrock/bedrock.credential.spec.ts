import { inspect } from 'node:util';
import { bedrockSecret } from '@gw/contracts';
import { DomainError } from '@gw/kernel';
import { bedrockCredentialFromSecret } from './bedrock.credential';

describe('bedrockCredentialFromSecret', () => {
  it('maps a bare API key to Bearer auth in us-east-1', () => {
    const sut = bedrockCredentialFromSecret(bedrockSecret.parse('ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl'));

    expect(sut).toMatchObject({ provider: 'bedrock', auth: { kind: 'apiKey' }, region: 'us-east-1', endpointUrl: null });
    expect(sut.auth.kind === 'apiKey' && sut.auth.apiKey.reveal()).toBe('ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl');
  });

  it('maps an API key with a region, and carries the endpoint URL', () => {
    const sut = bedrockCredentialFromSecret(
      bedrockSecret.parse({ apiKey: 'ABSKkey', region: 'eu-west-3' }),
      'http://localhost:4566',
    );

    expect(sut).toMatchObject({ auth: { kind: 'apiKey' }, region: 'eu-west-3', endpointUrl: 'http://localhost:4566' });
  });

  it('maps AWS credentials to SigV4 with the secret and session token wrapped', () => {
    const sut = bedrockCredentialFromSecret(
      bedrockSecret.parse({
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        sessionToken: 'FwoGZXIvYXdzEXAMPLE',
        region: 'ap-northeast-1',
      }),
    );

    expect(sut.region).toBe('ap-northeast-1');
    if (sut.auth.kind !== 'sigv4') throw new Error('expected sigv4');
    expect(sut.auth.accessKeyId).toBe('AKIAIOSFODNN7EXAMPLE');
    expect(sut.auth.secretAccessKey.reveal()).toBe('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    expect(sut.auth.sessionToken?.reveal()).toBe('FwoGZXIvYXdzEXAMPLE');
    const printed = `${JSON.stringify(sut)} ${inspect(sut, { depth: 5 })}`;
    expect(printed).not.toContain('wJalrXUtnFEMI');
    expect(printed).not.toContain('FwoGZXIvYXdz');
  });

  it('leaves the session token null when there is none', () => {
    const sut = bedrockCredentialFromSecret(
      bedrockSecret.parse({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 's', region: 'us-west-2' }),
    );

    expect(sut.auth.kind === 'sigv4' && sut.auth.sessionToken).toBeNull();
  });

  it('refuses a well-formed region where Bedrock is not offered, naming the field', () => {
    let error: unknown;
    try {
      bedrockCredentialFromSecret(bedrockSecret.parse({ apiKey: 'k', region: 'xx-nowhere-9' }));
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).metadata).toEqual({ field: 'secret.region' });
  });
});
