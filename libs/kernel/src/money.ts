import { DomainError } from './domain-error';

/** Money is stored and computed as integer micro-USD (1 USD = 1_000_000). */
export type Micros = bigint;

export const MICROS_PER_USD = 1_000_000n;

/** The largest USD amount the HTTP API accepts; keeps conversions exact in a double. */
export const MAX_USD = 1_000_000_000;

/**
 * Converts a USD amount from JSON to micro-USD. Amounts with more than six decimals are rejected
 * rather than rounded, so what a caller sends is what is stored.
 */
export function usdToMicros(usd: number, field: string): Micros {
  if (!Number.isFinite(usd) || Math.abs(usd) > MAX_USD) {
    throw DomainError.validation(field, `${field} must be a USD amount between -${MAX_USD} and ${MAX_USD}`);
  }
  const scaled = Math.round(usd * 1e6);
  if (Math.abs(scaled / 1e6 - usd) > 1e-9) {
    throw DomainError.validation(field, `${field} has more than six decimal places`);
  }
  return BigInt(scaled);
}

/** Converts micro-USD to a USD JSON number (exact for any amount the API can hold). */
export function microsToUsd(micros: Micros): number {
  return Number(micros) / 1e6;
}

const MAX_MICROS = BigInt(MAX_USD) * MICROS_PER_USD;

/**
 * An amount an upstream reported in USD (OpenRouter's `usage.cost`), rounded up to whole micro-USD
 * from the decimal the number stands for: 0.000123 is 123, not the 124 that `Math.ceil(0.000123 *
 * 1e6)` gives (the product is 123.00000000000001). Zero for anything not positive and finite;
 * capped at MAX_USD, so a nonsensical report cannot overflow a ledger column.
 */
export function reportedUsdToMicros(usd: number): Micros {
  if (!Number.isFinite(usd) || usd <= 0) return 0n;
  if (usd >= MAX_USD) return MAX_MICROS;
  // The shortest digits that read back as this number, e.g. "1.23e-4".
  const [mantissa = '0', exponent = '0'] = usd.toExponential().split('e');
  const [whole = '0', fraction = ''] = mantissa.split('.');
  const digits = BigInt(whole + fraction);
  const scale = Number(exponent) - fraction.length + 6;
  if (scale >= 0) return digits * 10n ** BigInt(scale);
  const divisor = 10n ** BigInt(-scale);
  return (digits + divisor - 1n) / divisor;
}
