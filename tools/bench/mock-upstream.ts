import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The path OpenRouter's base URL (`…/api/v1`) plus the adapter's `/chat/completions` resolves to. */
export const MOCK_PATH = '/api/v1/chat/completions';

const MODEL = 'openai/gpt-4o-mini';
const CREATED = 1_700_000_000;
const USAGE = { prompt_tokens: 8, completion_tokens: 3, total_tokens: 11, cost: 0.0000021 };

const COMPLETION = Buffer.from(
  JSON.stringify({
    id: 'gen-mock',
    object: 'chat.completion',
    created: CREATED,
    model: MODEL,
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there!' }, finish_reason: 'stop' }],
    usage: USAGE,
  }),
);

const chunk = (choices: unknown[], usage?: unknown) =>
  `data: ${JSON.stringify({ id: 'gen-mock', object: 'chat.completion.chunk', created: CREATED, model: MODEL, choices, ...(usage ? { usage } : {}) })}\n\n`;

const STREAM = Buffer.from(
  [
    chunk([{ index: 0, delta: { role: 'assistant', content: 'Hello' }, finish_reason: null }]),
    chunk([{ index: 0, delta: { content: ' there' }, finish_reason: null }]),
    chunk([{ index: 0, delta: { content: '!' }, finish_reason: 'stop' }]),
    chunk([], USAGE),
    'data: [DONE]\n\n',
  ].join(''),
);

const JSON_HEADERS = { 'content-type': 'application/json', 'content-length': String(COMPLETION.length) };
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'content-length': String(STREAM.length) };
const STREAM_FLAG = Buffer.from('"stream":true');

/**
 * A deliberately cheap OpenAI-compatible upstream for the gateway benchmark: pre-serialized
 * answers, keep-alive, and the body read only far enough to see `"stream":true` (the gateway
 * serializes with JSON.stringify, so no spaces). The SSE answer goes out in one write: the bench
 * measures the gateway, not a slow model.
 */
function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'POST' || req.url !== MOCK_PATH) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"code":404,"message":"not found"}}');
    return;
  }
  const parts: Buffer[] = [];
  req.on('data', (part: Buffer) => parts.push(part));
  req.on('end', () => {
    const body = parts.length === 1 && parts[0] ? parts[0] : Buffer.concat(parts);
    if (body.includes(STREAM_FLAG)) {
      res.writeHead(200, SSE_HEADERS);
      res.end(STREAM);
    } else {
      res.writeHead(200, JSON_HEADERS);
      res.end(COMPLETION);
    }
  });
}

export async function startMockUpstream(): Promise<{ server: Server; port: number }> {
  const server = createServer({ keepAlive: true }, handle);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return { server, port: (server.address() as AddressInfo).port };
}
