const usdFormats = new Map<number, Intl.NumberFormat>();

/**
 * USD for display. Amounts arrive as JSON numbers in dollars; tiny per-request costs keep more
 * digits so $0.000042 does not round to $0.00.
 */
export function formatUsd(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  const digits = abs === 0 || abs >= 1 ? 2 : abs >= 0.01 ? 4 : 6;
  let format = usdFormats.get(digits);
  if (!format) {
    format = new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency: 'USD',
      minimumFractionDigits: 2,
      maximumFractionDigits: digits,
    });
    usdFormats.set(digits, format);
  }
  return format.format(value);
}

export function formatInt(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return new Intl.NumberFormat('en-US').format(value);
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return 'Never';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatPercent(rate: number): string {
  return `${Number((rate * 100).toFixed(4))}%`;
}

/** Today's UTC date as YYYY-MM-DD, `offsetDays` away. */
export function utcDate(offsetDays = 0): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

/** A random id for idempotency keys. */
export function randomId(): string {
  return crypto.randomUUID();
}
