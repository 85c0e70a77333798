import { describe, expect, it } from 'vitest';
import { InflightLimiter } from '../../src/transport/inflight-limiter.js';

describe('InflightLimiter', () => {
  it('hands out at most max slots and takes them back', () => {
    const limiter = new InflightLimiter(2);
    expect(limiter.tryAcquire()).toBe(true);
    expect(limiter.tryAcquire()).toBe(true);
    expect(limiter.tryAcquire()).toBe(false);
    expect(limiter.count).toBe(2);
    limiter.release();
    expect(limiter.tryAcquire()).toBe(true);
    limiter.release();
    limiter.release();
    limiter.release();
    expect(limiter.count).toBe(0);
  });

  it('whenIdle resolves at once when idle, else when the last slot is released', async () => {
    const limiter = new InflightLimiter(4);
    await expect(limiter.whenIdle()).resolves.toBeUndefined();
    limiter.tryAcquire();
    limiter.tryAcquire();
    let idle = false;
    const waiting = limiter.whenIdle().then(() => {
      idle = true;
    });
    limiter.release();
    await Promise.resolve();
    expect(idle).toBe(false);
    limiter.release();
    await waiting;
    expect(idle).toBe(true);
  });

  it('rejects a non-positive cap with CONFIG_INVALID', () => {
    expect(() => new InflightLimiter(0)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
