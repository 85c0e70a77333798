import { describe, expect, it } from 'vitest';
import { ProcessQueue } from '../../../src/client/process-queue.js';
import { message } from './helpers.js';

describe('ProcessQueue', () => {
  it('commits the smallest unconsumed offset when messages finish out of order', () => {
    const pq = new ProcessQueue();
    const msgs = [10, 11, 12, 13].map((o) => message(o));
    expect(pq.put(msgs)).toBe(4);
    expect(pq.remove([msgs[2]!])).toBe(10);
    expect(pq.remove([msgs[0]!])).toBe(11);
    expect(pq.remove([msgs[1]!, msgs[3]!])).toBe(14);
    expect(pq.count).toBe(0);
    expect(pq.bytes).toBe(0);
  });

  it("reports its cache as Java's ProcessQueueInfo: cached and (orderly) taken offsets, 0 when empty", () => {
    const pq = new ProcessQueue();
    expect(pq.cacheInfo()).toMatchObject({ cachedMsgMinOffset: 0, cachedMsgMaxOffset: 0, cachedMsgCount: 0 });
    pq.put([0, 1, 2].map((o) => message(o)));
    expect(pq.cacheInfo()).toMatchObject({ cachedMsgMinOffset: 0, cachedMsgMaxOffset: 2, cachedMsgCount: 3 });
    pq.take(1);
    expect(pq.cacheInfo()).toEqual({
      cachedMsgMinOffset: 1,
      cachedMsgMaxOffset: 2,
      cachedMsgCount: 2,
      cachedMsgSizeInMiB: 0,
      transactionMsgMinOffset: 0,
      transactionMsgMaxOffset: 0,
      transactionMsgCount: 1,
    });
  });

  it('returns -1 before anything was put and ignores duplicate offsets', () => {
    const pq = new ProcessQueue();
    expect(pq.committableOffset()).toBe(-1);
    pq.put([message(5)]);
    expect(pq.put([message(5)])).toBe(0);
    expect(pq.count).toBe(1);
  });

  it('flow-controls by cached count and by cached bytes', () => {
    const pq = new ProcessQueue();
    pq.put([message(0, 'x'.repeat(600)), message(1, 'y'.repeat(600))]);
    expect(pq.isFlowControlled({ maxCachedCount: 3, maxCachedBytes: 10_000 })).toBe(false);
    expect(pq.isFlowControlled({ maxCachedCount: 2, maxCachedBytes: 10_000 })).toBe(true);
    expect(pq.isFlowControlled({ maxCachedCount: 100, maxCachedBytes: 1200 })).toBe(true);
    expect(pq.offsetSpan()).toBe(1);
  });

  it('orderly: take, rollback puts messages back in front, commit advances', () => {
    const pq = new ProcessQueue();
    pq.put([0, 1, 2].map((o) => message(o)));
    const first = pq.take(1);
    expect(first.map((m) => m.queueOffset)).toEqual([0]);
    expect(pq.committableOffset()).toBe(0);
    pq.rollback();
    expect(pq.take(2).map((m) => m.queueOffset)).toEqual([0, 1]);
    expect(pq.commit()).toBe(2);
    expect(pq.take(5).map((m) => m.queueOffset)).toEqual([2]);
    expect(pq.commit()).toBe(3);
    expect(pq.count).toBe(0);
  });

  it('clear forgets everything', () => {
    const pq = new ProcessQueue();
    pq.put([message(3)]);
    pq.clear();
    expect(pq.count).toBe(0);
    expect(pq.committableOffset()).toBe(-1);
  });
});
