import { normalizeProviderName } from './provider-name.normalizer';

describe('normalizeProviderName', () => {
  it.each([
    ['openrouter', 'openrouter'],
    ['azure', 'azure'],
    ['bedrock', 'bedrock'],
    ['vertex', 'vertex'],
    ['amazon-bedrock', 'bedrock'],
    ['google-vertex', 'vertex'],
    ['Amazon-Bedrock', 'bedrock'],
    ['GOOGLE-VERTEX', 'vertex'],
    ['OpenRouter', 'openrouter'],
    ['Amazon Bedrock', 'bedrock'],
    ['google_vertex', 'vertex'],
    [' azure ', 'azure'],
  ])('%j -> %s', (name, id) => {
    expect(normalizeProviderName(name)).toBe(id);
  });

  it.each(['openai', 'anthropic', '', 'bedrock2', 'google', 'amazon', 'vertex-ai', 'azure-openai'])('%j is unknown', (name) => {
    expect(normalizeProviderName(name)).toBeNull();
  });
});
