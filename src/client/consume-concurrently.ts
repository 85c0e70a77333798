/**
 * Concurrent consumption (reference §6.5): pulled messages are handed to the user handler, up to `concurrency` at
 * once across all queues, in arrival order. A handler that returns 'RECONSUME_LATER' or throws fails the message:
 * in CLUSTERING it goes back to the broker (CONSUMER_SEND_MSG_BACK, else re-published to the retry topic) and is
 * retried later with a growing delay, in BROADCASTING it is dropped with a warning. Progress is committed as the
 * smallest offset still in flight, so a crash re-delivers rather than loses.
 */
import type { Logger } from '../common/logger.js';
import type { MessageExt } from '../protocol/message/message.js';
import type { ProcessQueue } from './process-queue.js';
import type { MessageQueue } from './route.js';

/** What a concurrent handler may return: anything but 'RECONSUME_LATER' (or a throw) means consumed. */
export type ConsumeResult = 'CONSUME_SUCCESS' | 'RECONSUME_LATER';

/** What a handler learns about the message it handles. */
export interface ConsumeContext {
  /** The queue the message came from (its real topic, even for a retry delivery). */
  mq: MessageQueue;
  /** Aborted when the consumer is shut down without waiting for handlers to finish. */
  signal: AbortSignal;
}

/**
 * A concurrent message handler. Returning 'RECONSUME_LATER' (or throwing) fails the message; any other value,
 * including nothing, means consumed.
 */
export type MessageHandler = (message: MessageExt, context: ConsumeContext) => ConsumeResult | unknown;

/** What the consume services need from their consumer. */
export interface ConsumeHost {
  messageModel: 'CLUSTERING' | 'BROADCASTING';
  logger: Logger;
  /** Records `offset` as the queue's progress (ignored for dropped queues; offsets only advance). */
  commit(mq: MessageQueue, pq: ProcessQueue, offset: number): void;
  /**
   * Hands a failed message back to the broker for a later retry (or the DLQ: `delayLevel` -1); false when that
   * failed.
   */
  sendBack(message: MessageExt, mq: MessageQueue, maxReconsumeTimes: number, delayLevel?: number): Promise<boolean>;
}

/** Options of the concurrent service. */
export interface ConcurrentConsumeOptions {
  /** Handlers running at once. */
  concurrency: number;
  /** Failures before a message goes to the DLQ. */
  maxReconsumeTimes: number;
  /** Delay before a message whose send-back failed is retried locally. Java: 5000 ms. */
  retryLaterMs: number;
}

/** Runs `handler`; true when the message counts as consumed. */
export async function runHandler<C>(
  logger: Logger,
  handler: (m: MessageExt, c: C) => unknown,
  message: MessageExt,
  context: C,
  failures: readonly unknown[],
): Promise<boolean> {
  try {
    const result = await handler(message, context);
    return !failures.includes(result);
  } catch (err) {
    logger.warn({ err, msgId: message.msgId, topic: message.topic }, 'message handler failed');
    return false;
  }
}

/** The concurrent consume service of one push consumer. */
export class ConcurrentConsumeService {
  private active = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly abort = new AbortController();
  private stopping = false;

  constructor(
    private readonly host: ConsumeHost,
    private readonly handler: MessageHandler,
    private readonly options: ConcurrentConsumeOptions,
  ) {}

  /** Queues `messages` (already put in `pq`) for consumption. */
  submit(mq: MessageQueue, pq: ProcessQueue, messages: readonly MessageExt[]): void {
    for (const message of messages) {
      if (this.stopping) return;
      if (this.active < this.options.concurrency) {
        const work = this.consumeNow(mq, pq, message);
        if (work !== undefined) this.track(work);
      } else {
        this.track(this.consume(mq, pq, message));
      }
    }
  }

