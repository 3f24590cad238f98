import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { KeyPrincipal } from '@gw/accounts';
import {
  BillingPolicy,
  CreditStore,
  estimatePromptTokens,
  type Holder,
  maxCompletionTokens,
  monthKeyAt,
  priceOf,
  type TenantPolicy,
} from '@gw/billing';
import { ProviderKeysService, VaultService } from '@gw/byok';
import { CatalogService } from '@gw/catalog';
import { CONFIG, type Config } from '@gw/config';
import { azureSecret, type AzureDeployment, bedrockSecret, type ChatRequestBody, CHAT_PARAMS, vertexSecret } from '@gw/contracts';
import type { ProviderKey } from '@gw/db';
import { assertNever, DomainError, reportedUsdToMicros, Secret } from '@gw/kernel';
import { RateLimiter, RedisKeys } from '@gw/queue';
import {
  AzureAdapter,
  BedrockAdapter,
  bedrockCredentialFromSecret,
  canFallBack,
  classifyTransportError,
  isPlausibleUsage,
  type JsonObject,
  OpenRouterAdapter,
  type ProviderAdapter,
  type ProviderCredential,
  type CancelSignal,
  Cancellation,
  type StreamedResponse,
  type StreamEvent,
  type StreamReceiver,
  type UpstreamError,
  type UpstreamRequest,
  UpstreamTransport,
  parseJsonBody,
  type WholeResponse,
  type Usage,
  transportTokenHttp,
  VertexAdapter,
  vertexCredentialFromSecret,
  VertexTokenProvider,
  withoutCredentialSecrets,
} from '@gw/providers';
import { type Attempt, type CatalogView, type PlanError, planAttempts, type PlanResult, type PlatformKeys } from '@gw/routing';
import { generationStreamKey, newGenerationId } from './generation-recorder';
import { modelParamsProblem } from './model-params';
import type { AttemptRecord, GenerationRecord, GenerationStatus } from './generation.types';
import { middleOut } from './middle-out';
import { ProviderStatsTracker } from './provider-stats';
import type { ResponseSink } from './response-sink';

export interface ChatMeta {
  readonly requestId: string;
  readonly appReferer: string | null;
  readonly appTitle: string | null;
}

const KEEPALIVE_MS = 1_000;
/** The usage of a stream that failed before any attempt served it. */
const NOTHING_SERVED_USAGE = {
  prompt_tokens: 0,
  completion_tokens: 0,
  total_tokens: 0,
  cost: 0,
  is_byok: false,
  cost_details: { upstream_inference_cost: 0 },
} as const;
const DEFAULT_OUTPUT_RESERVE = 1024;
/** Distinct model names whose plans are kept per provider-key list. */
const MAX_PLANS_PER_KEY_SET = 64;

interface AttemptOutcome {
  readonly done: boolean;
  readonly failure?: UpstreamError;
  /** The attempt could not be covered by the balance or the key's limit; no upstream call was made. */
  readonly uncovered?: DomainError;
  /** A stream that failed after its first data chunk: it ends with the error chunk. */
  readonly midStreamError?: DomainError;
}

/** What a streamed attempt's relay shares with tryAttempt. */
interface StreamControl {
  /** Fired by the client's hang-up or the first-data timeout; stops the upstream. */
  readonly cancel: Cancellation;
  /** Cleared by the first content chunk. */
  readonly firstDataTimer: NodeJS.Timeout;
  readonly timedOut: () => boolean;
  readonly fail: (failure: UpstreamError) => AttemptOutcome;
}

/** Everything one request's attempts share. */
interface RunContext {
  readonly principal: KeyPrincipal;
  readonly body: ChatRequestBody;
  readonly meta: ChatMeta;
  readonly sink: ResponseSink;
  readonly signal: CancelSignal;
  readonly tenantKeys: readonly ProviderKey[];
  readonly policy: TenantPolicy;
  readonly holder: Holder;
  readonly promptEstimate: number;
  readonly requestedModel: string;
}

/** Pricing inputs that make priceOf return the undiscounted fee: the waiver is decided in Redis at settlement. */
const NO_ALLOWANCE = { freeRequests: 0, freeMicros: null } as const;
const NO_MONTH = { requests: 0, listMicros: 0n } as const;

interface RunState {
  readonly id: string;
  readonly created: number;
  readonly startedAt: number;
  readonly trail: AttemptRecord[];
  ttfbMs: number | null;
  usage: Usage | null;
  deliveredChars: number;
  served: Attempt | null;
  status: GenerationStatus;
  httpStatus: number;
  /** What the tenant was charged, and the list price of the usage (both set at settlement). */
  chargeMicros: bigint;
  listMicros: bigint;
  /** The prompt's tokens at about four characters each, for streams cut before usage arrived. */
  readonly promptEstimate: number;
  /** Requested parameters the current attempt's backend cannot honour (recorded, not sent). */
  dropped: readonly string[];
  settled: boolean;
}

/**
 * The /v1/chat/completions use case: plan attempts, open the BYOK secret when an attempt needs
 * it, call the upstream over the keep-alive pool, fall back before the first streamed byte,
 * relay the answer, record the generation.
 */
