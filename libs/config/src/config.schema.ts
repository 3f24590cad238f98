import { z } from 'zod';

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
const json = z.string().refine((value) => {
  try {
    JSON.parse(value);
    return true;
  } catch {
    return false;
  }
}, 'must be valid JSON');
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
  AZURE_PLATFORM_CONFIG: json.optional(),
  BEDROCK_ENDPOINT_URL: url(['https:', 'http:']).optional(),
  BEDROCK_PLATFORM_CREDENTIALS: z.string().min(1).optional(),
  VERTEX_API_ENDPOINT: url(['https:', 'http:']).optional(),
  VERTEX_PLATFORM_SERVICE_ACCOUNT: json.optional(),
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
