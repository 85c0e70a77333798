/**
 * Latency-based fault avoidance (Java's MQFaultStrategy / LatencyFaultToleranceImpl): a broker that answered slowly
 * or failed is avoided for a while, longer the slower it was; a failed send counts as a 30 s latency.
 */

/** Latency thresholds (ms), matched with {@link DEFAULT_NOT_AVAILABLE_DURATIONS_MS}. */
export const DEFAULT_LATENCY_MAX_MS = [50, 100, 550, 1000, 2000, 3000, 15000] as const;
/** How long a broker is avoided after a send at or above the matching latency threshold. */
export const DEFAULT_NOT_AVAILABLE_DURATIONS_MS = [0, 0, 30000, 60000, 120000, 180000, 600000] as const;
/** The latency a failed send counts as. */
export const FAILURE_LATENCY_MS = 30000;

/** Options of {@link FaultAvoidance}. */
export interface FaultAvoidanceOptions {
  /** Whether brokers are avoided at all. Default true. */
  enabled?: boolean;
  latencyMaxMs?: readonly number[];
  notAvailableDurationsMs?: readonly number[];
  /** Clock (epoch ms); injectable for tests. */
  now?: () => number;
}

interface FaultItem {
  latencyMs: number;
  availableAt: number;
}

/** Remembers slow and failed brokers and says which to avoid. */
export class FaultAvoidance {
  readonly enabled: boolean;
  private readonly latencyMax: readonly number[];
  private readonly durations: readonly number[];
  private readonly now: () => number;
  private readonly items = new Map<string, FaultItem>();

  constructor(options: FaultAvoidanceOptions = {}) {
    this.enabled = options.enabled ?? true;
    this.latencyMax = options.latencyMaxMs ?? DEFAULT_LATENCY_MAX_MS;
    this.durations = options.notAvailableDurationsMs ?? DEFAULT_NOT_AVAILABLE_DURATIONS_MS;
    this.now = options.now ?? Date.now;
  }

  /** Records the outcome of a send to `brokerName`: its latency, or `failed` (counted as 30 s). */
  record(brokerName: string, latencyMs: number, failed: boolean): void {
    if (!this.enabled) return;
    const latency = failed ? FAILURE_LATENCY_MS : latencyMs;
    const duration = this.avoidanceFor(latency);
    const existing = this.items.get(brokerName);
    if (duration === 0 && existing === undefined) return;
    this.items.set(brokerName, { latencyMs: latency, availableAt: this.now() + duration });
  }

  /** Whether `brokerName` may be used now. */
  isAvailable(brokerName: string): boolean {
    const item = this.items.get(brokerName);
    return item === undefined || this.now() >= item.availableAt;
  }

  /** The brokers currently avoided. */
  avoidedBrokers(): string[] {
    return [...this.items.keys()].filter((name) => !this.isAvailable(name));
  }

  /** Of `brokerNames`, the one expected to recover first (lowest latency, then soonest available). */
  leastBad(brokerNames: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestItem: FaultItem | undefined;
    for (const name of brokerNames) {
      const item = this.items.get(name);
      if (item === undefined) return name;
      if (
        bestItem === undefined ||
        item.latencyMs < bestItem.latencyMs ||
        (item.latencyMs === bestItem.latencyMs && item.availableAt < bestItem.availableAt)
      ) {
        best = name;
        bestItem = item;
      }
    }
    return best;
  }

  private avoidanceFor(latencyMs: number): number {
    for (let i = this.latencyMax.length - 1; i >= 0; i--) {
      if (latencyMs >= (this.latencyMax[i] as number)) return this.durations[i] ?? 0;
    }
    return 0;
  }
}