@Injectable()
export class ChatService implements OnModuleDestroy {
  private readonly transport: UpstreamTransport;
  private readonly adapters: {
    openrouter: OpenRouterAdapter;
    azure: AzureAdapter;
    bedrock: BedrockAdapter;
    vertex: VertexAdapter;
  };
  private readonly tokens: VertexTokenProvider;
  private readonly stats = new ProviderStatsTracker();
  private readonly platformAzure: readonly AzureDeployment[];
  private readonly platformBedrock: ProviderCredential | null;
  private readonly platformVertex: ProviderCredential | null;
  private readonly userAgent: string;
  private readonly stream: string;
  private readonly unpricedReserveMicros: bigint;
  private readonly platformKeys: PlatformKeys;
  private plans = new WeakMap<readonly ProviderKey[], Map<string, PlanResult>>();
  private planGeneration = -1;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CatalogService) private readonly catalog: CatalogService,
    @Inject(ProviderKeysService) private readonly providerKeys: ProviderKeysService,
    @Inject(VaultService) private readonly vault: VaultService,
    @Inject(RateLimiter) private readonly limiter: RateLimiter,
    @Inject(CreditStore) private readonly credits: CreditStore,
    @Inject(BillingPolicy) private readonly billing: BillingPolicy,
    @Inject(RedisKeys) keys: RedisKeys,
  ) {
    this.stream = generationStreamKey(keys);
    this.unpricedReserveMicros = BigInt(Math.round(config.UNPRICED_RESERVE_USD * 1e6));
    this.transport = new UpstreamTransport({
      firstByteTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
      idleTimeoutMs: config.UPSTREAM_IDLE_TIMEOUT_MS,
      connectTimeoutMs: Math.min(10_000, config.UPSTREAM_TIMEOUT_MS),
      maxResponseBytes: 32 * 1024 * 1024,
      allowPrivate: config.ALLOW_PRIVATE_UPSTREAMS,
    });
    this.tokens = new VertexTokenProvider({
      http: transportTokenHttp(this.transport),
      allowPrivate: config.ALLOW_PRIVATE_UPSTREAMS,
      userAgent: config.UPSTREAM_USER_AGENT,
    });
    this.adapters = {
      openrouter: new OpenRouterAdapter(),
      azure: new AzureAdapter(),
      bedrock: new BedrockAdapter(),
      vertex: new VertexAdapter(this.tokens),
    };
    this.platformAzure = parsePlatformAzure(config.AZURE_PLATFORM_CONFIG);
    this.platformBedrock = parsePlatformBedrock(config.BEDROCK_PLATFORM_CREDENTIALS, config.BEDROCK_ENDPOINT_URL ?? null);
    this.platformVertex = parsePlatformVertex(config.VERTEX_PLATFORM_SERVICE_ACCOUNT, config.VERTEX_API_ENDPOINT ?? null);
    this.userAgent = config.UPSTREAM_USER_AGENT;
    this.platformKeys = {
      openrouter: config.OPENROUTER_API_KEY !== undefined,
      azureSlugs: new Set(this.platformAzure.map((d) => d.model_slug)),
      bedrock: this.platformBedrock !== null,
      vertex: this.platformVertex !== null,
    };
  }

  async onModuleDestroy(): Promise<void> {
    await this.transport.close();
  }

  async complete(
    principal: KeyPrincipal,
    body: ChatRequestBody,
    meta: ChatMeta,
    sink: ResponseSink,
    signal: CancelSignal,
  ): Promise<void> {
    await this.enforceRateLimits(principal, sink);
    const tenantKeys = await this.providerKeys.listForRouting(principal.tenantId);
    const plan = this.plan(principal, body, tenantKeys);
    if (!plan.ok) throw planError(plan.error);
    const paramsProblem = modelParamsProblem(plan.attempts);
    if (paramsProblem) throw DomainError.validation(paramsProblem.field, paramsProblem.message);

    const state: RunState = {
      id: newGenerationId(),
      created: Math.floor(Date.now() / 1000),
      startedAt: Date.now(),
      trail: [],
      ttfbMs: null,
      usage: null,
      deliveredChars: 0,
      served: null,
      status: 'ok',
      httpStatus: 200,
      chargeMicros: 0n,
      listMicros: 0n,
      settled: false,
      promptEstimate: estimatePromptTokens(body, 4),
      dropped: [],
    };
    const run: RunContext = {
      principal,
      body,
      meta,
      sink,
      signal,
      tenantKeys,
      policy: this.billing.forTenant(principal.tenantBilling),
      holder: {
        tenantId: principal.tenantId,
        keyId: principal.keyId,
        generationId: state.id,
        month: monthKeyAt(state.startedAt),
      },
      promptEstimate: estimatePromptTokens(body),
      requestedModel: body.model ?? body.models?.[0] ?? '',
    };
    const keepalive = body.stream ? setInterval(() => this.keepAlive(sink, state), KEEPALIVE_MS) : undefined;
    let lastFailure: UpstreamError | undefined;
    let uncovered: DomainError | undefined;
    try {
      for (const attempt of plan.attempts) {
        if (signal.aborted) break;
        const outcome = await this.tryAttempt(attempt, run, state);
        if (outcome.done) return;
        if (outcome.uncovered) {
          // Nothing was called yet: the request cannot be covered at all (SPEC: 402 before any call).
          if (state.trail.length === 0 && !uncovered && attempt === plan.attempts[0]) throw outcome.uncovered;
          uncovered ??= outcome.uncovered;
          continue;
        }
        lastFailure = outcome.failure;
        if (outcome.failure && !canFallBack(outcome.failure)) break;
      }
      if (signal.aborted) {
        state.status = 'aborted';
        state.httpStatus = 499;
        return;
      }
      // A fallback the balance could not cover: the client learns what to fix, credits.
      const error = uncovered && (!lastFailure || canFallBack(lastFailure)) ? uncovered : finalError(lastFailure, state.trail);
      state.status = 'error';
      state.httpStatus = error.status;
      if (sink.started) {
        await this.settle(run, state);
        this.writeErrorChunk(sink, state, attemptModel(state, run.requestedModel), error);
        sink.end();
        return;
      }
      throw error;
    } catch (error) {
      if (error instanceof DomainError) {
        state.status = 'error';
        state.httpStatus = error.status;
      }
      throw error;
    } finally {
      clearInterval(keepalive);
      await this.settle(run, state);
    }
  }

  /**
   * The attempt plan. A request naming one model and no provider preferences (the usual case)
   * depends only on that name, the key's vault access, the tenant's provider keys and the
   * catalogue, so its plan is kept until either changes (the provider-key list is a new array
   * after every change, the catalogue a new generation).
   */
  private plan(principal: KeyPrincipal, body: ChatRequestBody, tenantKeys: readonly ProviderKey[]): PlanResult {
    const model = body.model;
    const plain = model !== undefined && body.models === undefined && body.provider === undefined && body.route === undefined;
    if (!plain) return this.planFresh(principal, body, tenantKeys);
    const generation = this.catalog.generation();
    if (generation !== this.planGeneration) {
      this.plans = new WeakMap();
      this.planGeneration = generation;
    }
    let byName = this.plans.get(tenantKeys);
    if (!byName) {
      byName = new Map();
      this.plans.set(tenantKeys, byName);
    }
    const memo = principal.vaultAccess ? `v${model}` : `-${model}`;
    let plan = byName.get(memo);
    if (!plan) {
      plan = this.planFresh(principal, body, tenantKeys);
      if (byName.size < MAX_PLANS_PER_KEY_SET) byName.set(memo, plan);
    }
    return plan;
  }

  private planFresh(principal: KeyPrincipal, body: ChatRequestBody, tenantKeys: readonly ProviderKey[]): PlanResult {
    return planAttempts({
      model: body.model,
      models: body.models,
      route: body.route,
      provider: body.provider,
      requestedParams: new Set<string>(CHAT_PARAMS.filter((param) => body[param] !== undefined)),
      supportedParams: (provider, upstreamModel) => this.adapters[provider].supportedParams(upstreamModel),
      catalog: this.catalogView(),
      aliases: this.catalog.aliases(),
      tenantKeys,
      platform: this.platformKeys,
      keyHasVaultAccess: principal.vaultAccess,
      stats: (provider, model) => this.stats.get(provider, model),
    });
  }

  /** Per-key (`rateLimitRpm`) and per-tenant limits, shared by every instance through Redis. */
  private async enforceRateLimits(principal: KeyPrincipal, sink: ResponseSink): Promise<void> {
    const limits: [string, number][] = [];
    if (principal.rateLimitRpm !== null) limits.push([`key:${principal.keyId}`, principal.rateLimitRpm]);
    if (this.config.TENANT_RATE_LIMIT_RPM !== undefined)
      limits.push([`tenant:${principal.tenantId}`, this.config.TENANT_RATE_LIMIT_RPM]);
    for (const [index, [key, perMinute]] of limits.entries()) {
      const decision = await this.limiter.take(key, perMinute);
      const headers = {
        'X-RateLimit-Limit': String(decision.limit),
        'X-RateLimit-Remaining': String(decision.remaining),
        'X-RateLimit-Reset': String(decision.resetSeconds),
      };
      if (!decision.allowed) {
        throw new DomainError('rate_limited', {
          message: `Rate limit of ${String(perMinute)} requests per minute reached for this ${key.startsWith('key:') ? 'key' : 'account'}.`,
          metadata: { retry_after_seconds: decision.retryAfterSeconds },
          headers: { ...headers, 'Retry-After': String(decision.retryAfterSeconds) },
        });
      }
      // The most specific limit (the key's) is the one reported on successful answers.
      if (index === 0) for (const [name, value] of Object.entries(headers)) sink.setHeader(name, value);
    }
  }

  private async tryAttempt(attempt: Attempt, run: RunContext, state: RunState): Promise<AttemptOutcome> {
    const { principal, body: request, meta, sink, signal, tenantKeys } = run;
    const byok = attempt.credential.kind === 'byok';
    const fail = (failure: UpstreamError): AttemptOutcome => {
      pushTrail(state, attempt, failure.kind, failure.status);
      return { done: false, failure };
    };
    const reserved = await this.credits.reserve({
      holder: run.holder,
      needMicros: this.worstCaseMicros(attempt, run),
      byok,
      allowance: run.policy.allowance,
      keyLimitMicros: principal.creditLimit,
    });
    if (!reserved.ok) {
      return {
        done: false,
        uncovered: new DomainError(reserved.reason, {
          message:
            reserved.reason === 'insufficient_credits'
              ? 'The balance cannot cover this request at its maximum cost. Add credits or lower max_tokens.'
              : 'This key has reached its credit limit. Raise the limit or use another key.',
        }),
      };
    }
    state.dropped = [];
    let credential: ProviderCredential;
    try {
      credential = await this.credentialFor(attempt, principal, tenantKeys);
    } catch (error) {
      if (error instanceof DomainError)
        return fail({ kind: 'auth', status: null, message: error.message, retryAfterSeconds: null });
      throw error;
    }
    // From here on a failure may carry what the upstream said, which may quote the credential.
    // The request's own headers join the credential once built: a Vertex access token is minted per request.
    const sent: { headers?: Record<string, string> } = {};
    const failUpstream = (failure: UpstreamError): AttemptOutcome =>
      fail(withoutCredentialSecrets(failure, credential, sent.headers));
    const body = this.prepareBody(request, attempt);
    const adapter = this.adapterFor(credential);
    if (!adapter)
      return fail({
        kind: 'not_found',
        status: null,
        message: `${credential.provider} is not available`,
        retryAfterSeconds: null,
      });
    if (adapter.droppedParams) state.dropped = adapter.droppedParams(request, attempt.upstreamModel);
    else {
      const supported = adapter.supportedParams(attempt.upstreamModel);
      state.dropped = CHAT_PARAMS.filter((param) => request[param] !== undefined && !supported.has(param));
    }
    let upstreamRequest: UpstreamRequest;
    try {
      upstreamRequest = await adapter.buildRequest(body, {
        upstreamModel: attempt.upstreamModel,
        credential,
        requestId: meta.requestId,
        userAgent: this.userAgent,
        appReferer: meta.appReferer,
        appTitle: meta.appTitle,
      });
    } catch (error) {
      // Content a backend cannot take is the caller's 400; a token endpoint's failure is this attempt's.
      if (error instanceof DomainError) throw error;
      return failUpstream(classifyTransportError(error));
    }
    sent.headers = upstreamRequest.headers;

    if (!request.stream) return this.completeWhole(adapter, upstreamRequest, credential, attempt, run, state, failUpstream);

    // Stops the upstream at once when the client goes away, or when no first data arrives in time.
    const cancel = new Cancellation();
    const onClientAbort = () => cancel.abort();
    signal.addEventListener('abort', onClientAbort);
    // Gone while the attempt was prepared: the upstream is not called.
    if (signal.aborted) cancel.abort();
    // A holder, not a local: the timer callback sets it (closures defeat flow analysis).
    const timing = { firstDataTimedOut: false };
    const firstDataTimer = setTimeout(() => {
      timing.firstDataTimedOut = true;
      cancel.abort();
    }, this.config.UPSTREAM_TIMEOUT_MS);
    try {
      const outcome = await this.relayStream(adapter, upstreamRequest, credential, attempt, run, state, {
        cancel,
        firstDataTimer,
        timedOut: () => timing.firstDataTimedOut,
        fail: failUpstream,
      });
      if (outcome.done && state.status !== 'aborted') {
        await this.settle(run, state);
        if (outcome.midStreamError) {
          this.writeErrorChunk(sink, state, attempt.model, outcome.midStreamError);
          sink.end();
        } else this.finishStream(sink, state, attempt);
      }
      return outcome;
    } finally {
      clearTimeout(firstDataTimer);
      signal.removeEventListener('abort', onClientAbort);
    }
  }

  /**
   * A non-streamed attempt: one buffered response. The client's abort stops it; undici's own
   * timeouts bound the wait for the first byte (UPSTREAM_TIMEOUT_MS) and any silence inside the body.
   */
  private async completeWhole(
    adapter: ProviderAdapter,
    upstreamRequest: UpstreamRequest,
    credential: ProviderCredential,
    attempt: Attempt,
    run: RunContext,
    state: RunState,
    fail: (failure: UpstreamError) => AttemptOutcome,
  ): Promise<AttemptOutcome> {
    let response: WholeResponse;
    try {
      response = await this.transport.sendWhole(upstreamRequest, run.signal);
    } catch (error) {
      return fail(classifyTransportError(error));
    }
    const json = parseJsonBody(response.body);
    if (response.status < 200 || response.status >= 300) {
      return fail(this.refusal(adapter, credential, response.status, json, response.headers));
    }
    const parsed = adapter.parseResponse(json);
    const completion = parsed.completion;
    // A 2xx that is not a completion (not JSON, no choices) is the upstream failing, as a 5xx is.
    if (!Array.isArray(completion['choices'])) {
      return fail({
        kind: 'server',
        status: response.status,
        message: 'upstream answered without a completion',
        retryAfterSeconds: null,
      });
    }
    const usage = parsed.usage && isPlausibleUsage(parsed.usage) ? parsed.usage : null;
    state.usage = usage;
    // Without upstream usage the answer is billed on an estimate of what it delivered, as a cut stream is.
    if (!usage) state.deliveredChars = deliveredCharsOf(completion);
    state.served = attempt;
    state.ttfbMs = Date.now() - state.startedAt;
    pushTrail(state, attempt, 'ok', response.status);
    // Settled (and the record queued) before the answer leaves: a success is never unbilled.
    await this.settle(run, state);
    run.sink.json(200, this.finalCompletion(completion, attempt, state));
    return { done: true };
  }

  /** An upstream's non-2xx answer as a failure of this attempt. */
  private refusal(
    adapter: ProviderAdapter,
    credential: ProviderCredential,
    status: number,
    body: unknown,
    headers: WholeResponse['headers'],
  ): UpstreamError {
    // A cached Vertex access token the upstream no longer accepts: the next attempt fetches a new one.
    if (credential.provider === 'vertex' && status === 401) this.tokens.invalidate(credential);
    return adapter.classifyError(status, body, headers);
  }

  /**
   * A streamed attempt: each piece of the upstream body is decoded and relayed as undici reads it.
   * Until the first content chunk the attempt can still fail over (SPEC: first data chunk); after
   * it, a failure ends the client's stream with an error chunk.
   */
  private async relayStream(
    adapter: ProviderAdapter,
    upstreamRequest: UpstreamRequest,
    credential: ProviderCredential,
    attempt: Attempt,
    run: RunContext,
    state: RunState,
    control: StreamControl,
  ): Promise<AttemptOutcome> {
    const { sink } = run;
    const { fail, timedOut } = control;
    const decoder = adapter.createStreamDecoder();
    // Set inside the callbacks below; a holder keeps flow analysis honest.
    const progress = { firstData: false, finished: false };
    const held: string[] = [];
    const midStreamError = (reported: UpstreamError): AttemptOutcome => {
      if (!progress.firstData) return fail(reported);
      // After the first data the failure goes to the client here, not through `fail`.
      const failure = withoutCredentialSecrets(reported, credential, upstreamRequest.headers);
      pushTrail(state, attempt, failure.kind, failure.status);
      state.status = 'error';
      state.served = attempt;
      return { done: true, midStreamError: new DomainError('upstream_failed', { message: failure.message }) };
    };
    const handle = (event: StreamEvent, status: number): AttemptOutcome | null => {
      switch (event.type) {
        case 'comment':
          return null;
        case 'done':
          progress.finished = true;
          return null;
        case 'malformed':
          return midStreamError({
            kind: 'server',
            status,
            message: `malformed upstream stream: ${event.reason}`,
            retryAfterSeconds: null,
          });
        case 'chunk': {
          const chunk = event.chunk;
          const usage = adapter.usageOf(chunk);
          if (usage && isPlausibleUsage(usage)) state.usage = usage;
          const upstreamError = chunk['error'];
          if (upstreamError !== undefined) {
            const message =
              typeof upstreamError === 'object' &&
              upstreamError !== null &&
              typeof (upstreamError as JsonObject)['message'] === 'string'
                ? String((upstreamError as JsonObject)['message'])
                : 'upstream error';
            // Before any content, an in-stream throttle (Bedrock's throttlingException, code 429) is a 429: it falls back as one.
            const throttled =
              !progress.firstData && typeof upstreamError === 'object' && (upstreamError as JsonObject | null)?.['code'] === 429;
            return midStreamError({
              kind: throttled ? 'rate_limited' : 'server',
              status: throttled ? 429 : status,
              message,
              retryAfterSeconds: null,
            });
          }
          delete chunk['usage'];
          const choices = chunk['choices'];
          if (!Array.isArray(choices) || choices.length === 0) return null;
          for (const choice of choices as JsonObject[]) {
            // Azure adds delta-less annotation chunks; OpenAI clients expect a delta on every choice.
            const delta = (choice['delta'] ??= {}) as JsonObject;
            const content = delta['content'];
            if (typeof content === 'string') state.deliveredChars += content.length;
          }
          // Every chunk of the answer names one generation: its id, its model and the time it started.
          chunk['id'] = state.id;
          chunk['created'] = state.created;
          chunk['model'] = attempt.model;
          chunk['object'] = 'chat.completion.chunk';
          const data = `data: ${JSON.stringify(chunk)}\n\n`;
          if (!progress.firstData) {
            // A role-only opening chunk (Bedrock's messageStart, OpenAI's first delta) is held back:
            // until real content is sent the attempt can still fall back (SPEC: first data chunk).
            if (isPreamble(choices as JsonObject[])) {
              held.push(data);
              return null;
            }
            progress.firstData = true;
            clearTimeout(control.firstDataTimer);
            state.ttfbMs = Date.now() - state.startedAt;
            if (!sink.started) sink.startStream();
            for (const line of held.splice(0)) sink.write(line);
          }
          sink.write(data);
          return null;
        }
        default:
          return assertNever(event, 'stream event');
      }
    };
    // Set by the receiver's callbacks: the status, and the outcome that made it stop.
    const upstream: { status: number; outcome: AttemptOutcome | null } = { status: 0, outcome: null };
    const receiver: StreamReceiver = {
      onStatus: (code) => {
        upstream.status = code;
      },
      onData: (bytes) => {
        for (const event of decoder.push(bytes)) {
          upstream.outcome = handle(event, upstream.status);
          if (upstream.outcome) return 'stop';
        }
        return progress.finished ? 'done' : 'more';
      },
    };
    let response: StreamedResponse;
    try {
      response = await this.transport.sendStream(upstreamRequest, control.cancel, receiver);
    } catch (error) {
      // No 2xx status yet: the attempt failed before its answer began.
      if (upstream.status < 200 || upstream.status >= 300)
        return fail(timedOut() ? timeoutFailure() : classifyTransportError(error));
      if (control.cancel.aborted && !timedOut()) {
        // The client went away: stopped at once, what was delivered is recorded.
        state.status = 'aborted';
        state.httpStatus = 499;
        state.served = attempt;
        pushTrail(state, attempt, 'ok', upstream.status);
        return { done: true };
      }
      return midStreamError(timedOut() && !progress.firstData ? timeoutFailure() : classifyTransportError(error));
    }
    if (response.errorBody) {
      return fail(this.refusal(adapter, credential, response.status, parseJsonBody(response.errorBody), response.headers));
    }
    if (response.end === 'stop' && upstream.outcome) return upstream.outcome;
    if (response.end === 'ended') {
      for (const event of decoder.end()) {
        const last = handle(event, upstream.status);
        if (last) return last;
      }
    }
    if (!progress.finished) {
      return midStreamError({
        kind: 'connection',
        status: upstream.status,
        message: 'upstream stream ended early',
        retryAfterSeconds: null,
      });
    }
    if (!progress.firstData) {
      // A stream that finished without content: still a valid (empty) answer.
      if (!sink.started) sink.startStream();
      for (const line of held.splice(0)) sink.write(line);
    }
    state.served = attempt;
    pushTrail(state, attempt, 'ok', upstream.status);
    return { done: true };
  }

  /** The final chunk carries usage (asked for or not), then the sentinel. */
  private finishStream(sink: ResponseSink, state: RunState, attempt: Attempt): void {
    const usageChunk = {
      id: state.id,
      object: 'chat.completion.chunk',
      created: state.created,
      model: attempt.model,
      choices: [],
      usage: this.usageBody(state, attempt),
    };
    sink.write(`data: ${JSON.stringify(usageChunk)}\n\ndata: [DONE]\n\n`);
    sink.end();
  }

  /**
   * A stream that failed ends with one chunk carrying the error, `finish_reason: "error"` and the
   * usage (what was delivered, charged as such; zero when nothing was served), then the sentinel:
   * the error chunk is the last chunk and usage rides on it.
   */
  private writeErrorChunk(sink: ResponseSink, state: RunState, model: string, error: DomainError): void {
    if (!sink.started) sink.startStream();
    const chunk = {
      id: state.id,
      object: 'chat.completion.chunk',
      created: state.created,
      model,
      error: { code: error.status, message: error.message },
      choices: [{ index: 0, delta: {}, finish_reason: 'error' }],
      usage: state.served ? this.usageBody(state, state.served) : NOTHING_SERVED_USAGE,
    };
    sink.write(`data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`);
  }

  private keepAlive(sink: ResponseSink, state: RunState): void {
    if (state.ttfbMs !== null) return;
    if (!sink.started) sink.startStream();
    sink.write(': PROCESSING\n\n');
  }

  private finalCompletion(completion: JsonObject, attempt: Attempt, state: RunState): JsonObject {
    return {
      ...completion,
      id: state.id,
      created: state.created,
      model: attempt.model,
      object: 'chat.completion',
      usage: this.usageBody(state, attempt),
    };
  }

  /** Written after settlement, which priced the usage. */
  private usageBody(state: RunState, attempt: Attempt): JsonObject {
    const usage = this.effectiveUsage(state);
    return {
      prompt_tokens: usage.promptTokens,
      completion_tokens: usage.completionTokens,
      total_tokens: usage.promptTokens + usage.completionTokens,
      cost: Number(state.chargeMicros) / 1e6,
      is_byok: attempt.credential.kind === 'byok',
      cost_details: { upstream_inference_cost: Number(state.listMicros) / 1e6 },
      ...(usage.details?.prompt ? { prompt_tokens_details: usage.details.prompt } : {}),
      ...(usage.details?.completion ? { completion_tokens_details: usage.details.completion } : {}),
    };
  }

  /** Upstream usage when given; an estimate from what was delivered when a stream was cut. */
  private effectiveUsage(state: RunState): Usage {
    if (state.usage) return state.usage;
    // A stream cut before the upstream reported usage: the prompt was sent and part of the answer
    // delivered; both are estimated at about four characters per token.
    if (!state.served) return { promptTokens: 0, completionTokens: 0, upstreamCostUsd: null };
    return { promptTokens: state.promptEstimate, completionTokens: Math.ceil(state.deliveredChars / 4), upstreamCostUsd: null };
  }

  /** What an attempt could cost at worst: a platform attempt's price, a BYOK attempt's fee. */
  private worstCaseMicros(attempt: Attempt, run: RunContext): bigint {
    const byok = attempt.credential.kind === 'byok';
    if (!attempt.price) return byok ? 0n : this.unpricedReserveMicros;
    const context = this.catalog.get(attempt.model)?.contextLength ?? null;
    const usage = {
      promptTokens: run.promptEstimate,
      completionTokens: maxCompletionTokens(run.body, this.config.RESERVE_MAX_OUTPUT_TOKENS, context, run.promptEstimate),
      upstreamCostUsd: null,
    };
    return priceOf({
      usage,
      price: attempt.price,
      servedBy: attempt.credential.kind,
      feePpm: run.policy.feePpm,
      allowance: NO_ALLOWANCE,
      month: NO_MONTH,
    }).chargeMicros;
  }

  /**
   * Once per request: prices what was served, releases the reservation, applies the BYOK waiver
   * and queues the generation record, in one Redis step (CreditStore.settle). The writer posts
   * the charge to the ledger with the record, idempotently by generation id.
   */
  private async settle(run: RunContext, state: RunState): Promise<void> {
    if (state.settled) return;
    state.settled = true;
    const usage = this.effectiveUsage(state);
    const served = state.served;
    const byok = served?.credential.kind === 'byok';
    const price = served
      ? priceOf({
          usage,
          price: served.price,
          reportedMicros: usage.upstreamCostUsd === null ? null : reportedUsdToMicros(usage.upstreamCostUsd),
          servedBy: served.credential.kind,
          feePpm: run.policy.feePpm,
          allowance: NO_ALLOWANCE,
          month: NO_MONTH,
        })
      : null;
    const record = this.buildRecord(state, run, usage, price?.listMicros ?? 0n);
    if (served && state.status === 'ok' && state.ttfbMs !== null) {
      this.stats.observe(served.provider, served.model, state.ttfbMs, record.latencyMs, usage.completionTokens);
    }
    const settlement = await this.credits.settle({
      holder: run.holder,
      chargeMicros: price?.chargeMicros ?? 0n,
      byok,
      countsTowardAllowance: byok && state.status === 'ok',
      listMicros: price?.listMicros ?? 0n,
      allowance: run.policy.allowance,
      stream: this.stream,
      record: JSON.stringify(record),
    });
    state.chargeMicros = settlement.chargeMicros;
    state.listMicros = price?.listMicros ?? 0n;
  }

  private buildRecord(state: RunState, run: RunContext, usage: Usage, listMicros: bigint): GenerationRecord {
    const { principal, meta, requestedModel } = run;
    const served = state.served;
    return {
      id: state.id,
      tenantId: principal.tenantId,
      keyId: principal.keyId,
      requestedModel,
      model: served?.model ?? requestedModel,
      provider: served?.provider ?? null,
      isByok: served?.credential.kind === 'byok',
      fallback: state.trail.length > 1,
      attempts: state.trail,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      // Set by the writer from the settled charge (the waiver is decided at settlement).
      costMicros: '0',
      upstreamCostMicros: listMicros.toString(),
      latencyMs: Date.now() - state.startedAt,
      ttfbMs: state.ttfbMs,
      status: state.status,
      httpStatus: state.httpStatus,
      streamed: run.body.stream === true,
      appReferer: meta.appReferer,
      appTitle: meta.appTitle,
      createdAt: new Date(state.startedAt).toISOString(),
    };
  }

  private prepareBody(request: ChatRequestBody, attempt: Attempt): ChatRequestBody {
    // Parameters riding in the model name apply unless the body sets them.
    const merged: ChatRequestBody = { ...attempt.params, ...request };
    const compress = request.transforms?.includes('middle-out') || request.plugins?.some((p) => p.id === 'context-compression');
    if (!compress) return merged;
    const context = this.catalog.get(attempt.model)?.contextLength;
    if (!context) return merged;
    const reserve = request.max_tokens ?? request.max_completion_tokens ?? DEFAULT_OUTPUT_RESERVE;
    return { ...merged, messages: middleOut(request.messages, context, reserve) };
  }

  private async credentialFor(
    attempt: Attempt,
    principal: KeyPrincipal,
    tenantKeys: readonly ProviderKey[],
  ): Promise<ProviderCredential> {
    if (attempt.credential.kind === 'platform') return this.platformCredential(attempt);
    const keyId = attempt.credential.providerKeyId;
    const row = tenantKeys.find((k) => k.id === keyId);
    if (!row) throw new DomainError('not_found', { message: 'The provider key is gone.' });
    const opened = (await this.vault.openProviderSecret(principal, row)).reveal();
    switch (opened.provider) {
      case 'openrouter':
        return { provider: 'openrouter', apiKey: new Secret(opened.secret), baseUrl: this.config.OPENROUTER_BASE_URL };
      case 'azure': {
        const deployment = opened.secret.find((d) => d.model_slug === attempt.upstreamModel);
        if (!deployment) throw new DomainError('not_found', { message: 'No deployment with that model_slug.' });
        return azureCredential(deployment, false);
      }
      case 'bedrock':
        return bedrockCredentialFromSecret(opened.secret, this.config.BEDROCK_ENDPOINT_URL ?? null);
      case 'vertex':
        return vertexCredentialFromSecret(opened.secret, {
          endpointUrl: this.config.VERTEX_API_ENDPOINT ?? null,
          trustedTokenUri: false,
        });
      default:
        return assertNever(opened, 'provider secret');
    }
  }

  private adapterFor(credential: ProviderCredential): ProviderAdapter | undefined {
    switch (credential.provider) {
      case 'openrouter':
        return this.adapters.openrouter;
      case 'azure':
        return this.adapters.azure;
      case 'bedrock':
        return this.adapters.bedrock;
      case 'vertex':
        return this.adapters.vertex;
      default:
        return assertNever(credential, 'credential');
    }
  }

  private platformCredential(attempt: Attempt): ProviderCredential {
    switch (attempt.provider) {
      case 'openrouter':
        if (!this.config.OPENROUTER_API_KEY) break;
        return {
          provider: 'openrouter',
          apiKey: new Secret(this.config.OPENROUTER_API_KEY),
          baseUrl: this.config.OPENROUTER_BASE_URL,
        };
      case 'azure': {
        const deployment = this.platformAzure.find((d) => d.model_slug === attempt.upstreamModel);
        if (!deployment) break;
        return azureCredential(deployment, true);
      }
      case 'bedrock':
        if (this.platformBedrock) return this.platformBedrock;
        break;
      case 'vertex':
        if (this.platformVertex) return this.platformVertex;
        break;
      default:
        return assertNever(attempt.provider, 'provider');
    }
    throw new DomainError('no_provider_available');
  }

  private catalogView(): CatalogView {
    const catalog = this.catalog;
    return {
      get: (id) => catalog.get(id),
      // An admin price for the forced name wins; else the catalogue model served by that endpoint.
      priceOfForced: (provider, upstreamModel) =>
        catalog.get(`${provider}:${upstreamModel}`)?.price ?? catalog.priceOfEndpoint(provider, upstreamModel),
    };
  }
}

