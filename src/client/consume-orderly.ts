/**
 * Orderly consumption (reference §6.7): one message at a time per queue, in queue order, only while this client
 * holds the queue's broker lock (CLUSTERING). A failed message (throw, 'SUSPEND_CURRENT_QUEUE_A_MOMENT' or
 * 'RECONSUME_LATER') is retried locally after a pause, so later messages of the queue wait for it; after
 * `maxReconsumeTimes` failures it is sent back to the broker (which moves it to the DLQ) and the queue moves on.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageExt } from '../protocol/message/message.js';
import { type ConsumeContext, type ConsumeHost, runHandler } from './consume-concurrently.js';
import type { ProcessQueue } from './process-queue.js';
import type { MessageQueue } from './route.js';

/** What an orderly handler may return: 'SUSPEND_CURRENT_QUEUE_A_MOMENT' (or a throw) retries the message later. */
export type OrderlyConsumeResult = 'SUCCESS' | 'SUSPEND_CURRENT_QUEUE_A_MOMENT';

/**
 * An orderly message handler. Returning 'SUSPEND_CURRENT_QUEUE_A_MOMENT' or 'RECONSUME_LATER' (or throwing) retries
 * the message after a pause; any other value, including nothing, means consumed.
 */
export type OrderlyMessageHandler = (message: MessageExt, context: ConsumeContext) => OrderlyConsumeResult | unknown;

/** Options of the orderly service. */
export interface OrderlyConsumeOptions {
  /** Local retries before the message goes back to the broker. Java: unlimited (-1). */
  maxReconsumeTimes: number;
  /** Pause before a failed message is retried. Java: 1000 ms. */
  suspendMs: number;
  /** Whether queues must be locked on the broker first (CLUSTERING). */
  needsLock: boolean;
  /** A lock not renewed for this long counts as lost. Java: 30 000 ms. */
  lockMaxLiveMs: number;
}

/** The orderly consume service of one push consumer. */
export class OrderlyConsumeService {
  private readonly running = new Map<ProcessQueue, Promise<void>>();
  private readonly abort = new AbortController();
  private stopping = false;

  constructor(
    private readonly host: ConsumeHost,
    private readonly handler: OrderlyMessageHandler,
    private readonly options: OrderlyConsumeOptions,
  ) {}

  /** Starts consuming `pq` if it has messages and no consumer loop is running on it. */
  submit(mq: MessageQueue, pq: ProcessQueue, _messages?: readonly MessageExt[]): void {
    if (this.stopping || this.running.has(pq) || pq.count === 0) return;
    const loop = this.consumeQueue(mq, pq).finally(() => this.running.delete(pq));
    this.running.set(pq, loop);
  }

  /** Whether the lock of `pq` is usable now. */
  isLockValid(pq: ProcessQueue): boolean {
    return !this.options.needsLock || (pq.locked && Date.now() - pq.lastLockTimestamp <= this.options.lockMaxLiveMs);
  }

  /**
   * Stops: waits for the handler calls in progress (one per queue), then returns; unconsumed messages are
   * re-delivered later. With `abort`, running handlers see their signal aborted.
   */
  async stop(abort = false): Promise<void> {
    this.stopping = true;
    if (abort) this.abort.abort(new Error('consumer shut down'));
    this.pauseAbort.abort();
    await Promise.allSettled([...this.running.values()]);
  }

  /** Aborts the pauses between retries (so stop does not wait for them). */
  private readonly pauseAbort = new AbortController();

  private async pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.pauseAbort.signal, ref: false });
    } catch {
      // stopped during the pause
    }
  }

  private async consumeQueue(mq: MessageQueue, pq: ProcessQueue): Promise<void> {
    pq.consumingNow = true;
    try {
      while (!pq.dropped && !this.stopping) {
        if (!this.isLockValid(pq)) {
          // the lock renewal (every 20 s) re-submits the queue once it holds the lock again
          return;
        }
        const [message] = pq.take(1);
        if (message === undefined) return;
        const ok = await runHandler(this.host.logger, this.handler, message, { mq, signal: this.abort.signal }, [
          'SUSPEND_CURRENT_QUEUE_A_MOMENT',
          'RECONSUME_LATER',
        ]);
        if (pq.dropped || !this.isLockValid(pq)) {
          // the queue moved away while the handler ran: its new owner consumes the message again
          pq.rollback();
          return;
        }
        if (ok || (await this.giveUp(mq, message))) {
          this.host.commit(mq, pq, pq.commit());
          continue;
        }
        message.reconsumeTimes++;
        pq.rollback();
        await this.pause(this.options.suspendMs);
      }
    } finally {
      pq.consumingNow = false;
    }
  }

  /** After too many failures: send the message to the DLQ (delay level -1); true when it then counts as consumed. */
  private async giveUp(mq: MessageQueue, message: MessageExt): Promise<boolean> {
    if (message.reconsumeTimes < this.options.maxReconsumeTimes) return false;
    if (this.host.messageModel === 'BROADCASTING') return true;
    return this.host.sendBack(message, mq, this.options.maxReconsumeTimes, -1);
  }
}
