import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LitePullConsumer } from '../../../src/client/lite-pull-consumer.js';
import { silentLogger } from '../../../src/common/logger.js';
import type { MessageExt } from '../../../src/protocol/message/message.js';
import { startCluster, type TestCluster } from './cluster.js';

describe('LitePullConsumer against a local cluster', () => {
  let cluster: TestCluster;
  const consumers: LitePullConsumer[] = [];
  function lite(options: Partial<ConstructorParameters<typeof LitePullConsumer>[0]> = {}): LitePullConsumer {
    const c = new LitePullConsumer({
      namesrvAddr: cluster.namesrvAddr,
      consumerGroup: 'LG',
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
      brokerSuspendMs: 500,
      rebalanceIntervalMs: 300,
      heartbeatBrokerIntervalMs: 300,
      logger: silentLogger,
      ...options,
    });
    consumers.push(c);
    return c;
  }
  async function pollAll(c: LitePullConsumer, count: number): Promise<MessageExt[]> {
    const out: MessageExt[] = [];
    const deadline = Date.now() + 10_000;
    while (out.length < count && Date.now() < deadline) out.push(...(await c.poll(500)));
    return out;
  }

  beforeEach(async () => {
    cluster = await startCluster();
    await cluster.createTopic('LiteT', 2);
    const producer = await cluster.producer();
    for (let i = 0; i < 10; i++) {
      await producer.send(
        { topic: 'LiteT', body: `m${i}` },
        { messageQueue: { topic: 'LiteT', brokerName: 'broker-a', queueId: i % 2 } },
      );
    }
  });
  afterEach(async () => {
    await Promise.allSettled(consumers.splice(0).map((c) => c.shutdown()));
    await cluster.close();
  });

  it('subscribe + poll returns every message; manual commitSync stores the offsets', async () => {
    const c = lite({ autoCommit: false }).subscribe('LiteT');
    await c.start();
    const got = await pollAll(c, 10);
    expect(got.map((m) => m.body.toString()).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`).sort());
    const q0 = { topic: 'LiteT', brokerName: 'broker-a', queueId: 0 };
    expect(await c.committed(q0)).toBeLessThan(5);
    await c.commitSync();
    expect(await c.committed(q0)).toBe(5);
  });

  it('assign + seek, seekToBegin, seekToEnd, seekByTimestamp; poll times out empty', async () => {
    const q1 = { topic: 'LiteT', brokerName: 'broker-a', queueId: 1 };
    const c = lite({ consumerGroup: 'LG2' }).assign([q1]);
    await c.start();
    expect(c.assignment()).toEqual([q1]);
    const first = await pollAll(c, 5);
    expect(first.map((m) => m.queueOffset)).toEqual([0, 1, 2, 3, 4]);
    expect(await c.poll(100)).toEqual([]);
    await c.seek(q1, 3);
    expect((await pollAll(c, 2)).map((m) => m.queueOffset)).toEqual([3, 4]);
    await c.seekToBegin(q1);
    expect((await pollAll(c, 5)).map((m) => m.queueOffset)).toEqual([0, 1, 2, 3, 4]);
    await c.seekToEnd(q1);
    expect(await c.poll(200)).toEqual([]);
    await c.seekByTimestamp(q1, 0);
    expect((await pollAll(c, 5))[0]!.queueOffset).toBe(0);
    await expect(c.seek(q1, 99)).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
    await expect(c.seek({ ...q1, queueId: 0 }, 0)).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
  });

  it('async iteration yields messages one by one; an aborted poll rejects', async () => {
    const c = lite({ consumerGroup: 'LG3' }).subscribe('LiteT');
    await c.start();
    const seen: string[] = [];
    for await (const msg of c) {
      seen.push(msg.body.toString());
      if (seen.length === 10) break;
    }
    expect(new Set(seen).size).toBe(10);
    const ac = new AbortController();
    const pending = c.poll(5000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });

  it('auto commit: a second consumer of the group continues where the first stopped', async () => {
    const c1 = lite({ consumerGroup: 'LG4', autoCommitIntervalMs: 100 }).subscribe('LiteT');
    await c1.start();
    expect(await pollAll(c1, 10)).toHaveLength(10);
    await c1.shutdown();
    const c2 = lite({ consumerGroup: 'LG4' }).subscribe('LiteT');
    await c2.start();
    expect(await c2.poll(700)).toEqual([]);
  });
});
