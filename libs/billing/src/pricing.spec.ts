import { feeRateToPpm, isWaived, listPico, monthKey, monthKeyAt, priceOf, type PriceInput } from './pricing';

// gpt-4o-mini-like: $0.15 / $0.60 per million tokens.
const mini = { promptMicrosPerMTok: 150_000n, completionMicrosPerMTok: 600_000n };
// A premium model: $15 / $75 per million.
const opus = { promptMicrosPerMTok: 15_000_000n, completionMicrosPerMTok: 75_000_000n };
const fivePercent = feeRateToPpm(0.05);
const noAllowance = { freeRequests: 0, freeMicros: null };
const freshMonth = { requests: 0, listMicros: 0n };

const base: PriceInput = {
  usage: { promptTokens: 1000, completionTokens: 500 },
  price: mini,
  servedBy: 'platform',
  feePpm: fivePercent,
  allowance: noAllowance,
  month: freshMonth,
};

describe('priceOf', () => {
  it.each<[string, Partial<PriceInput>, { list: bigint; charge: bigint; kind: string; waived: boolean }]>([
    // 1000 * 0.15 + 500 * 0.60 = 450 micro-USD exactly.
    ['platform, exact', {}, { list: 450n, charge: 450n, kind: 'charge', waived: false }],
    [
      'platform, rounds up a fraction once',
      { usage: { promptTokens: 1, completionTokens: 0 } },
      { list: 1n, charge: 1n, kind: 'charge', waived: false },
    ],
    [
      'platform, 7 prompt tokens = 1.05 µ$ -> 2',
      { usage: { promptTokens: 7, completionTokens: 0 } },
      { list: 2n, charge: 2n, kind: 'charge', waived: false },
    ],
    [
      'platform, zero usage costs nothing',
      { usage: { promptTokens: 0, completionTokens: 0 } },
      { list: 0n, charge: 0n, kind: 'none', waived: false },
    ],
    [
      'platform, premium model',
      { price: opus, usage: { promptTokens: 12_345, completionTokens: 6_789 } },
      // 12345 * 15 + 6789 * 75 = 185175 + 509175 = 694350 micro-USD.
      { list: 694_350n, charge: 694_350n, kind: 'charge', waived: false },
    ],
    ['byok, 5% fee of 450 = 22.5 -> 23', { servedBy: 'byok' }, { list: 450n, charge: 23n, kind: 'byok_fee', waived: false }],
    [
      'byok, fee computed from exact pico value, not from the rounded list',
      // list = 1.05 µ$ (rounded 2); fee = 5% of 1.05 = 0.0525 -> 1.
      { servedBy: 'byok', usage: { promptTokens: 7, completionTokens: 0 } },
      { list: 2n, charge: 1n, kind: 'byok_fee', waived: false },
    ],
    ['byok, 0% fee', { servedBy: 'byok', feePpm: 0 }, { list: 450n, charge: 0n, kind: 'none', waived: false }],
    ['byok, 100% fee', { servedBy: 'byok', feePpm: 1_000_000 }, { list: 450n, charge: 450n, kind: 'byok_fee', waived: false }],
    [
      'byok inside the request allowance',
      { servedBy: 'byok', allowance: { freeRequests: 3, freeMicros: null }, month: { requests: 2, listMicros: 900n } },
      { list: 450n, charge: 0n, kind: 'none', waived: true },
    ],
    [
      'byok, request N+1 after the allowance pays the fee',
      { servedBy: 'byok', allowance: { freeRequests: 3, freeMicros: null }, month: { requests: 3, listMicros: 1350n } },
      { list: 450n, charge: 23n, kind: 'byok_fee', waived: false },
    ],
    [
      'byok within both allowances',
      { servedBy: 'byok', allowance: { freeRequests: 10, freeMicros: 1000n }, month: { requests: 1, listMicros: 550n } },
      { list: 450n, charge: 0n, kind: 'none', waived: true },
    ],
    [
      'byok, the request that crosses the USD allowance pays the full fee',
      { servedBy: 'byok', allowance: { freeRequests: 10, freeMicros: 1000n }, month: { requests: 1, listMicros: 551n } },
      { list: 450n, charge: 23n, kind: 'byok_fee', waived: false },
    ],
    [
      'platform use is never waived',
      { allowance: { freeRequests: 100, freeMicros: null } },
      { list: 450n, charge: 450n, kind: 'charge', waived: false },
    ],
    [
      'byok on an unpriced model: fee 0, recorded',
      { servedBy: 'byok', price: null, reportedMicros: 300n },
      { list: 300n, charge: 0n, kind: 'none', waived: false },
    ],
    [
      'platform on an unpriced openrouter slug: the reported cost',
      { price: null, reportedMicros: 321n },
      { list: 321n, charge: 321n, kind: 'charge', waived: false },
    ],
  ])('%s', (_name, overrides, expected) => {
    const sut = priceOf({ ...base, ...overrides });
    expect({ list: sut.listMicros, charge: sut.chargeMicros, kind: sut.kind, waived: sut.waived }).toEqual(expected);
  });

  it('never charges less than zero or fractions', () => {
    for (let prompt = 0; prompt < 50; prompt++) {
      for (const servedBy of ['platform', 'byok'] as const) {
        const sut = priceOf({ ...base, servedBy, usage: { promptTokens: prompt, completionTokens: prompt * 3 } });
        expect(sut.chargeMicros >= 0n).toBe(true);
        expect(sut.chargeMicros <= sut.listMicros).toBe(true);
      }
    }
  });

  it.each([
    [{ promptTokens: -1, completionTokens: 0 }],
    [{ promptTokens: 1.5, completionTokens: 0 }],
    [{ promptTokens: 0, completionTokens: Number.NaN }],
  ])('refuses invalid token counts %j', (usage) => {
    expect(() => priceOf({ ...base, usage })).toThrow(RangeError);
  });

  it('refuses fee rates outside 0..1', () => {
    expect(() => priceOf({ ...base, feePpm: 1_000_001 })).toThrow(RangeError);
    expect(() => feeRateToPpm(1.2)).toThrow(RangeError);
    expect(feeRateToPpm(0.05)).toBe(50_000);
    expect(feeRateToPpm(0.123456)).toBe(123_456);
  });
});

