import type { JsonObject, StreamDecoder, StreamEvent } from '../provider.types';

const CARRIAGE_RETURN = 13;

/**
 * Incremental decoder for OpenAI-style server-sent events: `data: {json}` lines, `: comment`
 * keep-alives and the `data: [DONE]` sentinel. Bytes may split anywhere, lines included.
 */
export class SseDecoder implements StreamDecoder {
  private buffer = '';
  private readonly utf8 = new TextDecoder('utf-8');

  push(bytes: Buffer): StreamEvent[] {
    const text = this.buffer + this.utf8.decode(bytes, { stream: true });
    const events: StreamEvent[] = [];
    // One pass over the text; only the unfinished last line is kept.
    let start = 0;
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      const end = newline > start && text.charCodeAt(newline - 1) === CARRIAGE_RETURN ? newline - 1 : newline;
      const event = parseLine(text.slice(start, end));
      if (event) events.push(event);
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    this.buffer = start === 0 ? text : text.slice(start);
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
