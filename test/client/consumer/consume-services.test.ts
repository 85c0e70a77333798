import { describe, expect, it } from 'vitest';
import { ConcurrentConsumeService, type ConsumeHost } from '../../../src/client/consume-concurrently.js';
import { OrderlyConsumeService } from '../../../src/client/consume-orderly.js';
import { ProcessQueue } from '../../../src/client/process-queue.js';
import { silentLogger } from '../../../src/common/logger.js';
import type { MessageExt } from '../../../src/protocol/message/message.js';
import { waitFor } from './cluster.js';
import { message } from './helpers.js';

const mq = { topic: 'T', brokerName: 'broker-a', queueId: 0 };

function host(model: 'CLUSTERING' | 'BROADCASTING' = 'CLUSTERING', sendBackOk = true) {
  const commits: number[] = [];
  const sentBack: { offset: number; max: number; delayLevel: number | undefined }[] = [];
  const h: ConsumeHost = {
    messageModel: model,
    logger: silentLogger,
    commit: (_mq, _pq, offset) => {
      commits.push(offset);
    },
    sendBack: async (msg, _mq, max, delayLevel) => {
      sentBack.push({ offset: msg.queueOffset, max, delayLevel });
      return sendBackOk;
    },
  };
  return { h, commits, sentBack };
}

function fill(pq: ProcessQueue, n: number): MessageExt[] {
  const msgs = Array.from({ length: n }, (_, i) => message(i));
  pq.put(msgs);
  return msgs;
}

describe('ConcurrentConsumeService', () => {
  it('never runs more handlers than the concurrency limit and commits all', async () => {
    const { h, commits } = host();
    let running = 0;
    let peak = 0;
    const service = new ConcurrentConsumeService(
      h,
      async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
      },
      { concurrency: 3, maxReconsumeTimes: 16, retryLaterMs: 10 },
    );
    const pq = new ProcessQueue();
    service.submit(mq, pq, fill(pq, 12));
    await waitFor(() => commits.includes(12), 2000, 'all 12');
    await service.stop();
    expect(peak).toBe(3);
    expect(Math.max(...commits)).toBe(12);
  });

  it('RECONSUME_LATER and throws are sent back with maxReconsumeTimes; a failed send-back retries locally', async () => {
    const { h, sentBack, commits } = host('CLUSTERING', false);
    let calls = 0;
    const service = new ConcurrentConsumeService(
      h,
      (msg) => {
        calls++;
        if (msg.queueOffset === 0 && calls < 3) return 'RECONSUME_LATER';
        if (msg.queueOffset === 1 && calls < 3) throw new Error('boom');
        return undefined;
      },
      { concurrency: 1, maxReconsumeTimes: 5, retryLaterMs: 10 },
    );
    const pq = new ProcessQueue();
    service.submit(mq, pq, fill(pq, 2));
    await waitFor(() => commits.includes(2), 2000, 'both consumed after the local retry');
    await service.stop();
    expect(sentBack.map((s) => [s.offset, s.max])).toEqual([
      [0, 5],
      [1, 5],
    ]);
  });

  it('with a free slot a synchronous handler is run and committed before submit returns', () => {
    const { h, commits } = host();
    const seen: number[] = [];
    const service = new ConcurrentConsumeService(h, (msg) => void seen.push(msg.queueOffset), {
      concurrency: 4,
      maxReconsumeTimes: 16,
      retryLaterMs: 10,
    });
    const pq = new ProcessQueue();
    service.submit(mq, pq, fill(pq, 3));
    expect(seen).toEqual([0, 1, 2]);
    expect(commits).toEqual([1, 2, 3]);
    expect(pq.count).toBe(0);
    expect(service.pending).toBe(0);
  });

  it('commits only up to a message whose async handler still runs; waits for a slot when all are taken', async () => {
    const { h, commits } = host();
    let finishFirst!: () => void;
    const started: number[] = [];
    const service = new ConcurrentConsumeService(
      h,
      (msg) => {
        started.push(msg.queueOffset);
        if (msg.queueOffset === 0) return new Promise<void>((r) => (finishFirst = r));
        if (msg.queueOffset === 1) return new Promise<void>((r) => setTimeout(r, 20));
        return undefined;
      },
      { concurrency: 2, maxReconsumeTimes: 16, retryLaterMs: 10 },
    );
    const pq = new ProcessQueue();
    service.submit(mq, pq, fill(pq, 4));
    // offsets 0 and 1 hold both slots; 2 and 3 wait for one
    expect(started).toEqual([0, 1]);
    expect(commits).toEqual([]);
    await waitFor(() => commits.length === 3, 2000, 'offsets 1, 2 and 3 done');
    expect(started).toEqual([0, 1, 2, 3]);
    expect(commits).toEqual([0, 0, 0]);
    finishFirst();
    await waitFor(() => commits.length === 4, 2000, 'offset 0 done');
    expect(commits.at(-1)).toBe(4);
    await service.stop();
  });

  it('a thenable resolving RECONSUME_LATER is sent back; a dropped queue is not consumed', async () => {
    const { h, commits, sentBack } = host();
    const service = new ConcurrentConsumeService(
      h,
      () => ({ then: (resolve: (v: unknown) => void) => resolve('RECONSUME_LATER') }),
      { concurrency: 4, maxReconsumeTimes: 3, retryLaterMs: 10 },
    );
    const pq = new ProcessQueue();
    service.submit(mq, pq, fill(pq, 1));
    await waitFor(() => commits.length === 1, 2000, 'sent back and committed');
    expect(sentBack).toEqual([{ offset: 0, max: 3, delayLevel: undefined }]);
    expect(commits).toEqual([1]);
    const dropped = new ProcessQueue();
    dropped.dropped = true;
    let called = false;
    const other = new ConcurrentConsumeService(h, () => void (called = true), {
      concurrency: 4,
      maxReconsumeTimes: 3,
      retryLaterMs: 10,
    });
    other.submit(mq, dropped, fill(dropped, 2));
    expect(called).toBe(false);
    expect(commits).toEqual([1]);
    await service.stop();
    await other.stop();
  });

  it('BROADCASTING drops a failed message without send-back', async () => {
    const { h, sentBack, commits } = host('BROADCASTING');
    const service = new ConcurrentConsumeService(h, () => 'RECONSUME_LATER', {
      concurrency: 2,
      maxReconsumeTimes: 16,
      retryLaterMs: 10,
    });
    const pq = new ProcessQueue();
    service.submit(mq, pq, fill(pq, 3));
    await waitFor(() => commits.includes(3), 2000, 'all 3');
    await service.stop();
    expect(sentBack).toEqual([]);
    expect(commits.at(-1)).toBe(3);
  });

  it('stop waits for running handlers but leaves queued messages unconsumed', async () => {
    const { h, commits } = host();
    const service = new ConcurrentConsumeService(h, () => new Promise<void>((r) => setTimeout(r, 20)), {
      concurrency: 1,
      maxReconsumeTimes: 16,
      retryLaterMs: 10,
    });
    const pq = new ProcessQueue();
    service.submit(mq, pq, fill(pq, 3));
    await new Promise((r) => setTimeout(r, 5));
    await service.stop();
    expect(commits).toEqual([1]);
    expect(pq.count).toBe(2);
  });

  it('stop(abort) aborts the running handlers’ signal and waits for them', async () => {
    const { h } = host();
    let aborted = false;
    const service = new ConcurrentConsumeService(
      h,
      (_m, ctx) =>
        new Promise<void>((resolve) =>
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          }),
        ),
      { concurrency: 1, maxReconsumeTimes: 16, retryLaterMs: 10 },
    );
    const pq = new ProcessQueue();
    service.submit(mq, pq, fill(pq, 3));
    await new Promise((r) => setTimeout(r, 10));
    await service.stop(true);
    expect(aborted).toBe(true);
    expect(service.pending).toBe(0);
  });
});

