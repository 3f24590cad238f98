import { z } from 'zod';
import { azureSecret, bedrockSecret, mostSpecificIssue, vertexSecret } from '@gw/contracts';

const port = z.coerce.number().int().min(0).max(65535);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));
const url = (protocols: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL starting with ${protocols.join(' or ')}//`,
  );
/**
 * A platform credential in the format tenants store (SPEC section 3): JSON (or, where `bare` allows,
 * a plain key string) that `schema` accepts. A problem is reported at the field's path inside the
 * variable (`BEDROCK_PLATFORM_CREDENTIALS.region ...`), never with the value.
 */
const credential = (schema: z.ZodType, bare: boolean) =>
  z.string().superRefine((raw, ctx) => {
    const text = raw.trim();
    let value: unknown = text;
    if (!bare || text.startsWith('{') || text.startsWith('[')) {
      try {
        value = JSON.parse(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be valid JSON' });
        return;
      }
    }
    const result = schema.safeParse(value);
    if (result.success) return;
    const issue = mostSpecificIssue(result.error);
    if (!issue) return;
    if (issue.code === 'unrecognized_keys') {
      ctx.addIssue({ code: 'custom', path: [...issue.path, issue.keys[0] ?? ''], message: 'is not a known field' });
      return;
    }
    ctx.addIssue({ code: 'custom', path: issue.path, message: describeIssue(issue) });
  });

/**
 * A zod issue as the end of a sentence that starts with the variable (or field) it is about: a
 * schema's own message as it is, zod's generic ones ("Too big: expected number to be <=1") in words.
 */
export function describeIssue(issue: z.core.$ZodIssue): string {
  if (!/^(Too big|Too small|Invalid input)\b/.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'custom':
    case 'invalid_element':
    case 'invalid_format':
    case 'invalid_key':
    case 'invalid_union':
    case 'not_multiple_of':
    case 'unrecognized_keys':
      return issue.message;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_type':
      if (issue.message.endsWith('received undefined')) return 'is required';
      if (issue.expected === 'int') return 'must be an integer';
      return `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    case 'too_big':
      return issue.origin === 'number' || issue.origin === 'int'
        ? `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}`
        : `must have at most ${String(issue.maximum)} ${issue.origin === 'string' ? 'characters' : 'items'}`;
    case 'too_small':
      return issue.origin === 'number' || issue.origin === 'int'
        ? `must be ${issue.inclusive === false ? 'greater than' : 'at least'} ${String(issue.minimum)}`
        : `must have at least ${String(issue.minimum)} ${issue.origin === 'string' ? 'characters' : 'items'}`;
  }
}

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);
const fraction = z.coerce.number().min(0).max(1);

/** The one schema for the environment (README "Environment"). Nothing else reads process.env. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port.default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: url(['postgresql:', 'postgres:']).default('postgresql://postgres@127.0.0.1:5432/gateway'),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  /** Prefix of every Redis key and channel, so several deployments (or test workers) share one Redis. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,40}$/, 'must be 1-40 of A-Z a-z 0-9 : _ -')
    .default('gw:'),
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(12, 'must have at least 12 characters').optional(),
  SERVER_PEPPER: z.string().min(32, 'must have at least 32 characters (npm start generates one)'),
  WORKER: z.enum(['on', 'off']).default('on'),
  OPENROUTER_BASE_URL: url(['https:', 'http:']).default('https://openrouter.ai/api/v1'),
  OPENROUTER_API_KEY: z.string().min(1).optional(),
  AZURE_PLATFORM_CONFIG: credential(azureSecret, false).optional(),
  BEDROCK_ENDPOINT_URL: url(['https:', 'http:']).optional(),
  BEDROCK_PLATFORM_CREDENTIALS: credential(bedrockSecret, true).optional(),
  VERTEX_API_ENDPOINT: url(['https:', 'http:']).optional(),
  VERTEX_PLATFORM_SERVICE_ACCOUNT: credential(vertexSecret, false).optional(),
  ALLOW_PRIVATE_UPSTREAMS: bool.default(false),
  BYOK_FEE_RATE: fraction.default(0.05),
  BYOK_FREE_REQUESTS_PER_MONTH: nonNegativeInt.default(1_000_000),
  BYOK_FREE_USD_PER_MONTH: z.coerce.number().min(0).optional(),
  SIGNUP_CREDITS: z.coerce.number().min(0).default(0),
  UPSTREAM_TIMEOUT_MS: positiveInt.default(60_000),
  UPSTREAM_IDLE_TIMEOUT_MS: positiveInt.default(60_000),
  MAX_BODY_BYTES: positiveInt.default(16 * 1024 * 1024),
  /** Requests per minute per tenant on /v1/chat/completions, across all its keys (unset: no tenant limit). */
  TENANT_RATE_LIMIT_RPM: positiveInt.optional(),
  /** An unsettled credit reservation (its instance died) is released after this long. */
  RESERVATION_TTL_SECONDS: positiveInt.default(600),
  /** Completion tokens reserved when a request sets no max_tokens. */
  RESERVE_MAX_OUTPUT_TOKENS: positiveInt.default(4096),
  /** Reserved for a credits request on a model with no catalogue price (billed at OpenRouter's reported cost). */
  UNPRICED_RESERVE_USD: z.coerce.number().min(0).default(1),
  /** Outbound User-Agent sent to every upstream (identity override). */
  UPSTREAM_USER_AGENT: z.string().min(1).max(200).default('llm-gateway/0.1.0'),
  /** HTTP worker processes sharing PORT (node:cluster); 1 serves from the main process itself. */
  API_WORKERS: positiveInt.max(64).default(1),
  /** Body limit of the dashboard/management API (/api); /v1 uses MAX_BODY_BYTES. */
  API_MAX_BODY_BYTES: positiveInt.default(1024 * 1024),
  SESSION_TTL_HOURS: positiveInt.default(24 * 14),
  /** Set to true behind an HTTPS terminator so the session cookie is marked Secure. */
  COOKIE_SECURE: bool.default(false),
  /** Trust X-Forwarded-For for client IPs (login throttling, audit) when behind a proxy. */
  TRUST_PROXY: bool.default(false),
  /** Login attempts allowed per account and per IP in a 15-minute window. */
  LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: positiveInt.default(10),
  LOGIN_MAX_ATTEMPTS_PER_IP: positiveInt.default(50),
});

export type EnvInput = z.input<typeof envSchema>;
export type Config = z.output<typeof envSchema>;
