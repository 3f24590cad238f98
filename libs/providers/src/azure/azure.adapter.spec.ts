import { chatRequestBody } from '@gw/contracts';
import { Secret } from '@gw/kernel';
import type { AttemptContext, ProviderCredential } from '../provider.types';
import { AzureAdapter } from './azure.adapter';

type AzureCredential = Extract<ProviderCredential, { provider: 'azure' }>;

const context = (endpointUrl: string): AttemptContext<AzureCredential> => ({
  upstreamModel: 'gpt-4o',
  credential: { provider: 'azure', apiKey: new Secret('azure-key-0000'), endpointUrl, modelId: 'gpt-4o', trustedUrl: false },
  requestId: 'req-1',
  userAgent: 'llm-gateway/test',
  appReferer: null,
  appTitle: null,
});

const request = chatRequestBody.parse({
  model: 'azure:gpt-4o',
  stream: true,
  messages: [{ role: 'user', content: 'hi' }],
  max_completion_tokens: 5,
  parallel_tool_calls: false,
});

describe('AzureAdapter', () => {
  const sut = new AzureAdapter();
  const sent = (endpointUrl: string) =>
    JSON.parse(sut.buildRequest(request, context(endpointUrl)).body) as Record<string, unknown>;

  it.each([
    'https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21',
    'https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-09-01-preview',
    'https://r.openai.azure.com/openai/v1/chat/completions',
    'https://r.services.ai.azure.com/models/chat/completions?api-version=2024-05-01-preview',
  ])('asks %s for stream usage and passes the newer fields', (url) => {
    expect(sent(url)).toMatchObject({
      stream_options: { include_usage: true },
      max_completion_tokens: 5,
      parallel_tool_calls: false,
    });
  });

  it('sends an api-version older than 2024-09-01 only the fields it knows', () => {
    const body = sent('https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-02-01');
    expect(body).toMatchObject({ max_tokens: 5, stream: true });
    expect(body).not.toHaveProperty('stream_options');
    expect(body).not.toHaveProperty('max_completion_tokens');
    expect(body).not.toHaveProperty('parallel_tool_calls');
  });
});
