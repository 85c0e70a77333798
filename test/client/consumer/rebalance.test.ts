import { describe, expect, it } from 'vitest';
import { allocateAveragely } from '../../../src/client/allocate.js';
import { buildSubscriptionData, planRebalance, Rebalancer } from '../../../src/client/rebalance.js';
import type { MessageQueue } from '../../../src/client/route.js';
import { mqKey } from '../../../src/client/route.js';
import { silentLogger } from '../../../src/common/logger.js';

const q = (queueId: number, topic = 'T'): MessageQueue => ({ topic, brokerName: 'broker-a', queueId });

describe('buildSubscriptionData', () => {
  it('splits tags on ||, trims, and hashes them as Java String.hashCode', () => {
    const sub = buildSubscriptionData('T', ' TagA || TagB ||  ');
    expect(sub.tagsSet).toEqual(['TagA', 'TagB']);
    expect(sub.codeSet).toEqual([2598919, 2598920]);
    expect(sub.expressionType).toBe('TAG');
  });

  it('treats * and empty as everything, and keeps SQL92 text', () => {
    expect(buildSubscriptionData('T', '*')).toMatchObject({ subString: '*', tagsSet: [], codeSet: [] });
    expect(buildSubscriptionData('T', '')).toMatchObject({ subString: '*' });
    expect(buildSubscriptionData('T', { type: 'SQL92', expression: 'a > 1' })).toMatchObject({
      subString: 'a > 1',
      expressionType: 'SQL92',
      tagsSet: [],
    });
    expect(() => buildSubscriptionData('T', { type: 'SQL92', expression: ' ' })).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMETER' }),
    );
  });
});

describe('planRebalance', () => {
  it('lists gained and lost queues of one topic only', () => {
    const owned = new Map([q(0), q(1), q(0, 'Other')].map((m) => [mqKey(m), m]));
    const { added, removed } = planRebalance(owned, 'T', [q(1), q(2)]);
    expect(added).toEqual([q(2)]);
    expect(removed).toEqual([q(0)]);
  });
});

describe('Rebalancer', () => {
  function setup(members: string[], lockable?: (mq: MessageQueue) => boolean) {
    const added: number[] = [];
    const removed: number[] = [];
    const deps = {
      clientId: 'me',
      group: 'g',
      messageModel: 'CLUSTERING' as const,
      strategy: allocateAveragely,
      logger: silentLogger,
      topics: () => ['T'],
      topicQueues: async () => [q(3), q(2), q(1), q(0)],
      consumerIds: async () => members,
      lock: lockable ? async (mqs: MessageQueue[]) => mqs.filter(lockable) : undefined,
      addQueue: async (mq: MessageQueue) => {
        added.push(mq.queueId);
        return mq.queueId !== 99;
      },
      removeQueue: async (mq: MessageQueue) => {
        removed.push(mq.queueId);
      },
    };
    return { rebalancer: new Rebalancer(deps), added, removed, members };
  }

  it('takes its share of sorted queues and gives up queues when a member joins', async () => {
    const s = setup(['me']);
    await s.rebalancer.rebalance();
    expect(s.added).toEqual([0, 1, 2, 3]);
    s.members.push('a-first'); // sorts before "me": it gets the first block
    await s.rebalancer.rebalance();
    expect(s.removed).toEqual([0, 1]);
    expect([...s.rebalancer.owned.values()].map((m) => m.queueId)).toEqual([2, 3]);
  });

  it('orderly: takes only the queues it could lock', async () => {
    const s = setup(['me'], (mq) => mq.queueId % 2 === 0);
    await s.rebalancer.rebalance();
    expect(s.added).toEqual([0, 2]);
  });

  it('coalesces requests made during a round into one more round', async () => {
    const s = setup(['me']);
    const rounds = await Promise.all([s.rebalancer.rebalance(), s.rebalancer.rebalance(), s.rebalancer.rebalance()]);
    expect(rounds).toHaveLength(3);
    expect(s.added).toEqual([0, 1, 2, 3]);
    await s.rebalancer.stop();
    await s.rebalancer.rebalance();
    expect(s.added).toHaveLength(4);
  });
});
