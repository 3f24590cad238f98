import { MAX_USD, reportedUsdToMicros } from './money';

describe('reportedUsdToMicros', () => {
  it.each([
    [0.000123, 123n],
    [0.07, 70_000n],
    [0.000253, 253n],
    [1.5, 1_500_000n],
    [12, 12_000_000n],
    [0.0000001, 1n],
    [0.0000015, 2n],
    [1.2345678, 1_234_568n],
    [1e-12, 1n],
    [2.5e-7, 1n],
  ])('rounds %p USD up to %p micro-USD from its decimal value', (usd, micros) => {
    expect(reportedUsdToMicros(usd)).toBe(micros);
  });

  it('agrees with the exact decimal for every whole micro amount below 0.1 USD', () => {
    const wrong: string[] = [];
    for (let micros = 1; micros < 100_000; micros++) {
      const usd = Number((micros / 1e6).toFixed(6));
      if (reportedUsdToMicros(usd) !== BigInt(micros)) wrong.push(usd.toString());
    }
    expect(wrong).toEqual([]);
  });

  it.each([0, -0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('is zero for %p', (usd) => {
    expect(reportedUsdToMicros(usd)).toBe(0n);
  });

  it('caps a nonsensical report at the largest amount the API holds', () => {
    expect(reportedUsdToMicros(1e300)).toBe(BigInt(MAX_USD) * 1_000_000n);
    expect(reportedUsdToMicros(MAX_USD - 0.5)).toBe(BigInt(MAX_USD) * 1_000_000n - 500_000n);
  });
});
