import type { Logger } from '../common/logger.js';
import type { MessageFilter } from '../store/message-store.js';

/** A pull parked until a message arrives on its queue or its hold time ends (Java's PullRequest). */
export interface HeldPull {
  topic: string;
  queueId: number;
  /** The offset the consumer asked for: a message at or past it wakes the pull. */
  offset: number;
  filter: MessageFilter;
  /** Epoch ms after which the pull is answered whatever happens. */
  deadline: number;
  /** Runs the pull again without suspension and answers it; settles once answered. Must not reject. */
  wake(): Promise<void>;
}

/** Options of {@link PullHoldService}. */
export interface PullHoldServiceOptions {
  logger: Logger;
  now(): number;
  /** Highest offset + 1 of a queue: a pull whose offset is below it has something to read. */
  maxOffsetInQueue(topic: string, queueId: number): number;
  /** How often expired pulls are looked for (ms). Default 1000. */
  scanIntervalMs?: number;
}

/**
 * Long polling (reference §6.8, Java's PullRequestHoldService): pulls that found nothing are parked per
 * `topic@queueId` and woken when the store dispatches a matching message there, or when their hold time is over.
 * A woken pull runs again with suspension off, so it answers SUCCESS or PULL_NOT_FOUND.
 */
export class PullHoldService {
  private readonly held = new Map<string, HeldPull[]>();
  private readonly options: PullHoldServiceOptions;
  private timer: NodeJS.Timeout | undefined;
  private count = 0;

  constructor(options: PullHoldServiceOptions) {
    this.options = options;
  }

  /** Number of parked pulls. */
  get size(): number {
    return this.count;
  }

  /** Starts the expiry scan. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.expire(), this.options.scanIntervalMs ?? 1000);
    this.timer.unref();
  }

  /**
   * Stops the scan and wakes every parked pull; resolves once each has its answer, so the server can close after.
   */
  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const all = [...this.held.values()].flat();
    this.held.clear();
    this.count = 0;
    await Promise.all(all.map((pull) => this.wake(pull)));
  }

  /** Parks `pull`; wakes it at once if a message reached its queue in the meantime. */
  hold(pull: HeldPull): void {
    if (this.options.maxOffsetInQueue(pull.topic, pull.queueId) > pull.offset) {
      void this.wake(pull);
      return;
    }
    const key = `${pull.topic}@${pull.queueId}`;
    const list = this.held.get(key);
    if (list) list.push(pull);
    else this.held.set(key, [pull]);
    this.count++;
  }

  /** The store's arrival callback: wakes the pulls on that queue the new message satisfies. */
  notifyMessageArriving(topic: string, queueId: number, queueOffset: number, tagsCode: number): void {
    if (this.count === 0) return;
    const key = `${topic}@${queueId}`;
    const list = this.held.get(key);
    if (!list) return;
    const keep: HeldPull[] = [];
    const woken: HeldPull[] = [];
    for (const pull of list) {
      if (queueOffset >= pull.offset && pull.filter.isMatchedByConsumeQueue(tagsCode)) woken.push(pull);
      else keep.push(pull);
    }
    if (woken.length === 0) return;
    if (keep.length === 0) this.held.delete(key);
    else this.held.set(key, keep);
    this.count -= woken.length;
    for (const pull of woken) void this.wake(pull);
  }

  /** Wakes the pulls whose hold time is over. */
  expire(): void {
    if (this.count === 0) return;
    const now = this.options.now();
    for (const [key, list] of this.held) {
      const keep: HeldPull[] = [];
      for (const pull of list) {
        if (pull.deadline <= now) {
          this.count--;
          void this.wake(pull);
        } else {
          keep.push(pull);
        }
      }
      if (keep.length === 0) this.held.delete(key);
      else if (keep.length !== list.length) this.held.set(key, keep);
    }
  }

  private wake(pull: HeldPull): Promise<void> {
    return pull.wake().catch((err: unknown) => {
      this.options.logger.error({ err, topic: pull.topic, queueId: pull.queueId }, 'waking a held pull failed');
    });
  }
}
