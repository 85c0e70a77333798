import { type Logger, silentLogger } from '../common/logger.js';
import type { MessageQueue } from '../protocol/headers/lock.js';

/** How long a queue lock lives without renewal (Java's `rocketmq.broker.rebalance.lockMaxLiveTime`, 60 s). */
export const DEFAULT_REBALANCE_LOCK_MAX_LIVE_TIME_MS = 60_000;

/** Options of {@link RebalanceLockManager}. */
export interface RebalanceLockManagerOptions {
  /** Lock lifetime without renewal (ms). Default 60 000. */
  lockMaxLiveTimeMs?: number;
  /** Milliseconds since the epoch; injectable for expiry tests. */
  now?: () => number;
  logger?: Logger;
}

/** Who holds one queue's lock and when they last (re)locked it. */
export interface QueueLock {
  clientId: string;
  lastUpdateTimestamp: number;
}

function queueKey(mq: MessageQueue): string {
  return JSON.stringify([mq.topic, mq.brokerName, mq.queueId]);
}

/**
 * The broker's queue locks for orderly consumption (Java's RebalanceLockManager, reference §6.7): consumer group →
 * queue → {clientId, lastUpdateTimestamp}. A lock is granted when the queue is free, already held by the same client
 * (which renews it) or expired; a queue held by a live lock is never granted to another client. Unlocking only
 * removes the requester's own locks.
 */
export class RebalanceLockManager {
  private readonly groups = new Map<string, Map<string, QueueLock>>();
  private readonly maxLiveMs: number;
  private readonly now: () => number;
  private readonly logger: Logger;

  constructor(options: RebalanceLockManagerOptions = {}) {
    this.maxLiveMs = options.lockMaxLiveTimeMs ?? DEFAULT_REBALANCE_LOCK_MAX_LIVE_TIME_MS;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
  }

  private expired(lock: QueueLock, now: number): boolean {
    return now - lock.lastUpdateTimestamp > this.maxLiveMs;
  }

  /**
   * Locks each queue for `clientId` where allowed and returns the queues the client now holds (in request order,
   * duplicates removed). Renews the client's existing locks.
   */
  tryLockBatch(group: string, mqs: readonly MessageQueue[], clientId: string): MessageQueue[] {
    const now = this.now();
    let table = this.groups.get(group);
    if (table === undefined) {
      table = new Map();
      this.groups.set(group, table);
    }
    const locked: MessageQueue[] = [];
    const seen = new Set<string>();
    for (const mq of mqs) {
      const key = queueKey(mq);
      if (seen.has(key)) continue;
      seen.add(key);
      const lock = table.get(key);
      if (lock === undefined || lock.clientId === clientId || this.expired(lock, now)) {
        if (lock !== undefined && lock.clientId !== clientId) {
          this.logger.warn({ group, mq, oldClientId: lock.clientId, clientId }, 'queue lock expired, taken over');
        }
        table.set(key, { clientId, lastUpdateTimestamp: now });
        locked.push({ topic: mq.topic, brokerName: mq.brokerName, queueId: mq.queueId });
      } else {
        this.logger.debug({ group, mq, owner: lock.clientId, clientId }, 'queue locked by another client');
      }
    }
    return locked;
  }

  /** Releases the queues' locks held by `clientId`; locks of other clients are left alone. */
  unlockBatch(group: string, mqs: readonly MessageQueue[], clientId: string): void {
    const table = this.groups.get(group);
    if (table === undefined) return;
    for (const mq of mqs) {
      const key = queueKey(mq);
      const lock = table.get(key);
      if (lock === undefined) continue;
      if (lock.clientId === clientId) table.delete(key);
      else this.logger.warn({ group, mq, owner: lock.clientId, clientId }, 'unlock of a queue held by another client');
    }
    if (table.size === 0) this.groups.delete(group);
  }

  /** The client holding a live lock on the queue, if any. */
  owner(group: string, mq: MessageQueue): string | undefined {
    const lock = this.groups.get(group)?.get(queueKey(mq));
    return lock === undefined || this.expired(lock, this.now()) ? undefined : lock.clientId;
  }

  /** Whether `clientId` holds a live lock on the queue. */
  isLocked(group: string, mq: MessageQueue, clientId: string): boolean {
    return this.owner(group, mq) === clientId;
  }

  /** True when no queue of the group is held by a live lock (Java's isLockAllExpired). */
  isLockAllExpired(group: string): boolean {
    const table = this.groups.get(group);
    if (table === undefined) return true;
    const now = this.now();
    for (const lock of table.values()) if (!this.expired(lock, now)) return false;
    return true;
  }

  /** Forgets expired locks (their queues are free anyway); returns how many. */
  removeExpired(): number {
    const now = this.now();
    let removed = 0;
    for (const [group, table] of this.groups) {
      for (const [key, lock] of table) {
        if (!this.expired(lock, now)) continue;
        table.delete(key);
        removed++;
      }
      if (table.size === 0) this.groups.delete(group);
    }
    return removed;
  }
}
