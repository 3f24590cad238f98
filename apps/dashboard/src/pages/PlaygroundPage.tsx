import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Paper,
  PasswordInput,
  ScrollArea,
  Select,
  Stack,
  Text,
  Textarea,
} from '@mantine/core';
import { IconSend, IconTrash } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState, type SyntheticEvent } from 'react';
import { Link } from 'react-router';
import { api, ApiError, send } from '../api/client';
import type { ModelView } from '@gw/contracts';
import { PageHeader } from '../components/PageHeader';
import { formatUsd } from '../lib/format';
import { useMemorySecrets } from '../lib/memory-secrets';

interface Message {
  role: 'user' | 'assistant';
  content: string;
  cost?: number;
  isByok?: boolean;
  error?: string;
  pending?: boolean;
}

const PASTE = '__paste__';

interface StreamChunk {
  choices?: { delta?: { content?: string | null } }[];
  usage?: { cost?: number; is_byok?: boolean };
  error?: { message?: string };
}

/** Reads an OpenAI-style SSE stream, calling `onChunk` per data line, until `[DONE]`. */
async function readStream(response: Response, onChunk: (chunk: StreamChunk) => void): Promise<void> {
  const body = response.body;
  if (!body) return;
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let boundary = buffer.indexOf('\n');
    while (boundary >= 0) {
      const line = buffer.slice(0, boundary).trim();
      buffer = buffer.slice(boundary + 1);
      boundary = buffer.indexOf('\n');
      // Comment lines (": PROCESSING") keep the connection alive; they carry nothing.
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '[DONE]') return;
      onChunk(JSON.parse(data) as StreamChunk);
    }
  }
}

