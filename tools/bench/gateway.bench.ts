import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { Agent, request } from 'undici';
import { MOCK_PATH } from './mock-upstream';
import { summarize } from './stats';

const PG_ROOT = 'postgresql://postgres@127.0.0.1:5432';
const REDIS_URL = 'redis://127.0.0.1:6379';
const CONNECTIONS = [1, 16, 64] as const;
const MODES = ['non-stream', 'stream'] as const;
const GATEWAY_SECONDS = 8;
const DIRECT_SECONDS = 5;
const WARMUP_SECONDS = 3;
const TTFB_REQUESTS = 500;
const TTFB_WARMUP = 50;
const MODEL = 'openai/gpt-4o-mini';
const MB = 1e6;

type Mode = (typeof MODES)[number];
type Summary = ReturnType<typeof summarize>;

export interface LoadStats {
  /** autocannon's mean of requests per second. */
  readonly rps: number;
  /** 2xx responses. */
  readonly ok: number;
  /** Latency of 2xx responses in ms, from each response's own timing (sub-millisecond). */
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  /** Connection errors, timeouts included. */
  readonly errors: number;
  readonly timeouts: number;
}

export interface LoadRow {
  readonly mode: Mode;
  readonly connections: number;
  readonly gateway: LoadStats;
  readonly direct: LoadStats;
  /** Highest VmRSS of the gateway process sampled during this run. */
  readonly peakRssMb: number;
  /** CPU time of the gateway process (all threads, the in-process worker included) per 2xx answer, ms. */
  readonly cpuMsPerRequest: number;
  /** Share of one core the gateway process used during the run, %. */
  readonly cpuPercent: number;
}

export interface GatewayBenchResult {
  /** 1-minute load average when the section started: other work on the machine skews every number. */
  readonly loadAverage: number;
  readonly rows: readonly LoadRow[];
  /** Streaming: time from sending the request to the first body byte, ms. */
  readonly ttfb: { readonly gateway: Summary; readonly direct: Summary };
  readonly idleRssMb: number;
  readonly peakRssMb: number;
  /** VmHWM at the end: the kernel's own peak, which catches spikes between samples. */
  readonly hwmMb: number;
  readonly generations: {
    /** 2xx answers the bench received from the gateway's /v1/chat/completions. */
    readonly served: number;
    readonly written: number;
    readonly byStatus: Readonly<Record<string, number>>;
    /** Requests still in flight when autocannon stopped a run: served by the gateway, never counted by the client. */
    readonly inFlightAllowance: number;
    readonly matched: boolean;
    readonly drainMs: number;
    /** Largest backlog of the Redis generations stream sampled during the load. */
    readonly peakBacklog: number;
  };
}

interface Child {
  readonly process: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<void>;
}

const log = (line: string) => process.stderr.write(`[gateway bench] ${line}\n`);

/** Starts a child process and resolves with the first stdout line matching `ready`. */
async function startChild(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  timeoutMs: number,
): Promise<{ child: Child; match: RegExpMatchArray }> {
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const child: Child = { process: proc, lines, exited };
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in time:\n${lines.join('\n')}`)), timeoutMs);
    const collect = (stream: NodeJS.ReadableStream | null, check: boolean) => {
      let pending = '';
      // Always drained: a full pipe would block the child.
      stream?.on('data', (data: Buffer) => {
        pending += data.toString('utf8');
        const parts = pending.split('\n');
        pending = parts.pop() ?? '';
        for (const line of parts) {
          lines.push(line);
          if (lines.length > 200) lines.shift();
          const found = check ? ready.exec(line) : null;
          if (found) {
            clearTimeout(timer);
            resolve(found);
          }
        }
      });
    };
    collect(proc.stdout, true);
    collect(proc.stderr, false);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${String(code)}) before it was ready:\n${lines.join('\n')}`));
    });
  });
  return { child, match };
}

async function stopChild(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const killed = setTimeout(() => child.process.kill('SIGKILL'), 10_000);
  await child.exited;
  clearTimeout(killed);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Reads one field of /proc/<pid>/status in MB (the kernel reports kB = KiB). */
function procMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
  return kb ? (Number(kb) * 1024) / MB : 0;
}

