import { newGenerationId } from './generation-recorder';

describe('newGenerationId', () => {
  it('is gen-<unix seconds>-<20 hex digits>, stamped with the current second', () => {
    const before = Math.floor(Date.now() / 1000);
    const id = newGenerationId();
    const after = Math.floor(Date.now() / 1000);
    const match = /^gen-(\d+)-([0-9a-f]{20})$/.exec(id);
    expect(match).not.toBeNull();
    const seconds = Number(match?.[1]);
    expect(seconds).toBeGreaterThanOrEqual(before);
    expect(seconds).toBeLessThanOrEqual(after);
  });

  it('draws fresh random digits for every id, also across refills of its random pool', () => {
    // 5,000 ids use the 4 KB pool twelve times over.
    const randoms = Array.from({ length: 5000 }, () => newGenerationId().slice(-20));
    expect(new Set(randoms).size).toBe(randoms.length);
    // Every hex digit shows up in every position: no position is fixed or stuck.
    for (let position = 0; position < 20; position++) {
      expect(new Set(randoms.map((random) => random[position])).size).toBe(16);
    }
  });
});
