import type { OkOptions, UsageScript } from './behaviour';
import type { ChatRequestView } from './chat-request';

export interface ToolCallAnswer {
  readonly id: string;
  readonly name: string;
  /** JSON-encoded, as on the wire. */
  readonly arguments: string;
}

/** What a fake says, decided once so the streaming and non-streaming renderings agree. */
export type Answer =
  | { readonly kind: 'text'; readonly content: string; readonly finishReason: 'stop'; readonly usage: UsageScript }
  | {
      readonly kind: 'tool';
      readonly toolCall: ToolCallAnswer;
      readonly finishReason: 'tool_calls';
      readonly usage: UsageScript;
    };

/** A `delta` object of one streamed choice. */
export type Delta = Readonly<Record<string, unknown>>;

const WEATHER = /\bweather\b/i;
const TOOL_ARGUMENTS = JSON.stringify({ city: 'Paris' });
const JSON_MODE_CONTENT = JSON.stringify({ ok: true });

/** The text a default `ok` answers with: deterministic, so tests can predict it. */
export function echoOf(lastUserText: string): string {
  return `Echo: ${lastUserText}`;
}

/**
 * Scripted content wins; otherwise a tool call when the request offers tools and asks about the
 * weather (or forces a tool), JSON `{"ok":true}` in JSON mode, else an echo of the last user message.
 */
export function planAnswer(view: ChatRequestView, ok: OkOptions, toolCallId: string): Answer {
  if (ok.content === undefined) {
    const toolName = chosenTool(view);
    if (toolName !== null) {
      const toolCall = { id: toolCallId, name: toolName, arguments: TOOL_ARGUMENTS };
      const usage = ok.usage ?? estimateUsage(view, toolName.length + TOOL_ARGUMENTS.length);
      return { kind: 'tool', toolCall, finishReason: 'tool_calls', usage };
    }
  }
  const content = ok.content ?? (isJsonMode(view) ? JSON_MODE_CONTENT : echoOf(view.lastUserText));
  return { kind: 'text', content, finishReason: 'stop', usage: ok.usage ?? estimateUsage(view, content.length) };
}

function chosenTool(view: ChatRequestView): string | null {
  const first = view.toolNames[0];
  if (first === undefined) return null;
  switch (view.toolChoice.kind) {
    case 'none':
      return null;
    case 'named':
      return view.toolChoice.name;
    case 'required':
      return first;
    case 'auto':
      return WEATHER.test(view.lastUserText) ? first : null;
    default:
      return assertNever(view.toolChoice);
  }
}

function isJsonMode(view: ChatRequestView): boolean {
  return view.responseFormat === 'json_object' || view.responseFormat === 'json_schema';
}

/** About four characters a token, never zero: enough for billing code to see plausible numbers. */
function estimateUsage(view: ChatRequestView, completionChars: number): UsageScript {
  return {
    prompt_tokens: Math.max(1, Math.ceil(view.promptChars / 4)),
    completion_tokens: Math.max(1, Math.ceil(completionChars / 4)),
  };
}

/** The `message` of a non-streaming choice. */
export function answerMessage(answer: Answer): Record<string, unknown> {
  switch (answer.kind) {
    case 'text':
      return { role: 'assistant', content: answer.content, refusal: null };
    case 'tool':
      return {
        role: 'assistant',
        content: null,
        refusal: null,
        tool_calls: [toolCallJson(answer.toolCall, answer.toolCall.arguments)],
      };
    default:
      return assertNever(answer);
  }
}

/**
 * The deltas of a streamed answer: a role delta, then content pieces (or tool-call argument
 * fragments, the first fragment carrying id and name as OpenAI does).
 */
export function answerDeltas(answer: Answer): { readonly role: Delta; readonly pieces: readonly Delta[] } {
  switch (answer.kind) {
    case 'text':
      return { role: { role: 'assistant', content: '' }, pieces: splitText(answer.content).map((content) => ({ content })) };
    case 'tool': {
      const { toolCall } = answer;
      const head = { ...toolCallJson(toolCall, ''), index: 0 };
      const fragments = splitEvenly(toolCall.arguments, 3).map((part) => ({
        tool_calls: [{ index: 0, function: { arguments: part } }],
      }));
      return { role: { role: 'assistant', content: null }, pieces: [{ tool_calls: [head] }, ...fragments] };
    }
    default:
      return assertNever(answer);
  }
}

function toolCallJson(toolCall: ToolCallAnswer, args: string): Record<string, unknown> {
  return { id: toolCall.id, type: 'function', function: { name: toolCall.name, arguments: args } };
}

/** Word-sized pieces that concatenate back to `text` exactly; at least two when the text allows. */
export function splitText(text: string): string[] {
  if (text === '') return [];
  const words = text.split(/(?<=\s)(?=\S)/);
  return words.length > 1 ? words : splitEvenly(text, 2);
}

function splitEvenly(text: string, parts: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / parts));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

export function assertNever(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
