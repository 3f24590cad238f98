import type { ProviderId, ProviderStats } from '@gw/routing';

/** Weight of the newest observation: about the last 20 requests dominate. */
const ALPHA = 0.1;
const MAX_ENTRIES = 10_000;

/**
 * Recent observed latency (time to first byte) and throughput (completion tokens per second after
 * the first byte) per provider and model, as moving averages in this process, for
 * `provider.sort: "latency" | "throughput"`. Only successful answers count.
 */
export class ProviderStatsTracker {
  private readonly stats = new Map<string, { latencyMs?: number; throughputTps?: number }>();

  get(provider: ProviderId, model: string): ProviderStats | undefined {
    return this.stats.get(`${provider}\0${model}`);
  }

  observe(provider: ProviderId, model: string, ttfbMs: number, totalMs: number, completionTokens: number): void {
    const key = `${provider}\0${model}`;
    let entry = this.stats.get(key);
    if (!entry) {
      if (this.stats.size >= MAX_ENTRIES) this.stats.delete(this.stats.keys().next().value ?? '');
      entry = {};
      this.stats.set(key, entry);
    }
    entry.latencyMs = average(entry.latencyMs, ttfbMs);
    const generatingMs = totalMs - ttfbMs;
    // A one-shot (non-streamed) answer has no measurable generation phase; its total time stands in.
    const seconds = (generatingMs > 0 ? generatingMs : totalMs) / 1000;
    if (completionTokens > 0 && seconds > 0) entry.throughputTps = average(entry.throughputTps, completionTokens / seconds);
  }
}

function average(previous: number | undefined, sample: number): number {
  return previous === undefined ? sample : previous + ALPHA * (sample - previous);
}
