/**
 * ProcessQueue: the messages pulled from one queue and not yet consumed, with the counts flow control reads and the
 * offset that is safe to commit. Messages arrive in queue-offset order; concurrent consumption may finish them out
 * of order, so the committable offset is the smallest offset still cached (or one past the largest seen).
 */
import type { MessageExt } from '../protocol/message/message.js';

/** Flow-control thresholds of one queue. */
export interface FlowControlLimits {
  /** Stop pulling when this many messages are cached. Java pullThresholdForQueue: 1000. */
  maxCachedCount: number;
  /** Stop pulling when the cached bodies reach this many bytes. Java pullThresholdSizeForQueue: 100 MiB. */
  maxCachedBytes: number;
}

export const DEFAULT_FLOW_CONTROL: Readonly<FlowControlLimits> = {
  maxCachedCount: 1000,
  maxCachedBytes: 100 * 1024 * 1024,
};

export class ProcessQueue {
  /** Cached messages by queue offset, in insertion (= offset) order. */
  private readonly cached = new Map<number, MessageExt>();
  /** Orderly mode: messages taken for consumption and not yet committed. */
  private readonly consuming = new Map<number, MessageExt>();
  private cachedBytes = 0;
  /** Largest queue offset ever put; -1 before the first message. */
  private maxOffsetSeen = -1;
  /** Set when the queue was taken away (rebalance, shutdown): stop pulling and consuming it. */
  dropped = false;
  /** Orderly mode: whether this client holds the broker lock of the queue. */
  locked = false;
  /** When the broker lock was last granted or renewed (ms since epoch). */
  lastLockTimestamp = 0;
  /** When the queue was last pulled (ms since epoch). */
  lastPullTimestamp = 0;
  /** When a message of the queue was last consumed (ms since epoch). */
  lastConsumeTimestamp = 0;
  /** Orderly mode: a handler is running on this queue. */
  consumingNow = false;

  /** Messages cached (including those being consumed in orderly mode). */
  get count(): number {
    return this.cached.size + this.consuming.size;
  }

  /** Bytes of the cached bodies. */
  get bytes(): number {
    return this.cachedBytes;
  }

  /**
   * The cache as GET_CONSUMER_RUNNING_INFO reports it (Java's ProcessQueueInfo): the cached messages, and in orderly
   * mode the ones taken for consumption (Java names those "transaction" fields). Offsets of an empty map are 0, as
   * Java leaves them.
   */
  cacheInfo(): {
    cachedMsgMinOffset: number;
    cachedMsgMaxOffset: number;
    cachedMsgCount: number;
    cachedMsgSizeInMiB: number;
    transactionMsgMinOffset: number;
    transactionMsgMaxOffset: number;
    transactionMsgCount: number;
  } {
    // Both maps are in offset order: the first key is the smallest, the last the largest.
    const span = (m: Map<number, MessageExt>): [number, number] => {
      let min = -1;
      let max = 0;
      for (const offset of m.keys()) {
        if (min < 0) min = offset;
        max = offset;
      }
      return [Math.max(min, 0), max];
    };
    const [cachedMin, cachedMax] = span(this.cached);
    const [takenMin, takenMax] = span(this.consuming);
    return {
      cachedMsgMinOffset: cachedMin,
      cachedMsgMaxOffset: cachedMax,
      cachedMsgCount: this.cached.size,
      cachedMsgSizeInMiB: Math.floor(this.cachedBytes / (1024 * 1024)),
      transactionMsgMinOffset: takenMin,
      transactionMsgMaxOffset: takenMax,
      transactionMsgCount: this.consuming.size,
    };
  }

  /** True when pulling must wait: too many cached messages or bytes. */
  isFlowControlled(limits: FlowControlLimits): boolean {
    return this.count >= limits.maxCachedCount || this.cachedBytes >= limits.maxCachedBytes;
  }

  /** Adds pulled messages (offset order); duplicates of cached offsets are ignored. Returns how many were new. */
  put(messages: readonly MessageExt[]): number {
    let added = 0;
    for (const msg of messages) {
      if (this.cached.has(msg.queueOffset) || this.consuming.has(msg.queueOffset)) continue;
      this.cached.set(msg.queueOffset, msg);
      this.cachedBytes += msg.body.length;
      if (msg.queueOffset > this.maxOffsetSeen) this.maxOffsetSeen = msg.queueOffset;
      added++;
    }
    return added;
  }

  /**
   * Concurrent mode: removes consumed messages and returns the offset that is now safe to commit: the smallest offset
   * still cached, or one past the largest offset seen when nothing is left. -1 when nothing was ever put.
   */
  remove(messages: readonly MessageExt[]): number {
    for (const msg of messages) this.forget(msg);
    this.lastConsumeTimestamp = Date.now();
    return this.committableOffset();
  }

  /** {@link remove} of one message, without the array. */
  removeOne(message: MessageExt): number {
    this.forget(message);
    this.lastConsumeTimestamp = Date.now();
    return this.committableOffset();
  }

  private forget(msg: MessageExt): void {
    const had = this.cached.get(msg.queueOffset);
    if (had === undefined) return;
    this.cached.delete(msg.queueOffset);
    this.cachedBytes -= had.body.length;
  }

  /** The smallest offset not yet consumed; one past the largest seen when nothing is cached; -1 when never put. */
  committableOffset(): number {
    if (this.maxOffsetSeen < 0) return -1;
    for (const offset of this.consuming.keys()) return offset;
    for (const offset of this.cached.keys()) return offset;
    return this.maxOffsetSeen + 1;
  }

  /** Orderly mode: takes up to `max` messages in offset order for consumption. */
  take(max: number): MessageExt[] {
    const out: MessageExt[] = [];
    for (const [offset, msg] of this.cached) {
      if (out.length >= max) break;
      this.cached.delete(offset);
      this.consuming.set(offset, msg);
      out.push(msg);
    }
    return out;
  }

  /** Orderly mode: the taken messages were consumed. Returns the offset to commit (as {@link committableOffset}). */
  commit(): number {
    for (const msg of this.consuming.values()) this.cachedBytes -= msg.body.length;
    this.consuming.clear();
    this.lastConsumeTimestamp = Date.now();
    return this.committableOffset();
  }

  /** Orderly mode: the taken messages failed and go back to the front of the queue, to be consumed again. */
  rollback(): void {
    if (this.consuming.size === 0) return;
    const rest = [...this.cached];
    this.cached.clear();
    for (const [offset, msg] of this.consuming) this.cached.set(offset, msg);
    for (const [offset, msg] of rest) this.cached.set(offset, msg);
    this.consuming.clear();
  }

  /** Forgets every cached message (offset reset); the committable offset becomes -1 until the next put. */
  clear(): void {
    this.cached.clear();
    this.consuming.clear();
    this.cachedBytes = 0;
    this.maxOffsetSeen = -1;
  }

  /** The span of cached offsets (largest − smallest), what Java logs as "max span" for flow control. */
  offsetSpan(): number {
    if (this.cached.size === 0) return 0;
    let first = -1;
    for (const offset of this.cached.keys()) {
      first = offset;
      break;
    }
    return this.maxOffsetSeen - first;
  }
}
