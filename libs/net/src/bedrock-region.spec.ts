import { BEDROCK_REGIONS, bedrockRuntimeUrl, isBedrockRegion } from './bedrock-region';

describe('isBedrockRegion', () => {
  it.each(['us-east-1', 'eu-central-1', 'ap-southeast-2', 'us-gov-west-1'])('accepts %s', (region) => {
    expect(isBedrockRegion(region)).toBe(true);
  });

  it.each([
    '',
    'US-EAST-1',
    'us-east-1 ',
    'us-east-99',
    'localhost',
    'us-east-1.evil.com',
    'evil.com#',
    'us-east-1/../..',
    '127.0.0.1',
  ])('rejects %p', (value) => {
    expect(isBedrockRegion(value)).toBe(false);
  });

  it('builds only https amazonaws.com runtime hosts', () => {
    for (const region of BEDROCK_REGIONS) {
      expect(new URL(bedrockRuntimeUrl(region)).hostname).toBe(`bedrock-runtime.${region}.amazonaws.com`);
    }
    expect(new Set(BEDROCK_REGIONS).size).toBe(BEDROCK_REGIONS.length);
  });
});