function azureCredential(deployment: AzureDeployment, trusted: boolean): ProviderCredential {
  return {
    provider: 'azure',
    apiKey: new Secret(deployment.api_key),
    endpointUrl: deployment.endpoint_url,
    modelId: deployment.model_id,
    trustedUrl: trusted,
  };
}

/** BEDROCK_PLATFORM_CREDENTIALS: an API key string, or AWS credentials (or `{apiKey, region}`) as JSON. */
function parsePlatformBedrock(raw: string | undefined, endpointUrl: string | null): ProviderCredential | null {
  if (!raw) return null;
  const trimmed = raw.trim();
  let value: unknown = trimmed;
  if (trimmed.startsWith('{')) {
    try {
      value = JSON.parse(trimmed);
    } catch {
      throw new Error('Invalid configuration: BEDROCK_PLATFORM_CREDENTIALS is not valid JSON');
    }
  }
  const parsed = bedrockSecret.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `Invalid configuration: BEDROCK_PLATFORM_CREDENTIALS ${issue ? `${issue.path.join('.')} ${issue.message}` : 'is invalid'}`,
    );
  }
  try {
    return bedrockCredentialFromSecret(parsed.data, endpointUrl);
  } catch {
    throw new Error('Invalid configuration: BEDROCK_PLATFORM_CREDENTIALS region is not a region where Bedrock is offered');
  }
}