export function PlaygroundPage() {
  const secrets = useMemorySecrets();
  const [keyChoice, setKeyChoice] = useState<string | null>(null);
  const [pasted, setPasted] = useState('');
  const [model, setModel] = useState<string | null>(null);
  const [input, setInput] = useState('');
  const [messages, setMessages] = useState<Message[]>([]);
  const [busy, setBusy] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const viewport = useRef<HTMLDivElement>(null);
  const models = useQuery({
    queryKey: ['models'],
    queryFn: () => api.get<{ data: ModelView[] }>('/v1/models'),
    staleTime: 300_000,
  });

  // Default to the newest key of this session.
  const lastKey = secrets.keys.at(-1);
  const selected = keyChoice ?? lastKey?.id ?? PASTE;
  const secret = selected === PASTE ? pasted.trim() : secrets.keys.find((k) => k.id === selected)?.secret;

  useEffect(() => {
    viewport.current?.scrollTo({ top: viewport.current.scrollHeight });
  }, [messages]);

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    if (!secret) return setFormError('Choose an API key, or paste one, to chat.');
    if (!model) return setFormError('Choose a model.');
    if (!input.trim()) return setFormError('Type a message.');
    setFormError(null);
    const history: Message[] = [...messages, { role: 'user', content: input.trim() }];
    setMessages([...history, { role: 'assistant', content: '', pending: true }]);
    setInput('');
    setBusy(true);
    const patchLast = (patch: (m: Message) => Message) =>
      setMessages((list) => list.map((m, i) => (i === list.length - 1 ? patch(m) : m)));
    try {
      const response = await send('POST', '/v1/chat/completions', {
        bearer: secret,
        body: { model, stream: true, messages: history.map(({ role, content }) => ({ role, content })) },
      });
      await readStream(response, (chunk) => {
        const delta = chunk.choices?.[0]?.delta?.content ?? '';
        const usage = chunk.usage;
        const error = chunk.error?.message;
        patchLast((m) => ({
          ...m,
          content: m.content + delta,
          ...(usage ? { cost: usage.cost, isByok: usage.is_byok } : {}),
          ...(error ? { error } : {}),
        }));
      });
    } catch (error) {
      const message = error instanceof ApiError ? error.message : 'The stream was interrupted.';
      patchLast((m) => ({ ...m, error: message }));
    } finally {
      patchLast((m) => ({ ...m, pending: false }));
      setBusy(false);
    }
  };

  const keyOptions = [
    ...secrets.keys.map((k) => ({ value: k.id, label: `${k.name} (${k.hint})` })),
    { value: PASTE, label: 'Paste a key…' },
  ];
  const modelOptions = (models.data?.data ?? []).map((m) => ({ value: m.id, label: m.name ? `${m.name} · ${m.id}` : m.id }));

  return (
    <>
      <PageHeader
        title="Playground"
        description="Chat through /v1/chat/completions with streaming. Keys stay in this tab's memory and are never shown."
        actions={
          <Button
            variant="default"
            leftSection={<IconTrash size={16} />}
            onClick={() => setMessages([])}
            disabled={messages.length === 0 || busy}
          >
            Clear chat
          </Button>
        }
      />
      <Stack>
        <Group grow align="flex-start" wrap="wrap">
          <Select label="API key" data={keyOptions} value={selected} onChange={setKeyChoice} allowDeselect={false} miw={220} />
          <Select
            label="Model"
            placeholder={models.isPending ? 'Loading models…' : 'Choose a model'}
            data={modelOptions}
            value={model}
            onChange={setModel}
            searchable
            nothingFoundMessage="No such model"
            error={models.error?.message}
            miw={220}
          />
        </Group>
        {selected === PASTE && (
          <PasswordInput
            label="Gateway key"
            description={
              <>
                Kept in memory for this tab only. Keys you create on <Link to="/keys">API keys</Link> appear in the list above.
              </>
            }
            placeholder="gwk_…"
            value={pasted}
            onChange={(e) => setPasted(e.currentTarget.value)}
            autoComplete="off"
          />
        )}
        <Card withBorder padding={0}>
          <ScrollArea h={380} viewportRef={viewport} p="md">
            {messages.length === 0 ? (
              <Text c="dimmed" ta="center" mt={140} size="sm">
                Send a message to start. Each answer shows what it cost.
              </Text>
            ) : (
              <Stack gap="sm">
                {messages.map((message, index) => (
                  <Group key={index} justify={message.role === 'user' ? 'flex-end' : 'flex-start'}>
                    <Paper
                      p="sm"
                      maw="85%"
                      radius="lg"
                      bg={message.role === 'user' ? 'var(--mantine-primary-color-light)' : 'var(--mantine-color-default-hover)'}
                      data-role={message.role}
                    >
                      <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                        {message.content || (message.pending ? '…' : '')}
                      </Text>
                      {message.error && (
                        <Text size="sm" c="red" mt={4}>
                          {message.error}
                        </Text>
                      )}
                      {message.role === 'assistant' && message.cost !== undefined && (
                        <Group gap={4} mt={6}>
                          <Badge size="xs" variant="light" data-message-cost>
                            {formatUsd(message.cost)}
                          </Badge>
                          {message.isByok && (
                            <Badge size="xs" variant="light" color="grape">
                              BYOK
                            </Badge>
                          )}
                        </Group>
                      )}
                    </Paper>
                  </Group>
                ))}
              </Stack>
            )}
          </ScrollArea>
        </Card>
        <form onSubmit={(e) => void submit(e)}>
          <Stack gap="xs">
            <Textarea
              label="Message"
              placeholder="Ask anything…"
              autosize
              minRows={2}
              maxRows={8}
              value={input}
              onChange={(e) => setInput(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && !e.shiftKey) {
                  e.preventDefault();
                  e.currentTarget.form?.requestSubmit();
                }
              }}
            />
            {formError && (
              <Alert color="red" role="alert">
                {formError}
              </Alert>
            )}
            <Group justify="space-between">
              <Text size="xs" c="dimmed">
                Enter sends, Shift+Enter adds a line.
              </Text>
              <Button type="submit" loading={busy} leftSection={<IconSend size={16} />}>
                Send
              </Button>
            </Group>
          </Stack>
        </form>
      </Stack>
    </>
  );
}