describe('OrderlyConsumeService', () => {
  const locked = () => {
    const pq = new ProcessQueue();
    pq.locked = true;
    pq.lastLockTimestamp = Date.now();
    return pq;
  };

  it('one message at a time, in order; a failure pauses the queue and retries the same message', async () => {
    const { h, commits } = host();
    const order: number[] = [];
    let inFlight = 0;
    let failedOnce = false;
    const service = new OrderlyConsumeService(
      h,
      async (msg) => {
        inFlight++;
        expect(inFlight).toBe(1);
        order.push(msg.queueOffset);
        await new Promise((r) => setTimeout(r, 1));
        inFlight--;
        if (msg.queueOffset === 1 && !failedOnce) {
          failedOnce = true;
          return 'SUSPEND_CURRENT_QUEUE_A_MOMENT';
        }
        return 'SUCCESS';
      },
      { maxReconsumeTimes: 10, suspendMs: 20, needsLock: true, lockMaxLiveMs: 30_000 },
    );
    const pq = locked();
    fill(pq, 4);
    service.submit(mq, pq);
    await waitFor(() => commits.at(-1) === 4, 2000, 'all four');
    await service.stop();
    expect(order).toEqual([0, 1, 1, 2, 3]);
  });

  it('after maxReconsumeTimes failures the message goes to the DLQ (delay level -1) and the queue moves on', async () => {
    const { h, commits, sentBack } = host();
    const service = new OrderlyConsumeService(
      h,
      (msg) => {
        if (msg.queueOffset === 0) throw new Error('poison');
      },
      { maxReconsumeTimes: 2, suspendMs: 5, needsLock: true, lockMaxLiveMs: 30_000 },
    );
    const pq = locked();
    fill(pq, 2);
    service.submit(mq, pq);
    await waitFor(() => commits.at(-1) === 2, 2000, 'queue moved on');
    await service.stop();
    expect(sentBack).toEqual([{ offset: 0, max: 2, delayLevel: -1 }]);
  });

  it('does not consume a queue whose lock is missing or expired', async () => {
    const { h, commits } = host();
    const service = new OrderlyConsumeService(h, () => undefined, {
      maxReconsumeTimes: 2,
      suspendMs: 5,
      needsLock: true,
      lockMaxLiveMs: 30_000,
    });
    const pq = new ProcessQueue();
    fill(pq, 2);
    service.submit(mq, pq);
    const expired = locked();
    expired.lastLockTimestamp = Date.now() - 31_000;
    fill(expired, 2);
    service.submit(mq, expired);
    await new Promise((r) => setTimeout(r, 30));
    await service.stop();
    expect(commits).toEqual([]);
    expect(service.isLockValid(expired)).toBe(false);
  });
});