/** User + system CPU seconds of a process so far (/proc/<pid>/stat; USER_HZ is 100 on Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Samples the gateway's RSS every 100 ms and the generations backlog every 250 ms. */
class Sampler {
  private runPeak = 0;
  private overallPeak = 0;
  private backlogPeak = 0;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly pid: number,
    private readonly redis: Redis,
    private readonly stream: string,
  ) {}

  start(): void {
    this.timers.push(setInterval(() => this.sampleRss(), 100));
    let busy = false;
    this.timers.push(
      setInterval(() => {
        if (busy) return;
        busy = true;
        this.redis
          .xlen(this.stream)
          .then((length) => (this.backlogPeak = Math.max(this.backlogPeak, length)))
          .catch(() => undefined)
          .finally(() => (busy = false));
      }, 250),
    );
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
  }

  /** The peak since the last call, then starts a new window. */
  takeRunPeak(): number {
    this.sampleRss();
    const peak = this.runPeak;
    this.runPeak = 0;
    return peak;
  }

  get peak(): number {
    return this.overallPeak;
  }

  get backlog(): number {
    return this.backlogPeak;
  }

  private sampleRss(): void {
    try {
      const rss = procMb(this.pid, 'VmRSS');
      this.runPeak = Math.max(this.runPeak, rss);
      this.overallPeak = Math.max(this.overallPeak, rss);
    } catch {
      // The process is gone; the run will fail on its own.
    }
  }
}

interface Target {
  readonly url: string;
  readonly headers: Record<string, string>;
}

function chatBody(mode: Mode): string {
  return JSON.stringify({
    model: MODEL,
    messages: [{ role: 'user', content: 'hi' }],
    ...(mode === 'stream' ? { stream: true } : {}),
  });
}

async function load(target: Target, mode: Mode, connections: number, seconds: number): Promise<LoadStats> {
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        method: 'POST',
        headers: target.headers,
        body: chatBody(mode),
        connections,
        duration: seconds,
        pipelining: 1,
        timeout: 10,
      },
      (error: unknown, done: autocannon.Result) => {
        if (error) reject(error instanceof Error ? error : new Error('autocannon failed'));
        else resolve(done);
      },
    );
    // autocannon's own histogram keeps whole milliseconds; the event carries the exact time.
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
  const stats = summarize(latencies);
  return {
    rps: result.requests.average,
    ok: result['2xx'],
    p50: stats.p50,
    p99: stats.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** Sequential streaming requests on one keep-alive connection: send → first body byte, in ms. */
async function timeToFirstByte(target: Target): Promise<Summary> {
  const agent = new Agent({ connections: 1, keepAliveTimeout: 30_000 });
  const body = chatBody('stream');
  const samples: number[] = [];
  try {
    for (let i = 0; i < TTFB_REQUESTS + TTFB_WARMUP; i++) {
      const start = process.hrtime.bigint();
      const response = await request(target.url, { method: 'POST', headers: target.headers, body, dispatcher: agent });
      let first = 0;
      let bytes = 0;
      for await (const part of response.body) {
        if (bytes === 0) first = Number(process.hrtime.bigint() - start) / 1e6;
        bytes += (part as Buffer).length;
      }
      if (response.statusCode !== 200 || bytes === 0) throw new Error(`TTFB request got ${String(response.statusCode)}`);
      if (i >= TTFB_WARMUP) samples.push(first);
    }
  } finally {
    await agent.close();
  }
  return summarize(samples);
}

async function call(
  base: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; text: string; json: Record<string, unknown> }> {
  const response = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) json = parsed as Record<string, unknown>;
  } catch {
    // SSE or not JSON: the caller reads `text`.
  }
  if (response.status < 200 || response.status >= 300) throw new Error(`${path} answered ${String(response.status)}: ${text}`);
  return { status: response.status, text, json };
}

