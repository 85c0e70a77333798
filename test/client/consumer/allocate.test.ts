import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AllocateStrategy,
  allocateAveragely,
  allocateAveragelyByCircle,
  allocateConsistentHash,
  compareQueues,
} from '../../../src/client/allocate.js';
import type { MessageQueue } from '../../../src/client/route.js';

function queues(n: number, brokers = ['broker-a']): MessageQueue[] {
  const out: MessageQueue[] = [];
  for (const brokerName of brokers) for (let q = 0; q < n; q++) out.push({ topic: 'T', brokerName, queueId: q });
  return out.sort(compareQueues);
}

const ids = (mqs: MessageQueue[]) => mqs.map((q) => `${q.brokerName}:${q.queueId}`);

function allocateAll(strategy: AllocateStrategy, mqs: MessageQueue[], clients: string[]): MessageQueue[][] {
  return clients.map((clientId) => strategy({ consumerGroup: 'g', clientId, allQueues: mqs, allClientIds: clients }));
}

describe('allocateAveragely', () => {
  it('gives 8 queues to 3 members as 3/3/2 contiguous blocks', () => {
    const [a, b, c] = allocateAll(allocateAveragely, queues(8), ['c1', 'c2', 'c3']);
    expect(ids(a!)).toEqual(['broker-a:0', 'broker-a:1', 'broker-a:2']);
    expect(ids(b!)).toEqual(['broker-a:3', 'broker-a:4', 'broker-a:5']);
    expect(ids(c!)).toEqual(['broker-a:6', 'broker-a:7']);
  });

  it('leaves members beyond the queue count empty', () => {
    const result = allocateAll(allocateAveragely, queues(2), ['c1', 'c2', 'c3']);
    expect(result.map((r) => r.length)).toEqual([1, 1, 0]);
  });

  it('returns nothing for a client not in the member list', () => {
    expect(allocateAveragely({ consumerGroup: 'g', clientId: 'x', allQueues: queues(4), allClientIds: ['a'] })).toEqual(
      [],
    );
  });
});

describe('allocateAveragelyByCircle', () => {
  it('deals queues round robin', () => {
    const [a, b] = allocateAll(allocateAveragelyByCircle, queues(5), ['c1', 'c2']);
    expect(ids(a!)).toEqual(['broker-a:0', 'broker-a:2', 'broker-a:4']);
    expect(ids(b!)).toEqual(['broker-a:1', 'broker-a:3']);
  });
});

describe('allocateConsistentHash', () => {
  it('moves only the leaving member’s queues', () => {
    const strategy = allocateConsistentHash(10);
    const mqs = queues(16, ['broker-a', 'broker-b']);
    const before = allocateAll(strategy, mqs, ['c1', 'c2', 'c3']);
    const after = allocateAll(strategy, mqs, ['c1', 'c2']);
    for (let i = 0; i < 2; i++) {
      for (const q of before[i]!) expect(ids(after[i]!)).toContain(ids([q])[0]);
    }
  });

  it('rejects a non-positive virtual node count', () => {
    expect(() => allocateConsistentHash(0)).toThrow(RangeError);
  });
});

describe('every strategy partitions the queues', () => {
  for (const [name, strategy] of [
    ['averagely', allocateAveragely],
    ['by circle', allocateAveragelyByCircle],
    ['consistent hash', allocateConsistentHash(5)],
  ] as const) {
    it(`${name}: disjoint and complete`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 9 }), (queueCount, memberCount) => {
          const mqs = queues(queueCount);
          const clients = Array.from({ length: memberCount }, (_, i) => `10.0.0.1@${i}`).sort();
          const all = allocateAll(strategy, mqs, clients).flatMap(ids);
          expect(new Set(all).size).toBe(all.length);
          expect(all.sort()).toEqual(ids(mqs).sort());
        }),
        { numRuns: 60 },
      );
    });
  }
});
