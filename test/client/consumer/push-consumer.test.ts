import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MessageExt } from '../../../src/protocol/message/message.js';
import { startCluster, type TestCluster, waitFor } from './cluster.js';

describe('PushConsumer against a local cluster', () => {
  let cluster: TestCluster;
  beforeEach(async () => {
    cluster = await startCluster();
  });
  afterEach(async () => {
    await cluster.close();
  });

  it('CLUSTERING + concurrent handler: consumes every message once, from the first offset', async () => {
    await cluster.createTopic('TopicA', 4);
    const producer = await cluster.producer();
    for (let i = 0; i < 20; i++) await producer.send({ topic: 'TopicA', body: `m${i}`, tags: i % 2 ? 'odd' : 'even' });
    const seen: string[] = [];
    const consumer = cluster.consumer({ consumerGroup: 'CG1', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe('TopicA', '*').onMessage((msg) => {
      seen.push(msg.body.toString());
    });
    await consumer.start();
    await waitFor(() => seen.length >= 20, 10_000, '20 messages');
    expect([...seen].sort()).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`).sort());
    expect(consumer.assignedQueues()).toHaveLength(4 + 1); // 4 queues + the retry topic's one
  });

  it('filters by tags', async () => {
    await cluster.createTopic('TopicTags', 2);
    const producer = await cluster.producer();
    for (let i = 0; i < 10; i++)
      await producer.send({ topic: 'TopicTags', body: `m${i}`, tags: i % 2 ? 'odd' : 'even' });
    const seen: MessageExt[] = [];
    const consumer = cluster.consumer({ consumerGroup: 'CGT', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe('TopicTags', 'odd || nope').onMessage((msg) => {
      seen.push(msg);
    });
    await consumer.start();
    await waitFor(() => seen.length >= 5, 10_000, '5 odd messages');
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.every((m) => m.tags === 'odd')).toBe(true);
    expect(seen).toHaveLength(5);
  });

  it('orderly handler (BROADCASTING, no locks needed): per-queue order kept across a local retry', async () => {
    await cluster.createTopic('Ordered', 2);
    const producer = await cluster.producer();
    for (let i = 0; i < 10; i++) {
      await producer.send(
        { topic: 'Ordered', body: `o${i}` },
        { messageQueue: { topic: 'Ordered', brokerName: 'broker-a', queueId: i % 2 } },
      );
    }
    const byQueue = new Map<number, number[]>();
    let failed = false;
    const consumer = cluster.consumer({
      consumerGroup: 'OrdG',
      messageModel: 'BROADCASTING',
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
      localOffsetStoreDir: cluster.broker.dir,
    });
    consumer.subscribe('Ordered').onMessageOrderly((msg) => {
      if (msg.queueOffset === 2 && msg.queueId === 0 && !failed) {
        failed = true;
        return 'SUSPEND_CURRENT_QUEUE_A_MOMENT';
      }
      byQueue.set(msg.queueId, [...(byQueue.get(msg.queueId) ?? []), msg.queueOffset]);
      return 'SUCCESS';
    });
    await consumer.start();
    await waitFor(() => (byQueue.get(0)?.length ?? 0) + (byQueue.get(1)?.length ?? 0) === 10, 10_000, '10 messages');
    expect(byQueue.get(0)).toEqual([0, 1, 2, 3, 4]);
    expect(byQueue.get(1)).toEqual([0, 1, 2, 3, 4]);
    expect(failed).toBe(true);
  });

  it('namespaces: topic and group are prefixed on the wire, handlers see the plain topic', async () => {
    await cluster.createTopic('tenant%NsT', 1);
    const { Producer } = await import('../../../src/client/producer.js');
    const producer = new Producer({ namesrvAddr: cluster.namesrvAddr, namespace: 'tenant', groupName: 'PG' });
    await producer.start();
    try {
      await producer.send({ topic: 'NsT', body: 'hello' });
      const seen: string[] = [];
      const consumer = cluster.consumer({
        consumerGroup: 'NsG',
        namespace: 'tenant',
        consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
      });
      consumer.subscribe('NsT').onMessage((m) => {
        seen.push(`${m.topic}:${m.body.toString()}`);
      });
      await consumer.start();
      expect(consumer.group).toBe('tenant%NsG');
      await waitFor(() => seen.length === 1, 10_000, 'the message');
      expect(seen).toEqual(['NsT:hello']);
    } finally {
      await producer.shutdown();
    }
  });
});