/** Signs up a tenant, makes a gateway key with vault access and stores a BYOK OpenRouter key. */
async function provision(base: string): Promise<string> {
  const signup = await call(base, '/api/auth/signup', { email: 'bench@example.com', password: 'bench-password-123' });
  const token = String(signup.json['token']);
  const key = await call(base, '/api/keys', { name: 'bench', vaultAccess: { recoveryKey: signup.json['recoveryKey'] } }, token);
  await call(base, '/api/provider-keys', { provider: 'openrouter', secret: 'sk-or-bench' }, token);
  return String(key.json['key']);
}

/** One request per mode before any load: 200, and served on the tenant's own (BYOK) key. */
async function verify(base: string, key: string): Promise<void> {
  const plain = await call(base, '/v1/chat/completions', chatBody('non-stream'), key);
  const usage = plain.json['usage'];
  if (typeof usage !== 'object' || usage === null || !('is_byok' in usage) || usage.is_byok !== true) {
    throw new Error(`the gateway did not serve on the BYOK key: ${plain.text}`);
  }
  const streamed = await call(base, '/v1/chat/completions', chatBody('stream'), key);
  if (!streamed.text.includes('"is_byok":true') || !streamed.text.includes('data: [DONE]')) {
    throw new Error(`unexpected stream from the gateway: ${streamed.text}`);
  }
}

