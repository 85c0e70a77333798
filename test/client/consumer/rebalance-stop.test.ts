import { describe, expect, it } from 'vitest';
import { allocateAveragely } from '../../../src/client/allocate.js';
import { Rebalancer } from '../../../src/client/rebalance.js';
import type { MessageQueue } from '../../../src/client/route.js';
import { silentLogger } from '../../../src/common/logger.js';

const q = (queueId: number): MessageQueue => ({ topic: 'T', brokerName: 'broker-a', queueId });

describe('Rebalancer stopping during an orderly lock', () => {
  it('keeps the queues it locked in `owned`, so the consumer’s final unlock releases them', async () => {
    let stopping: Promise<void> | undefined;
    const added: number[] = [];
    const rebalancer: Rebalancer = new Rebalancer({
      clientId: 'me',
      group: 'g',
      messageModel: 'CLUSTERING',
      strategy: allocateAveragely,
      logger: silentLogger,
      topics: () => ['T'],
      topicQueues: async () => [q(0), q(1)],
      consumerIds: async () => ['me'],
      // the broker grants the locks while the consumer is being shut down
      lock: async (mqs) => {
        stopping = rebalancer?.stop();
        return mqs;
      },
      addQueue: async (mq) => {
        added.push(mq.queueId);
        return true;
      },
      removeQueue: async () => undefined,
    });
    await rebalancer.rebalance();
    await stopping;
    expect(added).toEqual([]);
    expect([...rebalancer.owned.values()].map((mq) => mq.queueId).sort()).toEqual([0, 1]);
  });
});
