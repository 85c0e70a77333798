import { describe, expect, it } from 'vitest';
import { BenchStats } from '../../src/bench/stats.js';

describe('BenchStats end-to-end split at the store timestamp', () => {
  it('records send → stored and stored → received around the middle of the stored millisecond', () => {
    const stats = new BenchStats();
    stats.measureStartMs = 1000;
    stats.measureEndMs = 2000;
    // sent at 1500.2 ms, stored within millisecond 1501 (1501.5 taken), received at 1504.0 ms
    stats.onReceive(1500.2, 1504.0, 1501);
    expect(stats.endToEnd.count).toBe(1);
    expect(stats.endToEnd.max).toBe(3800);
    expect(stats.sendToStore.max).toBe(1300);
    expect(stats.storeToReceive.max).toBe(2500);
  });

  it('records only the whole latency without a store timestamp, and nothing outside the window', () => {
    const stats = new BenchStats();
    stats.measureStartMs = 1000;
    stats.measureEndMs = 2000;
    stats.onReceive(1500, 1501);
    stats.onReceive(2500, 2501, 2500);
    expect(stats.endToEnd.count).toBe(1);
    expect(stats.sendToStore.count).toBe(0);
    expect(stats.storeToReceive.count).toBe(0);
  });
});
