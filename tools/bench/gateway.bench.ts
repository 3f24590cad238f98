import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
  /** Requests per second over the run (wrk's count over its duration, or autocannon's mean). */
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
  /** Share of one core the gateway process used during the run, %. */
  readonly cpuPercent: number;
  /** `gateway`: CPU time of the gateway process (all threads, the in-process worker included) per 2xx answer, ms. */
  readonly cpu: CpuSplit;
}

/** The same non-streaming load on API_WORKERS=2 (a main process and two HTTP workers). */
export interface ScalingRow {
  readonly connections: number;
  readonly gateway: LoadStats;
  /** The mock measured directly in the main rows, at the same connection count. */
  readonly direct: LoadStats;
  readonly cpu: CpuSplit;
}

const SCALING_WORKERS = 2;
const SCALING_CONNECTIONS = [16, 64] as const;

/**
 * The same non-streaming load on the production layout that keeps batch work off the API's event
 * loop: the API with WORKER=off and the generation writer and jobs in their own process
 * (`npm run start:worker`), both on this machine's two cores.
 */
export interface SplitRow {
  readonly connections: number;
  readonly gateway: LoadStats;
  /** The mock measured directly in the main rows, at the same connection count. */
  readonly direct: LoadStats;
  /** `gateway` is the API process alone. */
  readonly cpu: CpuSplit;
  /** CPU of the worker process per 2xx answer, ms. */
  readonly workerCpuMs: number;
}

/** Child process ids of `pid` (a cluster's workers). */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${String(pid)}/task/${String(pid)}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

export interface GatewayBenchResult {
  /** 1-minute load average when the section started: other work on the machine skews every number. */
  readonly loadAverage: number;
  readonly rows: readonly LoadRow[];
  readonly scaling: readonly ScalingRow[];
  readonly split: readonly SplitRow[];
  /** RSS of the clustered gateway's processes together, after start. */
  readonly scalingIdleRssMb: number;
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
    /** Requests still in flight when the load generator stopped a run: served by the gateway, never counted by the client. */
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

/** CPU seconds (user + system) of every process whose command name is `comm` (redis-server, postgres). */
function cpuSecondsOf(comm: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== comm) continue;
      total += cpuSeconds(Number(entry));
    } catch {
      // The process ended while the list was read.
    }
  }
  return total;
}

/** CPU seconds of this process's children that have exited and been reaped (each wrk run). */
function reapedChildrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** The machine's CPU seconds since boot from /proc/stat: busy (all non-idle), steal, and all. */
function machineCpu(): { busy: number; steal: number; total: number } {
  const values = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = values;
  return {
    busy: (user + nice + system + irq + softirq) / 100,
    steal: steal / 100,
    total: (user + nice + system + idle + iowait + irq + softirq + steal) / 100,
  };
}

/** Where the machine's CPU went during one row, per 2xx answer. */
export interface CpuSplit {
  readonly gateway: number;
  readonly redis: number;
  readonly postgres: number;
  readonly mock: number;
  readonly loadGenerator: number;
  /** Everything the machine did, in ms per answer. */
  readonly machine: number;
  /** Time the hypervisor gave the vCPUs to someone else, in ms per answer. */
  readonly steal: number;
  /** Share of the machine's CPU time that was idle, %. */
  readonly idlePercent: number;
}

class CpuMeter {
  private start: Record<string, number> = {};

  constructor(
    private readonly gatewayPids: () => readonly number[],
    private readonly mockPid: number,
  ) {}

  begin(): void {
    this.start = this.read();
  }

  /** Since begin(), per answer. */
  end(answers: number): CpuSplit {
    const now = this.read();
    const per = (name: string) => ((now[name] ?? 0) - (this.start[name] ?? 0)) * (1000 / Math.max(1, answers));
    const total = (now['total'] ?? 0) - (this.start['total'] ?? 0);
    const idle = total - ((now['busy'] ?? 0) - (this.start['busy'] ?? 0)) - ((now['steal'] ?? 0) - (this.start['steal'] ?? 0));
    return {
      gateway: per('gateway'),
      redis: per('redis'),
      postgres: per('postgres'),
      mock: per('mock'),
      loadGenerator: per('loadGenerator'),
      machine: per('busy'),
      steal: per('steal'),
      idlePercent: total > 0 ? (100 * idle) / total : 0,
    };
  }

