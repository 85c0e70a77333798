/**
 * A small HDR-like latency histogram: values in whole microseconds, exact below 256 µs, then log-linear buckets of
 * 128 per power of two (relative error under 0.8 %). Fixed memory (about 26 KiB), O(1) recording, no sorting.
 */

/** Linear sub-buckets per power of two, as a bit count (2^7 = 128). */
const SUB_BUCKET_BITS = 7;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
/** Values below this are recorded exactly (one bucket each). */
const EXACT_LIMIT = SUB_BUCKETS * 2;
/** Largest recordable value: 2^31 - 1 µs (about 35 minutes); larger values are clamped. */
export const HISTOGRAM_MAX_VALUE_US = 2 ** 31 - 1;
const BUCKET_COUNT = EXACT_LIMIT + (31 - SUB_BUCKET_BITS - 1) * SUB_BUCKETS;

/** The percentiles a benchmark reports, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

function bucketOf(value: number): number {
  if (value < EXACT_LIMIT) return value;
  const msb = 31 - Math.clz32(value);
  const shift = msb - SUB_BUCKET_BITS;
  return EXACT_LIMIT + (shift - 1) * SUB_BUCKETS + ((value >>> shift) - SUB_BUCKETS);
}

/** The largest value that falls into `bucket` (what percentiles report, so they never under-state). */
function highestValueOf(bucket: number): number {
  if (bucket < EXACT_LIMIT) return bucket;
  const rest = bucket - EXACT_LIMIT;
  const shift = Math.floor(rest / SUB_BUCKETS) + 1;
  const mantissa = (rest % SUB_BUCKETS) + SUB_BUCKETS;
  return (mantissa + 1) * 2 ** shift - 1;
}

/** Records latencies (µs) and answers percentiles. */
export class Histogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  private total = 0;
  private sum = 0;
  private maxValue = 0;

  /** Number of recorded values. */
  get count(): number {
    return this.total;
  }

  /** Exact largest recorded value (µs, after rounding and clamping). */
  get max(): number {
    return this.maxValue;
  }

  /** Records one value in microseconds; negative values count as 0, fractions are rounded. */
  record(valueUs: number): void {
    let v = Number.isFinite(valueUs) ? Math.round(valueUs) : HISTOGRAM_MAX_VALUE_US;
    if (v < 0) v = 0;
    if (v > HISTOGRAM_MAX_VALUE_US) v = HISTOGRAM_MAX_VALUE_US;
    this.counts[bucketOf(v)]! += 1;
    this.total += 1;
    this.sum += v;
    if (v > this.maxValue) this.maxValue = v;
  }

  /**
   * The value at percentile `p` (0–100) in µs: the upper edge of the bucket holding the ⌈p/100 · count⌉-th smallest
   * value, capped at the exact maximum. 0 when empty.
   */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    // toPrecision: 99.9 / 100 * 1000 is 999.0000000000001 in floating point, which must rank 999, not 1000.
    const exactRank = Number(((Math.min(100, Math.max(0, p)) / 100) * this.total).toPrecision(12));
    const rank = Math.max(1, Math.ceil(exactRank));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(highestValueOf(i), this.maxValue);
    }
    return this.maxValue;
  }

  /** Mean of the recorded values (µs). */
  mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total;
  }

  /** Adds every value of `other` to this histogram. */
  merge(other: Histogram): void {
    for (let i = 0; i < BUCKET_COUNT; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sum += other.sum;
    if (other.maxValue > this.maxValue) this.maxValue = other.maxValue;
  }

  /** Forgets everything recorded. */
  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sum = 0;
    this.maxValue = 0;
  }

  /** count, p50, p99, p99.9, max and mean, converted to milliseconds (3 decimals). */
  summaryMs(): LatencySummary {
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      count: this.total,
      p50: ms(this.percentile(50)),
      p99: ms(this.percentile(99)),
      p999: ms(this.percentile(99.9)),
      max: ms(this.maxValue),
      mean: ms(this.mean()),
    };
  }
}