/** Polls Postgres until the in-process writer has moved every record out of Redis. */
async function awaitGenerations(
  databaseUrl: string,
  expected: number,
): Promise<{ written: number; byStatus: Record<string, number>; drainMs: number }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const started = Date.now();
  try {
    let last = -1;
    let stableSince = Date.now();
    for (;;) {
      const { rows } = await client.query<{ status: string; n: string }>(
        'SELECT status, count(*) AS n FROM generations GROUP BY status',
      );
      const byStatus = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
      const written = rows.reduce((sum, r) => sum + Number(r.n), 0);
      if (written !== last) {
        last = written;
        stableSince = Date.now();
      }
      const stableMs = Date.now() - stableSince;
      // The writer blocks for up to 1 s between batches: 3 s without growth means it is done.
      if ((written >= expected && stableMs >= 1_000) || stableMs >= 3_000 || Date.now() - started > 60_000) {
        return { written, byStatus, drainMs: stableSince - started };
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await client.end();
  }
}

async function dropDatabase(database: string): Promise<void> {
  const admin = new Client({ connectionString: `${PG_ROOT}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/**
 * The whole /v1/chat/completions path under load: the production build in a child process
 * (gateway-key auth, vault decrypt of a BYOK key, routing, upstream call over the keep-alive pool,
 * usage, a generation record through Redis into Postgres), against a cheap mock upstream in a
 * second process, driven by autocannon from this one; the same load against the mock directly is
 * the baseline that "added latency" subtracts.
 */
export async function benchGateway(): Promise<GatewayBenchResult> {
  const root = join(__dirname, '../..');
  const loadAverage = loadavg()[0] ?? 0;
  const build = spawnSync(process.execPath, [join(root, 'tools/build.js')], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}${build.stdout}`);
  log(build.stdout.trim());

  const id = randomBytes(4).toString('hex');
  const database = `gw_bench_${id}`;
  const databaseUrl = `${PG_ROOT}/${database}`;
  const prefix = `gwbench:${id}:`;
  const scratch = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  const children: Child[] = [];
  let sampler: Sampler | undefined;
  try {
    const mock = await startChild(
      'mock upstream',
      [join(root, 'tools/run-ts.js'), join(root, 'tools/bench/mock-upstream.main.ts')],
      process.env,
      /^port=(\d+)$/,
      30_000,
    );
    children.push(mock.child);
    const mockPort = Number(mock.match[1]);

    const port = await freePort();
    const gateway = await startChild(
      'gateway',
      [join(root, 'dist/apps/api/src/main.js')],
      {
        PATH: process.env['PATH'] ?? '',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl,
        REDIS_URL,
        REDIS_PREFIX: prefix,
        LOG_LEVEL: 'warn',
        ENV_FILE: join(scratch, 'env.local'),
        SERVER_PEPPER: randomBytes(30).toString('base64url'),
        OPENROUTER_BASE_URL: `http://127.0.0.1:${String(mockPort)}/api/v1`,
        OPENROUTER_API_KEY: 'bench-platform',
        ADMIN_EMAIL: 'bench-admin@example.com',
        ADMIN_PASSWORD: 'bench-admin-password',
        NODE_ENV: 'production',
        WORKER: 'on',
      },
      /^Dashboard:/,
      120_000,
    );
    children.push(gateway.child);
    const pid = gateway.child.process.pid;
    if (pid === undefined) throw new Error('the gateway has no pid');
    log(`gateway pid ${String(pid)} on port ${String(port)}, mock upstream on ${String(mockPort)}, database ${database}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const idleRssMb = procMb(pid, 'VmRSS');

    const base = `http://127.0.0.1:${String(port)}`;
    const key = await provision(base);
    await verify(base, key);
    let served = 2;
    let inFlightAllowance = 0;

    const gatewayTarget: Target = {
      url: `${base}/v1/chat/completions`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    };
    const directTarget: Target = {
      url: `http://127.0.0.1:${String(mockPort)}${MOCK_PATH}`,
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-or-bench' },
    };

    sampler = new Sampler(pid, redis, `${prefix}stream:generations`);
    sampler.start();
    for (const mode of MODES) {
      log(`warm-up (${mode})`);
      const warm = await load(gatewayTarget, mode, 16, WARMUP_SECONDS);
      served += warm.ok;
      inFlightAllowance += 16;
      await load(directTarget, mode, 16, 1);
    }
    sampler.takeRunPeak();

    const rows: LoadRow[] = [];
    for (const mode of MODES) {
      for (const connections of CONNECTIONS) {
        log(`${mode}, ${String(connections)} connection(s)`);
        const direct = await load(directTarget, mode, connections, DIRECT_SECONDS);
        sampler.takeRunPeak();
        const cpuBefore = cpuSeconds(pid);
        const started = process.hrtime.bigint();
        const viaGateway = await load(gatewayTarget, mode, connections, GATEWAY_SECONDS);
        const cpu = cpuSeconds(pid) - cpuBefore;
        const wall = Number(process.hrtime.bigint() - started) / 1e9;
        served += viaGateway.ok;
        inFlightAllowance += connections;
        rows.push({
          mode,
          connections,
          gateway: viaGateway,
          direct,
          peakRssMb: sampler.takeRunPeak(),
          cpuMsPerRequest: (cpu * 1000) / Math.max(1, viaGateway.ok),
          cpuPercent: (cpu / wall) * 100,
        });
      }
    }

    log('time to first byte');
    const ttfb = { gateway: await timeToFirstByte(gatewayTarget), direct: await timeToFirstByte(directTarget) };
    served += TTFB_REQUESTS + TTFB_WARMUP;

    log('waiting for the generation records');
    const records = await awaitGenerations(databaseUrl, served);
    sampler.stop();
    const hwmMb = procMb(pid, 'VmHWM');
    const ok = records.byStatus['ok'] ?? 0;
    return {
      loadAverage,
      rows,
      ttfb,
      idleRssMb,
      peakRssMb: sampler.peak,
      hwmMb,
      generations: {
        served,
        written: records.written,
        byStatus: records.byStatus,
        inFlightAllowance,
        matched: ok >= served && records.written - served <= inFlightAllowance,
        drainMs: records.drainMs,
        peakBacklog: sampler.backlog,
      },
    };
  } finally {
    sampler?.stop();
    for (const child of children.reverse()) await stopChild(child);
    await dropDatabase(database).catch((error: unknown) => log(`could not drop ${database}: ${String(error)}`));
    await deleteKeys(redis, prefix).catch((error: unknown) => log(`could not delete ${prefix}*: ${String(error)}`));
    redis.disconnect();
    rmSync(scratch, { recursive: true, force: true });
  }
}

const ms = (x: number) => x.toFixed(2);
const mb = (x: number) => x.toFixed(0);
const verdict = (met: boolean) => (met ? 'met' : 'NOT met');

/** The Markdown section for the report, in the vault section's style. */
export function gatewayReport(result: GatewayBenchResult): string[] {
  const lines = [
    '## Gateway: /v1/chat/completions, full path, mock upstream (ms, MB)',
    '',
    `Load average (1 min) when the section started: ${result.loadAverage.toFixed(2)}.`,
    '',
    '| mode | conns | req/s | p50 | p99 | direct req/s | direct p50 | direct p99 | added p50 | added p99 | CPU ms/req | CPU % | peak RSS | non-2xx | errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of result.rows) {
    const g = row.gateway;
    const d = row.direct;
    lines.push(
      `| ${row.mode} | ${String(row.connections)} | ${g.rps.toFixed(0)} | ${ms(g.p50)} | ${ms(g.p99)} | ${d.rps.toFixed(0)} | ${ms(d.p50)} | ${ms(d.p99)} | ${ms(g.p50 - d.p50)} | ${ms(g.p99 - d.p99)} | ${ms(row.cpuMsPerRequest)} | ${row.cpuPercent.toFixed(0)} | ${mb(row.peakRssMb)} | ${String(g.non2xx)} | ${String(g.errors)} |`,
    );
  }
  const { gateway, direct } = result.ttfb;
  lines.push(
    '',
    '| streaming, time to first body byte (sequential, one connection) | n | p50 | p90 | p99 | max |',
    '|---|---|---|---|---|---|',
    `| gateway | ${String(gateway.n)} | ${ms(gateway.p50)} | ${ms(gateway.p90)} | ${ms(gateway.p99)} | ${ms(gateway.max)} |`,
    `| mock directly | ${String(direct.n)} | ${ms(direct.p50)} | ${ms(direct.p90)} | ${ms(direct.p99)} | ${ms(direct.max)} |`,
    '',
  );
  const gen = result.generations;
  const statuses = Object.entries(gen.byStatus)
    .map(([status, n]) => `${status} ${String(n)}`)
    .join(', ');
  lines.push(
    `Gateway RSS: idle ${mb(result.idleRssMb)} MB after start, peak ${mb(result.peakRssMb)} MB sampled, VmHWM ${mb(result.hwmMb)} MB.`,
    `Generation records: ${String(gen.written)} in Postgres (${statuses}) for ${String(gen.served)} 2xx answers received ` +
      `(up to ${String(gen.inFlightAllowance)} more may come from requests in flight when a run stopped): ` +
      `${gen.matched ? 'every answer recorded' : 'MISMATCH'}; drained ${(gen.drainMs / 1000).toFixed(1)} s after the load, ` +
      `peak Redis backlog ${String(gen.peakBacklog)}.`,
    '',
  );
  const find = (mode: Mode, connections: number) => result.rows.find((r) => r.mode === mode && r.connections === connections);
  const at16 = find('non-stream', 16);
  const at1 = find('non-stream', 1);
  const failures = result.rows.reduce((sum, r) => sum + r.gateway.non2xx + r.gateway.errors, 0);
  const rps16 = at16?.gateway.rps ?? 0;
  const added1 = at1 ? at1.gateway.p50 - at1.direct.p50 : Infinity;
  const added16 = at16 ? at16.gateway.p99 - at16.direct.p99 : Infinity;
  lines.push(
    'Targets:',
    `- at least 5,000 req/s non-streaming at 16 connections: ${rps16.toFixed(0)}, ${verdict(rps16 >= 5000)}.`,
    `- added p50 under 0.5 ms at 1 connection (non-streaming): ${ms(added1)} ms, ${verdict(added1 < 0.5)}.`,
    `- added p99 under 5 ms at 16 connections (non-streaming): ${ms(added16)} ms, ${verdict(added16 < 5)}.`,
    `- idle RSS under 150 MB: ${mb(result.idleRssMb)} MB, ${verdict(result.idleRssMb < 150)}.`,
    `- no errors: ${String(failures)} non-2xx or connection errors, records ${gen.matched ? 'complete' : 'incomplete'}, ${verdict(failures === 0 && gen.matched)}.`,
  );
  return lines;
}
