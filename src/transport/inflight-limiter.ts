import { RocketMQError } from '../common/errors.js';

/**
 * Counts requests being handled on one connection and refuses more than `max` at once, so a peer that floods us is
 * answered SYSTEM_BUSY instead of queueing without bound. `whenIdle()` lets a graceful close wait for the rest.
 */
export class InflightLimiter {
  private active = 0;
  private idleWaiters: Array<() => void> = [];

  /** @param max most requests handled at once; must be at least 1. */
  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) {
      throw new RocketMQError('CONFIG_INVALID', `max in-flight must be a positive integer, got ${max}`);
    }
  }

  /** Requests being handled now. */
  get count(): number {
    return this.active;
  }

  /** Takes a slot; false when all `max` are taken (the caller answers SYSTEM_BUSY). */
  tryAcquire(): boolean {
    if (this.active >= this.max) return false;
    this.active++;
    return true;
  }

  /** Gives a slot back. Extra releases are ignored. */
  release(): void {
    if (this.active === 0) return;
    this.active--;
    if (this.active === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Resolves once no request is being handled (at once if none is). */
  whenIdle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
