/**
 * AWS regions where Bedrock Runtime is offered. A tenant's region becomes part of a host name, so
 * it must come from this list: free text could steer the request to another host.
 */
export const BEDROCK_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'us-gov-east-1',
  'us-gov-west-1',
  'ca-central-1',
  'mx-central-1',
  'sa-east-1',
  'eu-central-1',
  'eu-central-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-east-2',
  'me-central-1',
  'me-south-1',
  'il-central-1',
  'af-south-1',
] as const;

export type BedrockRegion = (typeof BEDROCK_REGIONS)[number];

const known: ReadonlySet<string> = new Set(BEDROCK_REGIONS);

export function isBedrockRegion(value: string): value is BedrockRegion {
  return known.has(value);
}

/** The Bedrock Runtime base URL; takes only a checked region, never free text. */
export function bedrockRuntimeUrl(region: BedrockRegion): string {
  return `https://bedrock-runtime.${region}.amazonaws.com`;
}