/** VERTEX_PLATFORM_SERVICE_ACCOUNT: the platform's service-account JSON (its token_uri is the operator's, trusted). */
function parsePlatformVertex(raw: string | undefined, endpointUrl: string | null): ProviderCredential | null {
  if (!raw) return null;
  const parsed = vertexSecret.safeParse(JSON.parse(raw));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `Invalid configuration: VERTEX_PLATFORM_SERVICE_ACCOUNT ${issue ? `${issue.path.join('.')} ${issue.message}` : 'is invalid'}`,
    );
  }
  return vertexCredentialFromSecret(parsed.data, { endpointUrl, trustedTokenUri: true });
}

function parsePlatformAzure(raw: string | undefined): readonly AzureDeployment[] {
  if (!raw) return [];
  const parsed = azureSecret.safeParse(JSON.parse(raw));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `Invalid configuration: AZURE_PLATFORM_CONFIG ${issue ? `${issue.path.join('.')} ${issue.message}` : 'is invalid'}`,
    );
  }
  return parsed.data;
}

/** Choices that carry nothing yet: no content, tool call, refusal or finish reason (a role announcement). */
function isPreamble(choices: readonly JsonObject[]): boolean {
  return choices.every((choice) => {
    const delta = choice['delta'] as JsonObject;
    const content = delta['content'];
    return (
      (content === undefined || content === null || content === '') &&
      delta['tool_calls'] === undefined &&
      delta['function_call'] === undefined &&
      (delta['refusal'] === undefined || delta['refusal'] === null) &&
      (choice['finish_reason'] === undefined || choice['finish_reason'] === null)
    );
  });
}