describe('waiver edges', () => {
  const allowance = { freeRequests: 1_000_000, freeMicros: null };
  it('the Nth request of the month is free, the N+1th is not', () => {
    expect(isWaived(allowance, { requests: 999_999, listMicros: 0n }, 1n)).toBe(true);
    expect(isWaived(allowance, { requests: 1_000_000, listMicros: 0n }, 1n)).toBe(false);
  });
  it('a zero allowance waives nothing', () => {
    expect(isWaived({ freeRequests: 0, freeMicros: null }, freshMonth, 0n)).toBe(false);
  });
  it('reaching the USD allowance exactly is still free', () => {
    expect(isWaived({ freeRequests: 5, freeMicros: 1000n }, { requests: 0, listMicros: 550n }, 450n)).toBe(true);
  });
});

describe('monthKey', () => {
  it.each([
    ['2026-11-30T23:59:59.999Z', '2026-11'],
    ['2026-12-01T00:00:00.000Z', '2026-12'],
    // 23:30 on Nov 30 in New York is already December in UTC.
    ['2026-11-30T23:30:00-05:00', '2026-12'],
    ['2026-12-31T23:59:59.999Z', '2026-12'],
    ['2027-01-01T00:00:00.000Z', '2027-01'],
  ])('%s is in %s', (at, month) => {
    expect(monthKey(new Date(at))).toBe(month);
    expect(monthKeyAt(Date.parse(at))).toBe(month);
  });

  it('monthKeyAt remembers only the last month: moments on both sides of a boundary, in any order', () => {
    const moments = [
      '2026-11-30T23:59:59.999Z',
      '2026-12-01T00:00:00.000Z',
      '2026-11-01T00:00:00.000Z',
      '2026-10-31T23:59:59.999Z',
    ];
    for (const at of [...moments, ...moments.reverse()]) expect(monthKeyAt(Date.parse(at))).toBe(monthKey(new Date(at)));
  });
});

describe('listPico', () => {
  it('is exact', () => {
    expect(listPico({ promptTokens: 3, completionTokens: 2 }, mini)).toBe(3n * 150_000n + 2n * 600_000n);
  });
});
