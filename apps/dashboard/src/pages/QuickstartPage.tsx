import { Alert, Card, Code, CopyButton, Button, Group, Stack, Tabs, Text } from '@mantine/core';
import { IconCheck, IconCopy, IconInfoCircle } from '@tabler/icons-react';
import { Link } from 'react-router';
import { PageHeader } from '../components/PageHeader';

function Snippet({ code }: { code: string }) {
  return (
    <Card withBorder padding={0} pos="relative">
      <Group pos="absolute" top={8} right={8}>
        <CopyButton value={code}>
          {({ copied, copy }) => (
            <Button
              size="compact-xs"
              variant={copied ? 'filled' : 'default'}
              color={copied ? 'teal' : undefined}
              onClick={copy}
              leftSection={copied ? <IconCheck size={12} /> : <IconCopy size={12} />}
            >
              {copied ? 'Copied' : 'Copy'}
            </Button>
          )}
        </CopyButton>
      </Group>
      <Code block style={{ whiteSpace: 'pre', overflowX: 'auto', padding: '1rem', paddingTop: '2.5rem', fontSize: 13 }}>
        {code}
      </Code>
    </Card>
  );
}

export function QuickstartPage() {
  const base = `${window.location.origin}/v1`;
  const model = 'openai/gpt-4o-mini';
  const snippets = {
    curl: `curl ${base}/chat/completions \\
  -H "Authorization: Bearer $GATEWAY_API_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{
    "model": "${model}",
    "messages": [{"role": "user", "content": "Hello!"}]
  }'`,
    python: `# pip install openai
import os
from openai import OpenAI

client = OpenAI(base_url="${base}", api_key=os.environ["GATEWAY_API_KEY"])

completion = client.chat.completions.create(
    model="${model}",
    messages=[{"role": "user", "content": "Hello!"}],
)
print(completion.choices[0].message.content)
print("cost (USD):", completion.usage.cost)`,
    node: `// npm install openai
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: '${base}', apiKey: process.env.GATEWAY_API_KEY });

const stream = await client.chat.completions.create({
  model: '${model}',
  messages: [{ role: 'user', content: 'Hello!' }],
  stream: true,
});
for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? '');`,
    openrouter: `// OpenRouter-style: fallback models, provider preferences, app attribution
const response = await fetch('${base}/chat/completions', {
  method: 'POST',
  headers: {
    Authorization: \`Bearer \${process.env.GATEWAY_API_KEY}\`,
    'Content-Type': 'application/json',
    'HTTP-Referer': 'https://my-app.example',
    'X-Title': 'My App',
  },
  body: JSON.stringify({
    models: ['anthropic/claude-3.5-sonnet', '${model}'],
    provider: { order: ['openrouter', 'azure'], allow_fallbacks: true },
    messages: [{ role: 'user', content: 'Hello!' }],
  }),
});
const data = await response.json();
console.log(data.choices[0].message.content, data.usage.cost, data.usage.is_byok);`,
  };
  return (
    <>
      <PageHeader title="Quickstart" description="The gateway speaks the OpenAI API. Point any OpenAI SDK at this base URL." />
      <Stack>
        <Card withBorder padding="md">
          <Text size="sm" c="dimmed">
            Base URL
          </Text>
          <Group justify="space-between" wrap="nowrap">
            <Code fz="md">{base}</Code>
            <CopyButton value={base}>
              {({ copied, copy }) => (
                <Button size="xs" variant="default" onClick={copy}>
                  {copied ? 'Copied' : 'Copy'}
                </Button>
              )}
            </CopyButton>
          </Group>
        </Card>
        <Alert icon={<IconInfoCircle size={16} />} variant="light">
          Set <Code>GATEWAY_API_KEY</Code> to a key from <Link to="/keys">API keys</Link>. Every answer's <Code>usage</Code>{' '}
          carries <Code>cost</Code> (USD charged) and <Code>is_byok</Code>.
        </Alert>
        <Tabs defaultValue="curl">
          <Tabs.List mb="sm">
            <Tabs.Tab value="curl">curl</Tabs.Tab>
            <Tabs.Tab value="python">Python</Tabs.Tab>
            <Tabs.Tab value="node">Node.js</Tabs.Tab>
            <Tabs.Tab value="openrouter">OpenRouter-style</Tabs.Tab>
          </Tabs.List>
          {(Object.keys(snippets) as (keyof typeof snippets)[]).map((id) => (
            <Tabs.Panel key={id} value={id}>
              <Snippet code={snippets[id]} />
            </Tabs.Panel>
          ))}
        </Tabs>
      </Stack>
    </>
  );
}
