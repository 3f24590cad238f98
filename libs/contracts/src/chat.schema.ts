import { z } from 'zod';

/**
 * POST /v1/chat/completions: the OpenAI request plus OpenRouter's extensions. Unknown top-level
 * fields are refused (400 naming them); message contents and tool schemas are passed through as
 * the upstreams define them.
 */
const contentPart = z.looseObject({ type: z.string().min(1) });
const content = z.union([z.string(), z.array(contentPart)]).nullable();

const toolCall = z.looseObject({
  id: z.string(),
  type: z.literal('function'),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});

export const chatMessage = z.discriminatedUnion('role', [
  z.looseObject({ role: z.literal('system'), content, name: z.string().optional() }),
  z.looseObject({ role: z.literal('developer'), content, name: z.string().optional() }),
  z.looseObject({ role: z.literal('user'), content, name: z.string().optional() }),
  z.looseObject({
    role: z.literal('assistant'),
    content: content.optional(),
    name: z.string().optional(),
    tool_calls: z.array(toolCall).optional(),
  }),
  z.looseObject({ role: z.literal('tool'), content, tool_call_id: z.string() }),
]);
export type ChatMessage = z.infer<typeof chatMessage>;

const providerName = z.string().min(1).max(64);
const sortBy = z.enum(['price', 'latency', 'throughput']);

export const providerPreferences = z.strictObject({
  order: z.array(providerName).max(20).optional(),
  allow_fallbacks: z.boolean().optional(),
  require_parameters: z.boolean().optional(),
  only: z.array(providerName).max(20).optional(),
  ignore: z.array(providerName).max(20).optional(),
  // OpenRouter's object form `{by, partition}` sorts by its `by`.
  sort: z
    .union([sortBy, z.looseObject({ by: sortBy, partition: z.string().max(32).optional() }).transform((value) => value.by)])
    .optional(),
  data_collection: z.enum(['allow', 'deny']).optional(),
  // OpenRouter's endpoint filters that no backend of this gateway distinguishes: accepted, not applied.
  zdr: z.boolean().optional(),
  enforce_distillable_text: z.boolean().optional(),
  quantizations: z.array(z.string().max(16)).max(16).optional(),
  max_price: z.looseObject({}).optional(),
  preferred_min_throughput: z.union([z.number(), z.looseObject({})]).optional(),
  preferred_max_latency: z.union([z.number(), z.looseObject({})]).optional(),
  experimental: z.looseObject({}).optional(),
});

const modelName = z.string().trim().min(1).max(512);

export const chatRequestBody = z.strictObject({
  model: modelName.optional(),
  models: z.array(modelName).min(1).max(20).optional(),
  route: z.literal('fallback').optional(),
  provider: providerPreferences.optional(),
  transforms: z.array(z.string().max(64)).max(10).optional(),
  plugins: z
    .array(z.looseObject({ id: z.string() }))
    .max(10)
    .optional(),
  messages: z.array(chatMessage).min(1, 'must contain at least one message').max(10_000),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).optional(),
  usage: z.looseObject({ include: z.boolean().optional() }).optional(),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  top_a: z.number().min(0).max(1).optional(),
  min_p: z.number().min(0).max(1).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  repetition_penalty: z.number().min(0).max(2).optional(),
  seed: z.number().int().optional(),
  stop: z
    .union([z.string(), z.array(z.string()).max(4)])
    .nullable()
    .optional(),
  n: z.number().int().min(1).max(1).optional(),
  logit_bias: z.record(z.string(), z.number()).optional(),
  logprobs: z.boolean().optional(),
  top_logprobs: z.number().int().min(0).max(20).optional(),
  tools: z
    .array(z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string() }) }))
    .max(128)
    .optional(),
  tool_choice: z.union([z.enum(['none', 'auto', 'required']), z.looseObject({ type: z.literal('function') })]).optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: z.looseObject({ type: z.enum(['text', 'json_object', 'json_schema']) }).optional(),
  user: z.string().max(256).optional(),
  reasoning: z.looseObject({}).optional(),
  reasoning_effort: z.enum(['minimal', 'low', 'medium', 'high']).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  service_tier: z.string().max(32).optional(),
  store: z.boolean().optional(),
  modalities: z.array(z.string()).optional(),
  prediction: z.looseObject({}).optional(),
  audio: z.looseObject({}).optional(),
  verbosity: z.enum(['low', 'medium', 'high']).optional(),
  prompt_cache_key: z.string().max(1024).optional(),
  safety_identifier: z.string().max(256).optional(),
  web_search_options: z.looseObject({}).optional(),
  // OpenAI's older function calling, still accepted by its API.
  functions: z
    .array(z.looseObject({ name: z.string() }))
    .max(128)
    .optional(),
  function_call: z.union([z.enum(['none', 'auto']), z.looseObject({ name: z.string() })]).optional(),
  // OpenRouter's own request fields.
  include_reasoning: z.boolean().optional(),
  structured_outputs: z.boolean().optional(),
  debug: z.looseObject({ echo_upstream_body: z.boolean().optional() }).optional(),
});
export type ChatRequestBody = z.infer<typeof chatRequestBody>;

/** Sampling and output parameters, by the names the request uses (drives `require_parameters`). */
export const CHAT_PARAMS = [
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'top_k',
  'top_a',
  'min_p',
  'frequency_penalty',
  'presence_penalty',
  'repetition_penalty',
  'seed',
  'stop',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'reasoning',
  'reasoning_effort',
] as const;
export type ChatParam = (typeof CHAT_PARAMS)[number];