function pushTrail(state: RunState, attempt: Attempt, outcome: AttemptRecord['outcome'], status: number | null): void {
  state.trail.push({
    provider: attempt.provider,
    model: attempt.model,
    byok: attempt.credential.kind === 'byok',
    outcome,
    status,
    ...(state.dropped.length > 0 ? { dropped: [...state.dropped] } : {}),
  });
}

function timeoutFailure(): UpstreamError {
  return { kind: 'timeout', status: null, message: 'upstream did not answer in time', retryAfterSeconds: null };
}

function attemptModel(state: RunState, fallback: string): string {
  return state.served?.model ?? fallback;
}

function planError(error: PlanError): DomainError {
  switch (error.kind) {
    case 'bad_request':
      return DomainError.validation(error.field, error.message);
    case 'unknown_model':
      return new DomainError('not_found', { message: `Unknown model: ${error.model}`, metadata: { model: error.model } });
    case 'no_price':
      return new DomainError('not_found', {
        message: `No price is known for ${error.model}; it can run only on your own provider key.`,
        metadata: { model: error.model },
      });
    case 'no_provider':
      return new DomainError('no_provider_available', {
        message: `No provider is available for ${error.model}: ${error.reason}`,
        metadata: { model: error.model },
      });
    default:
      return assertNever(error, 'plan error');
  }
}

