import { describe, expect, it } from 'vitest';
import { RebalanceLockManager } from '../../../src/broker/rebalance-lock-manager.js';

const mq = (queueId: number) => ({ topic: 'T', brokerName: 'broker-a', queueId });

function manager(lifetimeMs = 60_000) {
  const clock = { now: 1_000_000 };
  const locks = new RebalanceLockManager({ lockMaxLiveTimeMs: lifetimeMs, now: () => clock.now });
  return { clock, locks };
}

describe('RebalanceLockManager', () => {
  it('grants free queues, never a live lock of another client', () => {
    const { locks } = manager();
    expect(locks.tryLockBatch('g', [mq(0), mq(1)], 'A')).toEqual([mq(0), mq(1)]);
    expect(locks.tryLockBatch('g', [mq(1), mq(2)], 'B')).toEqual([mq(2)]);
    expect(locks.owner('g', mq(1))).toBe('A');
    expect(locks.isLocked('g', mq(2), 'B')).toBe(true);
    // another group is independent
    expect(locks.tryLockBatch('g2', [mq(1)], 'B')).toEqual([mq(1)]);
  });

  it('a renewing owner keeps the lock past the lifetime; a silent one loses it', () => {
    const { clock, locks } = manager(60_000);
    locks.tryLockBatch('g', [mq(0), mq(1)], 'A');
    clock.now += 40_000;
    expect(locks.tryLockBatch('g', [mq(0)], 'A')).toEqual([mq(0)]); // renews queue 0 only
    clock.now += 30_000; // queue 1: 70 s without renewal; queue 0: 30 s
    expect(locks.tryLockBatch('g', [mq(0), mq(1)], 'B')).toEqual([mq(1)]);
    expect(locks.owner('g', mq(0))).toBe('A');
    expect(locks.owner('g', mq(1))).toBe('B');
  });

  it('exactly the lifetime is still locked; one ms more is expired', () => {
    const { clock, locks } = manager(1000);
    locks.tryLockBatch('g', [mq(0)], 'A');
    clock.now += 1000;
    expect(locks.tryLockBatch('g', [mq(0)], 'B')).toEqual([]);
    clock.now += 1;
    expect(locks.tryLockBatch('g', [mq(0)], 'B')).toEqual([mq(0)]);
  });

  it('unlock removes only the requester’s locks', () => {
    const { locks } = manager();
    locks.tryLockBatch('g', [mq(0)], 'A');
    locks.tryLockBatch('g', [mq(1)], 'B');
    locks.unlockBatch('g', [mq(0), mq(1)], 'B');
    expect(locks.owner('g', mq(0))).toBe('A');
    expect(locks.owner('g', mq(1))).toBeUndefined();
    locks.unlockBatch('unknown-group', [mq(0)], 'A');
    expect(locks.tryLockBatch('g', [mq(1)], 'C')).toEqual([mq(1)]);
  });

  it('isLockAllExpired and removeExpired follow the clock', () => {
    const { clock, locks } = manager(1000);
    expect(locks.isLockAllExpired('g')).toBe(true);
    locks.tryLockBatch('g', [mq(0), mq(0)], 'A');
    expect(locks.isLockAllExpired('g')).toBe(false);
    clock.now += 1001;
    expect(locks.isLockAllExpired('g')).toBe(true);
    expect(locks.removeExpired()).toBe(1);
    expect(locks.owner('g', mq(0))).toBeUndefined();
  });
});
