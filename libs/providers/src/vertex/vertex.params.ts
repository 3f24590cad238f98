import { CHAT_PARAMS, type ChatParam, type ChatRequestBody } from '@gw/contracts';
import { assertNever } from '@gw/kernel';
import { vertexFamilyOf, type VertexFamily } from './vertex.url';

/**
 * What Gemini's `generateContent` honours. Not here: `logit_bias`, `logprobs`/`top_logprobs`
 * (the answer would need translating back), `parallel_tool_calls` (Gemini has no switch),
 * OpenRouter's `top_a`/`min_p`/`repetition_penalty`, and the reasoning knobs.
 */
export const GEMINI_PARAMS: ReadonlySet<ChatParam> = new Set<ChatParam>([
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'top_k',
  'frequency_penalty',
  'presence_penalty',
  'seed',
  'stop',
  'tools',
  'tool_choice',
  'response_format',
]);

/**
 * What Claude's Messages API on Vertex honours. `parallel_tool_calls: false` becomes
 * `disable_parallel_tool_use`. Not here: penalties, `seed`, `logit_bias`, logprobs,
 * `response_format` (Claude has no JSON mode), OpenRouter's extras and the reasoning knobs.
 */
export const CLAUDE_PARAMS: ReadonlySet<ChatParam> = new Set<ChatParam>([
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'top_k',
  'stop',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
]);

export function paramsOfFamily(family: VertexFamily): ReadonlySet<ChatParam> {
  switch (family) {
    case 'gemini':
      return GEMINI_PARAMS;
    case 'claude':
      return CLAUDE_PARAMS;
    default:
      return assertNever(family, 'Vertex family');
  }
}

/** The parameters `model` honours on Vertex (drives `provider.require_parameters`). */
export function vertexSupportedParams(model: string): ReadonlySet<ChatParam> {
  return paramsOfFamily(vertexFamilyOf(model));
}

/**
 * Parameters the request sets that the model's API does not take: the translation leaves them
 * out, and the gateway records them on the generation. `response_format: {type:"text"}` and
 * `stop: null` ask for nothing, so they are not counted.
 */
export function vertexDroppedParams(request: ChatRequestBody, model: string): ChatParam[] {
  const supported = vertexSupportedParams(model);
  const dropped: ChatParam[] = [];
  for (const param of Object.keys(request) as (keyof ChatRequestBody)[]) {
    if (!isChatParam(param) || supported.has(param)) continue;
    const value = request[param];
    if (value === undefined || value === null) continue;
    if (param === 'response_format' && request.response_format?.type === 'text') continue;
    dropped.push(param);
  }
  return dropped;
}

const CHAT_PARAM_NAMES: ReadonlySet<string> = new Set<string>(CHAT_PARAMS);

function isChatParam(name: string): name is ChatParam {
  return CHAT_PARAM_NAMES.has(name);
}
