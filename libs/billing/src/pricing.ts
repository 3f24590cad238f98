/**
 * The price of a usage, computed once, by this module only. Integers throughout:
 * - list prices are micro-USD per million tokens, i.e. pico-USD per token, so the exact list price
 *   of a usage is an integer number of pico-USD;
 * - the BYOK fee rate is parts per million (0.05 = 50_000 ppm);
 * - every amount is rounded up to whole micro-USD exactly once, at the end, from the exact
 *   pico-USD value (so a 1-token request on a cheap model costs 1 micro-USD, never 0, and rounding
 *   never compounds).
 */

export interface TokenUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export interface ListPrice {
  readonly promptMicrosPerMTok: bigint;
  readonly completionMicrosPerMTok: bigint;
}

/** What the tenant has used of the month's BYOK allowance before this request. */
export interface ByokMonth {
  /** BYOK-served successful requests so far this UTC month. */
  readonly requests: number;
  /** Their usage at list price so far this month, micro-USD. */
  readonly listMicros: bigint;
}

export interface ByokAllowance {
  readonly freeRequests: number;
  /** Null: no USD allowance, only the request count applies. */
  readonly freeMicros: bigint | null;
}

export type ServedBy = 'platform' | 'byok';

export interface PriceInput {
  readonly usage: TokenUsage;
  /** Null when the model has no known price: use `reportedMicros` (OpenRouter's `usage.cost`) if any. */
  readonly price: ListPrice | null;
  readonly reportedMicros?: bigint | null;
  readonly servedBy: ServedBy;
  readonly feePpm: number;
  readonly allowance: ByokAllowance;
  readonly month: ByokMonth;
}

export interface PriceResult {
  /** The usage at list price (what the provider bills the key's owner for BYOK), micro-USD. */
  readonly listMicros: bigint;
  /** What the tenant is charged, micro-USD. */
  readonly chargeMicros: bigint;
  /** The ledger entry kind, or none when nothing is charged. */
  readonly kind: 'charge' | 'byok_fee' | 'none';
  /** True when a BYOK fee was due but the monthly allowance covered it. */
  readonly waived: boolean;
}

const PICO_PER_MICRO = 1_000_000n;
const PPM = 1_000_000n;

function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  return numerator <= 0n ? 0n : (numerator + denominator - 1n) / denominator;
}

function tokens(value: number, field: string): bigint {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${field} must be a non-negative integer`);
  return BigInt(value);
}

/** The exact list price of a usage in pico-USD. */
export function listPico(usage: TokenUsage, price: ListPrice): bigint {
  return (
    tokens(usage.promptTokens, 'promptTokens') * price.promptMicrosPerMTok +
    tokens(usage.completionTokens, 'completionTokens') * price.completionMicrosPerMTok
  );
}

/** Whether this BYOK request's fee is waived, given the month so far and its own list price. */
export function isWaived(allowance: ByokAllowance, month: ByokMonth, listMicros: bigint): boolean {
  if (month.requests >= allowance.freeRequests) return false;
  // The request that crosses the USD allowance pays the full fee.
  return allowance.freeMicros === null || month.listMicros + listMicros <= allowance.freeMicros;
}

export function priceOf(input: PriceInput): PriceResult {
  if (!Number.isInteger(input.feePpm) || input.feePpm < 0 || input.feePpm > 1_000_000) {
    throw new RangeError('feePpm must be an integer between 0 and 1,000,000');
  }
  // Exact pico-USD when the catalogue prices the model; else what the upstream reported.
  const pico = input.price ? listPico(input.usage, input.price) : (input.reportedMicros ?? 0n) * PICO_PER_MICRO;
  const listMicros = ceilDiv(pico, PICO_PER_MICRO);
  if (input.servedBy === 'platform') {
    return { listMicros, chargeMicros: listMicros, kind: listMicros > 0n ? 'charge' : 'none', waived: false };
  }
  // BYOK: an unpriced model costs no fee (the SPEC: "fee 0, recorded").
  if (!input.price) return { listMicros, chargeMicros: 0n, kind: 'none', waived: false };
  if (isWaived(input.allowance, input.month, listMicros)) return { listMicros, chargeMicros: 0n, kind: 'none', waived: true };
  const fee = ceilDiv(pico * BigInt(input.feePpm), PICO_PER_MICRO * PPM);
  return { listMicros, chargeMicros: fee, kind: fee > 0n ? 'byok_fee' : 'none', waived: false };
}

/** A fee rate as a fraction (0.05) to parts per million, exactly for up to six decimals. */
export function feeRateToPpm(rate: number): number {
  if (!Number.isFinite(rate) || rate < 0 || rate > 1) throw new RangeError('the fee rate must be between 0 and 1');
  return Math.round(rate * 1_000_000);
}

/** The UTC calendar month a moment belongs to (`2026-11`): the key of the monthly counters. */
export function monthKey(at: Date): string {
  return at.toISOString().slice(0, 7);
}

let lastMonth = { key: '', from: 0, to: 0 };
/** monthKey of a moment in epoch milliseconds; remembers the last month's bounds (it runs on every request). */
export function monthKeyAt(ms: number): string {
  if (ms >= lastMonth.from && ms < lastMonth.to) return lastMonth.key;
  const at = new Date(ms);
  const from = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1);
  const to = Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1);
  lastMonth = { key: monthKey(at), from, to };
  return lastMonth.key;
}
