import { ProviderStatsTracker } from './provider-stats';

describe('ProviderStatsTracker', () => {
  it('starts from the first observation and then moves a tenth of the way each time', () => {
    const sut = new ProviderStatsTracker();
    expect(sut.get('openrouter', 'm')).toBeUndefined();
    sut.observe('openrouter', 'm', 100, 1100, 50);
    expect(sut.get('openrouter', 'm')).toEqual({ latencyMs: 100, throughputTps: 50 });
    sut.observe('openrouter', 'm', 200, 1200, 100);
    expect(sut.get('openrouter', 'm')).toEqual({ latencyMs: 110, throughputTps: 55 });
  });

  it('keeps providers and models apart and ignores answers without tokens for throughput', () => {
    const sut = new ProviderStatsTracker();
    sut.observe('azure', 'm', 40, 40, 0);
    expect(sut.get('azure', 'm')).toEqual({ latencyMs: 40 });
    expect(sut.get('openrouter', 'm')).toBeUndefined();
  });
});
