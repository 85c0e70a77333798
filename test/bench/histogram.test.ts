import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HISTOGRAM_MAX_VALUE_US, Histogram } from '../../src/bench/histogram.js';

/** The exact percentile of the same definition: the ⌈p/100·n⌉-th smallest value. */
function exactPercentile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil(Number(((p / 100) * sorted.length).toPrecision(12))));
  return sorted[rank - 1]!;
}

describe('Histogram', () => {
  it('is exact below 256 µs', () => {
    const h = new Histogram();
    for (let v = 1; v <= 200; v++) h.record(v);
    expect(h.count).toBe(200);
    expect(h.percentile(50)).toBe(100);
    expect(h.percentile(99)).toBe(198);
    expect(h.percentile(99.9)).toBe(200);
    expect(h.percentile(100)).toBe(200);
    expect(h.max).toBe(200);
    expect(h.mean()).toBeCloseTo(100.5, 10);
  });

  it('answers 0 when empty and reports in milliseconds', () => {
    const h = new Histogram();
    expect(h.percentile(99)).toBe(0);
    expect(h.summaryMs()).toEqual({ count: 0, p50: 0, p99: 0, p999: 0, max: 0, mean: 0 });
    for (let i = 0; i < 999; i++) h.record(100);
    h.record(5000);
    expect(h.summaryMs()).toEqual({ count: 1000, p50: 0.1, p99: 0.1, p999: 0.1, max: 5, mean: 0.105 });
  });

  it('a single outlier shows in p99.9 only when it is more than 0.1 % of samples', () => {
    const h = new Histogram();
    for (let i = 0; i < 998; i++) h.record(50);
    h.record(1_000_000);
    h.record(1_000_000);
    expect(h.percentile(99)).toBe(50);
    expect(h.percentile(99.9)).toBeGreaterThanOrEqual(1_000_000);
    expect(h.percentile(99.9)).toBeLessThanOrEqual(1_000_000 * 1.008);
  });

  it('clamps negative, huge and non-finite values', () => {
    const h = new Histogram();
    h.record(-5);
    h.record(Number.POSITIVE_INFINITY);
    h.record(1e12);
    expect(h.count).toBe(3);
    expect(h.percentile(1)).toBe(0);
    expect(h.max).toBe(HISTOGRAM_MAX_VALUE_US);
    expect(h.percentile(100)).toBe(HISTOGRAM_MAX_VALUE_US);
  });

  it('merge and reset', () => {
    const a = new Histogram();
    const b = new Histogram();
    a.record(10);
    b.record(20_000);
    a.merge(b);
    expect(a.count).toBe(2);
    expect(a.max).toBe(20_000);
    a.reset();
    expect(a.count).toBe(0);
    expect(a.max).toBe(0);
    expect(a.percentile(50)).toBe(0);
  });

  it('percentiles stay within 0.8 % above the exact value and never below it (seeded random data)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50_000_000 }), { minLength: 1, maxLength: 400 }),
        fc.constantFrom(50, 90, 99, 99.9, 100),
        (values, p) => {
          const h = new Histogram();
          for (const v of values) h.record(v);
          const exact = exactPercentile(
            [...values].sort((x, y) => x - y),
            p,
          );
          const got = h.percentile(p);
          expect(got).toBeGreaterThanOrEqual(exact);
          expect(got).toBeLessThanOrEqual(Math.max(exact * 1.008, exact + 1));
          expect(h.max).toBe(Math.max(...values));
        },
      ),
      { numRuns: 200, seed: 8 },
    );
  });
});