  private read(): Record<string, number> {
    const machine = machineCpu();
    return {
      gateway: this.gatewayPids().reduce((sum, pid) => sum + cpuSeconds(pid), 0),
      mock: cpuSeconds(this.mockPid),
      redis: cpuSecondsOf('redis-server'),
      postgres: cpuSecondsOf('postgres'),
      // wrk runs are reaped children of this process; autocannon runs inside it.
      loadGenerator: WRK ? reapedChildrenCpuSeconds() : cpuSeconds(process.pid),
      ...machine,
    };
  }
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

/** wrk (C, from Debian's packages) when installed: it costs the shared cores far less than autocannon. */
const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((path) => existsSync(path)) ?? null;
export const LOAD_GENERATOR = WRK ? 'wrk' : 'autocannon';

async function load(target: Target, mode: Mode, connections: number, seconds: number): Promise<LoadStats> {
  return WRK ? loadWithWrk(WRK, target, mode, connections, seconds) : loadWithAutocannon(target, mode, connections, seconds);
}

/** A Lua long string that cannot be closed by the text inside it. */
function luaString(text: string): string {
  let level = '';
  while (text.includes(`]${level}]`)) level += '=';
  return `[${level}[${text}]${level}]`;
}

/**
 * One wrk run in a child process (one thread). The script sets the request and prints the run's
 * summary as JSON; latencies are wrk's per-request timings in microseconds.
 */
async function loadWithWrk(wrk: string, target: Target, mode: Mode, connections: number, seconds: number): Promise<LoadStats> {
  const script = join(mkdtempSync(join(tmpdir(), 'gw-wrk-')), 'post.lua');
  const headers = Object.entries(target.headers)
    .map(([name, value]) => `wrk.headers[ ${luaString(name)} ] = ${luaString(value)}`)
    .join('\n');
  writeFileSync(
    script,
    `wrk.method = "POST"
wrk.body = ${luaString(chatBody(mode))}
${headers}
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {"requests":%d,"duration":%d,"p50":%d,"p99":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout))
end
`,
  );
  try {
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        wrk,
        ['-t1', `-c${String(connections)}`, `-d${String(seconds)}s`, '--timeout', '10s', '-s', script, target.url],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${String(code)}: ${text}`))));
    });
    const line = /^WRK (\{.*\})$/m.exec(output)?.[1];
    if (!line) throw new Error(`wrk printed no summary: ${output}`);
    const r = JSON.parse(line) as Record<string, number>;
    const count = (name: string) => r[name] ?? 0;
    const requests = count('requests');
    return {
      rps: requests / (count('duration') / 1e6),
      ok: requests - count('status'),
      p50: count('p50') / 1000,
      p99: count('p99') / 1000,
      non2xx: count('status'),
      errors: count('connect') + count('read') + count('write') + count('timeout'),
      timeouts: count('timeout'),
    };
  } finally {
    rmSync(dirname(script), { recursive: true, force: true });
  }
}

async function loadWithAutocannon(target: Target, mode: Mode, connections: number, seconds: number): Promise<LoadStats> {
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

/** Ends a BENCH_HOLD run: the bench cleans up and exits without measuring. */
export class HoldEnded extends Error {}

/**
 * BENCH_HOLD=1: keeps the provisioned gateway and mock running for load of one's own (a profiler,
 * another load generator) and prints how to reach them, the gateway key as a file readable only by
 * its owner (a key is never printed); Ctrl-C (or SIGTERM) stops them, cleans up and ends the bench
 * without a report.
 */
async function hold(base: string, key: string, mockPort: number, scratch: string): Promise<never> {
  const keyFile = join(scratch, 'gateway-key');
  writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
  process.stdout.write(
    `gateway ${base}/v1/chat/completions\nkey file ${keyFile}\nmock http://127.0.0.1:${String(mockPort)}${MOCK_PATH}\nbody ${chatBody('non-stream')}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  throw new HoldEnded('held run stopped');
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
 * The gateway's node flags: those `npm start` runs it with (package.json's start script, so the
 * bench measures what users run), then BENCH_GATEWAY_FLAGS (`--cpu-prof --cpu-prof-dir=/tmp/prof`;
 * V8 takes the last value of a flag given twice, so `--max-semi-space-size=16` there wins).
 */
function nodeFlags(root: string): string[] {
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts;
  const start = /^node((?:\s+--\S+)*)\s+tools\/start\.js$/.exec(scripts?.['start'] ?? '');
  if (!start) throw new Error(`package.json's start script is not "node [--flags] tools/start.js": ${scripts?.['start'] ?? ''}`);
  const extra = (process.env['BENCH_GATEWAY_FLAGS'] ?? '').split(/\s+/);
  return [...(start[1] ?? '').split(/\s+/), ...extra].filter(Boolean);
}

/** The separate-worker rows: the non-streaming connection counts BENCH_ROWS asks for. */
function wantedSplit(): number[] {
  return CONNECTIONS.filter((connections) => wanted('non-stream', connections));
}

/** BENCH_ROWS: only these rows (`non-stream:16,stream:1`); all when unset. */
function wanted(mode: Mode, connections: number): boolean {
  const rows = (process.env['BENCH_ROWS'] ?? '').split(',').filter(Boolean);
  return rows.length === 0 || rows.includes(`${mode}:${String(connections)}`);
}

/**
 * The whole /v1/chat/completions path under load: the production build in a child process
 * (gateway-key auth, vault decrypt of a BYOK key, routing, upstream call over the keep-alive pool,
 * usage, a generation record through Redis into Postgres), against a cheap mock upstream in a
 * second process, driven by wrk (or autocannon when wrk is not installed); the same load against the mock directly is
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
  const splitPrefix = `gwbench:${id}-split:`;
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
    const pepper = randomBytes(30).toString('base64url');
    const gatewayEnv = (listenOn: number): NodeJS.ProcessEnv => ({
      PATH: process.env['PATH'] ?? '',
      PORT: String(listenOn),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      ENV_FILE: join(scratch, 'env.local'),
      SERVER_PEPPER: pepper,
      OPENROUTER_BASE_URL: `http://127.0.0.1:${String(mockPort)}/api/v1`,
      OPENROUTER_API_KEY: 'bench-platform',
      ADMIN_EMAIL: 'bench-admin@example.com',
      ADMIN_PASSWORD: 'bench-admin-password',
      NODE_ENV: 'production',
      WORKER: 'on',
    });
    const gateway = await startChild(
      'gateway',
      [...nodeFlags(root), join(root, 'dist/apps/api/src/main.js')],
      gatewayEnv(port),
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
    if (process.env['BENCH_HOLD'] === '1') await hold(base, key, mockPort, scratch);
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

    const mockPid = mock.child.process.pid;
    if (mockPid === undefined) throw new Error('the mock upstream has no pid');
    const meter = new CpuMeter(() => [pid], mockPid);
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
        if (!wanted(mode, connections)) continue;
        log(`${mode}, ${String(connections)} connection(s)`);
        const direct = await load(directTarget, mode, connections, DIRECT_SECONDS);
        sampler.takeRunPeak();
        meter.begin();
        const started = process.hrtime.bigint();
        const viaGateway = await load(gatewayTarget, mode, connections, GATEWAY_SECONDS);
        const split = meter.end(viaGateway.ok);
        const wall = Number(process.hrtime.bigint() - started) / 1e9;
        served += viaGateway.ok;
        inFlightAllowance += connections;
        rows.push({
          mode,
          connections,
          gateway: viaGateway,
          direct,
          peakRssMb: sampler.takeRunPeak(),
          // ms per answer times answers is the process's CPU ms over the run.
          cpuPercent: (split.gateway * Math.max(1, viaGateway.ok)) / (wall * 10),
          cpu: split,
        });
      }
    }

    log('time to first byte');
    const ttfb = { gateway: await timeToFirstByte(gatewayTarget), direct: await timeToFirstByte(directTarget) };
    served += TTFB_REQUESTS + TTFB_WARMUP;

    const scaling: ScalingRow[] = [];
    let scalingIdleRssMb = 0;
    if (process.env['BENCH_WORKERS'] !== '0') {
      log(`non-stream with API_WORKERS=${String(SCALING_WORKERS)}`);
      const clusterPort = await freePort();
      const cluster = await startChild(
        'gateway (workers)',
        [...nodeFlags(root), join(root, 'dist/apps/api/src/main.js')],
        { ...gatewayEnv(clusterPort), API_WORKERS: String(SCALING_WORKERS), ENV_FILE: join(scratch, 'env-workers.local') },
        /^Dashboard:/,
        120_000,
      );
      children.push(cluster.child);
      const main = cluster.child.process.pid;
      if (main === undefined) throw new Error('the clustered gateway has no pid');
      const pids = () => [main, ...childPids(main)];
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      scalingIdleRssMb = pids().reduce((sum, p) => sum + procMb(p, 'VmRSS'), 0);
      const target: Target = { ...gatewayTarget, url: `http://127.0.0.1:${String(clusterPort)}/v1/chat/completions` };
      const warm = await load(target, 'non-stream', 16, WARMUP_SECONDS);
      served += warm.ok;
      inFlightAllowance += 16;
      const clusterMeter = new CpuMeter(pids, mockPid);
      for (const connections of SCALING_CONNECTIONS) {
        const direct = rows.find((r) => r.mode === 'non-stream' && r.connections === connections)?.direct;
        if (!direct) continue;
        log(`non-stream, ${String(connections)} connection(s), API_WORKERS=${String(SCALING_WORKERS)}`);
        clusterMeter.begin();
        const viaCluster = await load(target, 'non-stream', connections, GATEWAY_SECONDS);
        scaling.push({ connections, gateway: viaCluster, direct, cpu: clusterMeter.end(viaCluster.ok) });
        served += viaCluster.ok;
        inFlightAllowance += connections;
      }
      // Its records still in Redis are drained by the first gateway's writer.
      await stopChild(cluster.child);
    }

    const split: SplitRow[] = [];
    if (process.env['BENCH_SPLIT'] !== '0' && wantedSplit().length > 0) {
      log('non-stream with WORKER=off and a separate worker process');
      // A prefix of its own: only the separate worker drains what this API queues.
      const splitEnv = (listenOn: number): NodeJS.ProcessEnv => ({
        ...gatewayEnv(listenOn),
        REDIS_PREFIX: splitPrefix,
        ENV_FILE: join(scratch, 'env-split.local'),
      });
      const worker = await startChild('worker', [join(root, 'dist/apps/worker/src/main.js')], splitEnv(0), /^Worker:/, 120_000);
      children.push(worker.child);
      const splitPort = await freePort();
      const api = await startChild(
        'gateway (WORKER=off)',
        [...nodeFlags(root), join(root, 'dist/apps/api/src/main.js')],
        { ...splitEnv(splitPort), WORKER: 'off' },
        /^Dashboard:/,
        120_000,
      );
      const apiPid = api.child.process.pid;
      const workerPid = worker.child.process.pid;
      if (apiPid === undefined || workerPid === undefined) throw new Error('the split layout has no pids');
      const target: Target = { ...gatewayTarget, url: `http://127.0.0.1:${String(splitPort)}/v1/chat/completions` };
      const warm = await load(target, 'non-stream', 16, WARMUP_SECONDS);
      served += warm.ok;
      inFlightAllowance += 16;
      const splitMeter = new CpuMeter(() => [apiPid], mockPid);
      for (const connections of wantedSplit()) {
        const direct = rows.find((r) => r.mode === 'non-stream' && r.connections === connections)?.direct;
        if (!direct) continue;
        log(`non-stream, ${String(connections)} connection(s), separate worker`);
        const workerBefore = cpuSeconds(workerPid);
        splitMeter.begin();
        const viaSplit = await load(target, 'non-stream', connections, GATEWAY_SECONDS);
        const cpu = splitMeter.end(viaSplit.ok);
        const workerCpuMs = ((cpuSeconds(workerPid) - workerBefore) * 1000) / Math.max(1, viaSplit.ok);
        split.push({ connections, gateway: viaSplit, direct, cpu, workerCpuMs });
        served += viaSplit.ok;
        inFlightAllowance += connections;
      }
      // The worker stays up until the records are counted: it drains what this API queued.
      await stopChild(api.child);
    }

    log('waiting for the generation records');
    const records = await awaitGenerations(databaseUrl, served);
    sampler.stop();
    const hwmMb = procMb(pid, 'VmHWM');
    const ok = records.byStatus['ok'] ?? 0;
    return {
      loadAverage,
      rows,
      scaling,
      split,
      scalingIdleRssMb,
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
    for (const keys of [prefix, splitPrefix])
      await deleteKeys(redis, keys).catch((error: unknown) => log(`could not delete ${keys}*: ${String(error)}`));
    redis.disconnect();
    rmSync(scratch, { recursive: true, force: true });
  }
}

const ms = (x: number) => x.toFixed(2);
const tableRow = (cells: readonly (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
const mb = (x: number) => x.toFixed(0);
const verdict = (met: boolean) => (met ? 'met' : 'NOT met');

/** The Markdown section for the report, in the vault section's style. */
export function gatewayReport(result: GatewayBenchResult): string[] {
  const lines = [
    '## Gateway: /v1/chat/completions, full path, mock upstream (ms, MB)',
    '',
    `Load generator: ${LOAD_GENERATOR}. Load average (1 min) when the section started: ${result.loadAverage.toFixed(2)}.`,
    '',
    '| mode | conns | req/s | p50 | p99 | direct req/s | direct p50 | direct p99 | added p50 | added p99 | CPU ms/req | CPU % | peak RSS | non-2xx | errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of result.rows) {
    const g = row.gateway;
    const d = row.direct;
    lines.push(
      `| ${row.mode} | ${String(row.connections)} | ${g.rps.toFixed(0)} | ${ms(g.p50)} | ${ms(g.p99)} | ${d.rps.toFixed(0)} | ${ms(d.p50)} | ${ms(d.p99)} | ${ms(g.p50 - d.p50)} | ${ms(g.p99 - d.p99)} | ${ms(row.cpu.gateway)} | ${row.cpuPercent.toFixed(0)} | ${mb(row.peakRssMb)} | ${String(g.non2xx)} | ${String(g.errors)} |`,
    );
  }
  lines.push(
    '',
    "Where the machine's CPU went during each gateway row, in ms per 2xx answer (all processes share the 2 cores; steal is time the hypervisor gave the vCPUs to other guests):",
    '',
    '| mode | conns | gateway | Redis | Postgres | mock upstream | load generator | everything else | whole machine | steal | machine idle % |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const row of result.rows) {
    const c = row.cpu;
    const rest = c.machine - c.gateway - c.redis - c.postgres - c.mock - c.loadGenerator;
    lines.push(
      tableRow([
        row.mode,
        row.connections,
        ...[c.gateway, c.redis, c.postgres, c.mock, c.loadGenerator, rest, c.machine, c.steal].map(ms),
        c.idlePercent.toFixed(0),
      ]),
    );
  }
  // The other layouts: one row per connection count, CPU columns of their own.
  const layout = <R extends ScalingRow | SplitRow>(
    title: string,
    cpuColumns: string[],
    rows: readonly R[],
    cpu: (row: R) => number[],
  ) => {
    if (rows.length === 0) return;
    const columns = [
      'conns',
      'req/s',
      'p50',
      'p99',
      'added p50',
      'added p99',
      ...cpuColumns,
      'machine idle %',
      'non-2xx',
      'errors',
    ];
    lines.push('', title, '', tableRow(columns), tableRow(columns.map(() => '---')));
    for (const row of rows) {
      const g = row.gateway;
      const timings = [g.p50, g.p99, g.p50 - row.direct.p50, g.p99 - row.direct.p99, ...cpu(row)];
      lines.push(
        tableRow([row.connections, g.rps.toFixed(0), ...timings.map(ms), row.cpu.idlePercent.toFixed(0), g.non2xx, g.errors]),
      );
    }
  };
  layout(
    `With API_WORKERS=${String(SCALING_WORKERS)} (a main process and ${String(SCALING_WORKERS)} HTTP workers on the same port; their RSS together ${mb(result.scalingIdleRssMb)} MB after start), non-streaming:`,
    ['gateway CPU ms/req (all its processes)', 'whole machine ms/req'],
    result.scaling,
    (row: ScalingRow) => [row.cpu.gateway, row.cpu.machine],
  );
  layout(
    'With `WORKER=off` and the generation writer and jobs in a separate worker process (`npm run start:worker`; both on the same 2 cores, the CPU split as above), non-streaming:',
    ['API CPU ms/req', 'worker CPU ms/req', 'whole machine ms/req'],
    result.split,
    (row: SplitRow) => [row.cpu.gateway, row.workerCpuMs, row.cpu.machine],
  );
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
  const split16 = result.split.find((r) => r.connections === 16);
  const split1 = result.split.find((r) => r.connections === 1);
  const failures = [...result.rows, ...result.scaling, ...result.split].reduce(
    (sum, r) => sum + r.gateway.non2xx + r.gateway.errors,
    0,
  );
  // Each target for the one-process layout (`npm start`) and, when measured, the separate worker.
  const both = (
    one: number | undefined,
    separate: number | undefined,
    show: (x: number) => string,
    met: (x: number) => boolean,
  ) =>
    [
      one === undefined ? 'not measured' : `${show(one)} in one process, ${verdict(met(one))}`,
      ...(separate === undefined ? [] : [`${show(separate)} with a separate worker, ${verdict(met(separate))}`]),
    ].join('; ');
  const rps = (row: { gateway: LoadStats } | undefined) => row?.gateway.rps;
  const addedP50 = (row: { gateway: LoadStats; direct: LoadStats } | undefined) => row && row.gateway.p50 - row.direct.p50;
  const addedP99 = (row: { gateway: LoadStats; direct: LoadStats } | undefined) => row && row.gateway.p99 - row.direct.p99;
  lines.push(
    'Targets:',
    `- at least 5,000 req/s non-streaming at 16 connections: ${both(
      rps(at16),
      rps(split16),
      (x) => x.toFixed(0),
      (x) => x >= 5000,
    )}.`,
    `- added p50 under 0.5 ms at 1 connection (non-streaming): ${both(
      addedP50(at1),
      addedP50(split1),
      (x) => `${ms(x)} ms`,
      (x) => x < 0.5,
    )}.`,
    `- added p99 under 5 ms at 16 connections (non-streaming): ${both(
      addedP99(at16),
      addedP99(split16),
      (x) => `${ms(x)} ms`,
      (x) => x < 5,
    )}.`,
    `- idle RSS under 150 MB: ${mb(result.idleRssMb)} MB, ${verdict(result.idleRssMb < 150)}.`,
    `- no errors: ${String(failures)} non-2xx or connection errors, records ${gen.matched ? 'complete' : 'incomplete'}, ${verdict(failures === 0 && gen.matched)}.`,
  );
  return lines;
}
