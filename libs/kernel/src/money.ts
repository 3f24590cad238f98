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
