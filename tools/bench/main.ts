import { cpus, totalmem } from 'node:os';
import { benchGateway, gatewayReport, HoldEnded } from './gateway.bench';
import { benchVault } from './vault.bench';

/**
 * `npm run bench`: measures the product's hot paths on this machine and prints a Markdown report
 * (docs/performance.md keeps a dated copy). Timings live here, never in tests.
 */
async function main(): Promise<void> {
  const fmt = (x: number) => x.toFixed(1);
  const lines: string[] = [];
  const say = (line = '') => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };
  say(
    `# Benchmark (${new Date().toISOString().slice(0, 10)}, ${String(cpus().length)} cores, ${String(Math.round(totalmem() / 2 ** 30))} GiB, Node ${process.version})`,
  );
  say();
  if (process.env['BENCH_SECTIONS'] === 'gateway') {
    for (const line of gatewayReport(await benchGateway())) say(line);
    return;
  }
  say('## Vault: opening a provider secret per request (microseconds)');
  say();
  const vault = await benchVault();
  say('| path | n | p50 | p90 | p99 | max |');
  say('|---|---|---|---|---|---|');
  for (const [name, s] of [
    ['crypto only, uncached (parse + verify + derive + unwrap + open + validate)', vault.cryptoUncached],
    ['service, cold (key auth from cache + wrap fetched from Postgres + crypto)', vault.serviceCold],
    ['service, uncached (key auth from cache + wrap from memory + crypto)', vault.serviceUncached],
    ['service, cached (key auth + opened-secret cache hit)', vault.serviceCached],
  ] as const) {
    say(`| ${name} | ${String(s.n)} | ${fmt(s.p50)} | ${fmt(s.p90)} | ${fmt(s.p99)} | ${fmt(s.max)} |`);
  }
  say();
  const met = vault.cryptoUncached.p99 < 500 && vault.serviceUncached.p99 < 500;
  say(`Target: uncached p99 under 500 µs (crypto and service): ${met ? 'met' : 'NOT met'}.`);
  say();
  for (const line of gatewayReport(await benchGateway())) say(line);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof HoldEnded) process.exit(0);
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
