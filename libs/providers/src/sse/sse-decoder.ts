import type { JsonObject, StreamDecoder, StreamEvent } from '../provider.types';

/**
 * Incremental decoder for OpenAI-style server-sent events: `data: {json}` lines, `: comment`
 * keep-alives and the `data: [DONE]` sentinel. Bytes may split anywhere, lines included.
 */
export class SseDecoder implements StreamDecoder {
  private buffer = '';
  private readonly utf8 = new TextDecoder('utf-8');

  push(bytes: Buffer): StreamEvent[] {
    this.buffer += this.utf8.decode(bytes, { stream: true });
    const events: StreamEvent[] = [];
    let newline = this.buffer.indexOf('\n');
    while (newline !== -1) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      const event = parseLine(line);
      if (event) events.push(event);
      newline = this.buffer.indexOf('\n');
    }
    return events;
  }

  end(): StreamEvent[] {
    const rest = this.buffer + this.utf8.decode();
    this.buffer = '';
    const event = rest.trim() ? parseLine(rest.trim()) : null;
    return event ? [event] : [];
  }
}

function parseLine(line: string): StreamEvent | null {
  if (line === '') return null;
  if (line.startsWith(':')) return { type: 'comment' };
  if (!line.startsWith('data:')) return null; // event:, id:, retry: carry nothing we use
  const data = line.slice(5).trimStart();
  if (data === '[DONE]') return { type: 'done' };
  try {
    const parsed: unknown = JSON.parse(data);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return { type: 'malformed', reason: 'data is not an object' };
    return { type: 'chunk', chunk: parsed as JsonObject };
  } catch {
    return { type: 'malformed', reason: 'data is not valid JSON' };
  }
}