  /**
   * Fast path of {@link consume} when a slot is free: runs the handler at once, and when it returns synchronously
   * (not a promise) and succeeds, settles the message right here. Why: the general path costs about six promises and
   * as many microtask turns per message, a large share of a consumer's CPU at a hundred thousand messages a second.
   * Correct because it does the same steps in the same order (take a slot, skip a dropped queue, run the handler,
   * free the slot, commit or send back); only the waiting for a slot, which a free slot does not need, is left out.
   * Returns the promise of the work still running (an async handler, a send-back), or undefined when all is done.
   */
  private consumeNow(mq: MessageQueue, pq: ProcessQueue, message: MessageExt): Promise<void> | undefined {
    if (pq.dropped) return undefined;
    this.active++;
    let result: unknown;
    try {
      result = this.handler(message, { mq, signal: this.abort.signal });
    } catch (err) {
      this.host.logger.warn({ err, msgId: message.msgId, topic: message.topic }, 'message handler failed');
      this.release();
      return this.settle(mq, pq, message, false);
    }
    if (isPromiseLike(result)) return this.finish(mq, pq, message, result);
    this.release();
    if (result === 'RECONSUME_LATER') return this.settle(mq, pq, message, false);
    this.host.commit(mq, pq, pq.removeOne(message));
    return undefined;
  }

  /** The rest of {@link consumeNow} for a handler that returned a promise. */
  private async finish(mq: MessageQueue, pq: ProcessQueue, message: MessageExt, result: PromiseLike<unknown>) {
    let ok: boolean;
    try {
      ok = (await result) !== 'RECONSUME_LATER';
    } catch (err) {
      this.host.logger.warn({ err, msgId: message.msgId, topic: message.topic }, 'message handler failed');
      ok = false;
    } finally {
      this.release();
    }
    await this.settle(mq, pq, message, ok);
  }

  /** Handlers running or waiting for a slot. */
  get pending(): number {
    return this.inflight.size;
  }

  /**
   * Stops taking work and waits for the handlers that already started; messages still waiting for a slot are left
   * unconsumed (they are re-delivered later). With `abort`, running handlers see their signal aborted.
   */
  async stop(abort = false): Promise<void> {
    this.stopping = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    for (const wake of this.waiters.splice(0)) wake();
    if (abort) this.abort.abort(new Error('consumer shut down'));
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private track(work: Promise<void>): void {
    this.inflight.add(work);
    void work.finally(() => this.inflight.delete(work));
  }

  private async acquire(): Promise<boolean> {
    if (this.active < this.options.concurrency) {
      this.active++;
      return true;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.stopping) return false;
    this.active++;
    return true;
  }

  private release(): void {
    this.active--;
    this.waiters.shift()?.();
  }

  private async consume(mq: MessageQueue, pq: ProcessQueue, message: MessageExt): Promise<void> {
    if (this.stopping || !(await this.acquire())) return;
    let ok: boolean;
    try {
      if (pq.dropped) return;
      ok = await runHandler(this.host.logger, this.handler, message, { mq, signal: this.abort.signal }, [
        'RECONSUME_LATER',
      ]);
    } finally {
      this.release();
    }
    await this.settle(mq, pq, message, ok);
  }

  /** Java's processConsumeResult for one message. */
  private async settle(mq: MessageQueue, pq: ProcessQueue, message: MessageExt, ok: boolean): Promise<void> {
    if (!ok) {
      if (this.host.messageModel === 'BROADCASTING') {
        this.host.logger.warn({ msgId: message.msgId, topic: message.topic }, 'broadcast message failed, dropped');
      } else if (!(await this.host.sendBack(message, mq, this.options.maxReconsumeTimes))) {
        message.reconsumeTimes++;
        this.retryLater(mq, pq, message);
        return;
      }
    }
    this.host.commit(mq, pq, pq.removeOne(message));
  }

  private retryLater(mq: MessageQueue, pq: ProcessQueue, message: MessageExt): void {
    if (this.stopping) return;
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      if (!pq.dropped) this.track(this.consume(mq, pq, message));
    }, this.options.retryLaterMs);
    timer.unref();
    this.retryTimers.add(timer);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