/** What the client gets when every attempt failed (SPEC section 5's statuses). */
function finalError(last: UpstreamError | undefined, trail: readonly AttemptRecord[]): DomainError {
  const metadata = {
    attempts: trail.map((a) => ({ provider: a.provider, model: a.model, outcome: a.outcome, status: a.status })),
  };
  if (!last) return new DomainError('no_provider_available', { metadata });
  switch (last.kind) {
    case 'timeout':
      return new DomainError('upstream_timeout', { metadata });
    case 'rate_limited':
      return new DomainError('rate_limited', {
        message: 'The upstream provider is rate limiting. Retry later.',
        metadata,
        // SPEC: a 429 carries Retry-After; an upstream that named no delay gets the shortest one.
        headers: { 'Retry-After': String(last.retryAfterSeconds ?? 1) },
      });
    case 'client': {
      // SPEC: an upstream's other 4xx goes back as it is, with its status.
      const code = clientCode(last.status);
      return new DomainError(code, {
        message: last.message,
        metadata: { ...metadata, provider_error: last.body ?? null },
        ...(code === 'upstream_refused' && last.status !== null ? { status: last.status } : {}),
      });
    }
    case 'auth':
    case 'server':
    case 'not_found':
    case 'connection':
      return new DomainError('upstream_failed', { message: `The upstream provider failed: ${last.message}`, metadata });
    default:
      return assertNever(last.kind, 'failure kind');
  }
}

function clientCode(status: number | null): 'bad_request' | 'payload_too_large' | 'unsupported_media_type' | 'upstream_refused' {
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status !== null && status >= 400 && status <= 499) return 'upstream_refused';
  return 'bad_request';
}

/** Characters of content and tool-call arguments in a whole completion's choices. */
function deliveredCharsOf(completion: JsonObject): number {
  const choices = completion['choices'];
  if (!Array.isArray(choices)) return 0;
  let chars = 0;
  for (const choice of choices as unknown[]) {
    if (typeof choice !== 'object' || choice === null) continue;
    const message = (choice as JsonObject)['message'];
    if (typeof message !== 'object' || message === null) continue;
    const { content, tool_calls: toolCalls } = message as JsonObject;
    if (typeof content === 'string') chars += content.length;
    if (Array.isArray(toolCalls)) {
      for (const call of toolCalls as unknown[]) {
        const args = (call as { function?: { arguments?: unknown } } | null)?.function?.arguments;
        if (typeof args === 'string') chars += args.length;
      }
    }
  }
  return chars;
}
