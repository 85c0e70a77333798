/**
 * The TypeScript client against the real broker for queries, offset reset and orderly locks: Admin.viewMessage /
 * queryMessageById / queryMessagesByKey / resetOffsetByTime, and orderly PushConsumers holding broker locks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../../src/client/admin.js';
import type { PushConsumer } from '../../../src/client/push-consumer.js';
import { silentLogger } from '../../../src/common/logger.js';
import { startCluster, type TestCluster, waitFor } from '../../client/consumer/cluster.js';

let cluster: TestCluster;
let admin: Admin;

beforeAll(async () => {
  cluster = await startCluster();
  admin = new Admin({ namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
  await admin.start();
}, 30_000);

afterAll(async () => {
  await admin?.shutdown();
  await cluster?.close();
}, 30_000);

describe('Admin message queries against the broker', () => {
  it('views by offset id, queries by UNIQ_KEY id and by business key', async () => {
    await cluster.createTopic('QTopic', 2);
    const producer = await cluster.producer();
    const results = [];
    for (let i = 0; i < 4; i++) {
      results.push(await producer.send({ topic: 'QTopic', body: `q${i}`, keys: [`order-${i % 2}`, `item-${i}`] }));
    }
    const viewed = await admin.viewMessage(results[1]!.offsetMsgId);
    expect(viewed.body.toString()).toBe('q1');
    expect(viewed.topic).toBe('QTopic');

    const byUniq = await admin.queryMessageById('QTopic', results[2]!.msgId);
    expect(byUniq.body.toString()).toBe('q2');
    const byOffsetId = await admin.queryMessageById('QTopic', results[3]!.offsetMsgId);
    expect(byOffsetId.body.toString()).toBe('q3');

    const byKey = await admin.queryMessagesByKey('QTopic', 'order-1');
    expect(byKey.map((m) => m.body.toString()).sort()).toEqual(['q1', 'q3']);
    expect(await admin.queryMessagesByKey('QTopic', 'no-such-key')).toEqual([]);
    await expect(admin.queryMessageById('QTopic', '0A000001000000000000000000000000')).rejects.toMatchObject({
      code: 'QUERY_NOT_FOUND',
    });
  });
});

describe('Admin.resetOffsetByTime with a running PushConsumer', () => {
  it('stores the new offsets and the consumer re-consumes from there', async () => {
    await cluster.createTopic('RTopic', 1);
    const producer = await cluster.producer();
    for (let i = 0; i < 5; i++) await producer.send({ topic: 'RTopic', body: `r${i}` });
    const seen: number[] = [];
    const consumer = cluster.consumer({ consumerGroup: 'RGroup', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe('RTopic').onMessage((msg) => {
      seen.push(msg.queueOffset);
    });
    await consumer.start();
    await waitFor(() => seen.length === 5, 10_000, 'first pass');
    // the consumer's offsets reach the broker (persisted every 200 ms here)
    await waitFor(
      () => cluster.broker.broker.clientServices.consumerOffsets.query('RGroup', 'RTopic', 0) === 5,
      5000,
      'committed offset 5',
    );

    const table = await admin.resetOffsetByTime('RGroup', 'RTopic', 0, { force: true });
    expect(table).toEqual([{ messageQueue: { topic: 'RTopic', brokerName: 'broker-a', queueId: 0 }, offset: 0 }]);
    await waitFor(() => seen.length === 10, 10_000, 'second pass after the reset');
    expect(seen).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
  });
});

describe('orderly PushConsumers and the broker queue locks', () => {
  it('each queue is locked by exactly one member, consumed in order, and unlocked at shutdown', async () => {
    await cluster.createTopic('OTopic', 4);
    const producer = await cluster.producer();
    const consumed = new Map<number, number[]>();
    const consumers: PushConsumer[] = [];
    for (const name of ['a', 'b']) {
      const c = cluster.consumer({
        consumerGroup: 'OGroup',
        consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
        instanceName: `orderly-${name}`,
      });
      c.subscribe('OTopic').onMessageOrderly((msg) => {
        consumed.set(msg.queueId, [...(consumed.get(msg.queueId) ?? []), Number(msg.body.toString())]);
      });
      consumers.push(c);
    }
    for (const c of consumers) await c.start();
    for (let i = 0; i < 40; i++) {
      await producer.send(
        { topic: 'OTopic', body: String(i) },
        { messageQueue: { topic: 'OTopic', brokerName: 'broker-a', queueId: i % 4 } },
      );
    }
    await waitFor(() => [...consumed.values()].reduce((n, l) => n + l.length, 0) >= 40, 15_000, 'all 40');
    for (let q = 0; q < 4; q++) {
      expect(consumed.get(q)).toEqual(Array.from({ length: 10 }, (_, k) => q + 4 * k));
    }

    const locks = cluster.broker.broker.lockManager;
    const mq = (queueId: number) => ({ topic: 'OTopic', brokerName: 'broker-a', queueId });
    await waitFor(
      () => {
        const owners = [0, 1, 2, 3].map((q) => locks.owner('OGroup', mq(q)));
        return owners.every((o) => o !== undefined) && new Set(owners).size === 2;
      },
      10_000,
      'the four queues locked, split between the two members',
    );
    // what each member owns matches its assignment
    for (const c of consumers) {
      const owned = c
        .assignedQueues()
        .filter((q) => q.topic === 'OTopic')
        .map((q) => q.queueId);
      const ownerIds = new Set(owned.map((q) => locks.owner('OGroup', mq(q))));
      expect(ownerIds.size).toBe(1);
    }
    // the first member leaves and unlocks: the other one takes over (locks) every queue
    await consumers[0]!.shutdown();
    const survivor = consumers[1]!.clientId;
    await waitFor(
      () => [0, 1, 2, 3].every((q) => locks.owner('OGroup', mq(q)) === survivor),
      10_000,
      'the remaining member holding all four queues',
    );
    await consumers[1]!.shutdown();
    expect([0, 1, 2, 3].map((q) => locks.owner('OGroup', mq(q)))).toEqual([undefined, undefined, undefined, undefined]);
  }, 30_000);
});

describe('BROADCASTING PushConsumers against the broker', () => {
  it('each member gets every message, shows as BROADCASTING, and the broker stores no offsets', async () => {
    const offsetDir = await mkdtemp(join(tmpdir(), 'broadcast-offsets-'));
    try {
      await cluster.createTopic('BTopic', 2);
      const seen = [new Set<string>(), new Set<string>()];
      const members = [0, 1].map((i) => {
        const c = cluster.consumer({
          consumerGroup: 'BGroup',
          messageModel: 'BROADCASTING',
          consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
          instanceName: `broadcast-${i}`,
          localOffsetStoreDir: offsetDir,
        });
        c.subscribe('BTopic').onMessage((msg) => {
          seen[i]!.add(msg.body.toString());
        });
        return c;
      });
      for (const c of members) await c.start();
      const producer = await cluster.producer();
      for (let i = 0; i < 10; i++) await producer.send({ topic: 'BTopic', body: `b${i}` });
      await waitFor(() => seen.every((s) => s.size === 10), 10_000, 'all ten at both members');

      const connection = await admin.consumerConnections('BGroup');
      expect(connection.messageModel).toBe('BROADCASTING');
      expect(connection.connections).toHaveLength(2);
      await new Promise((r) => setTimeout(r, 400)); // a client offset persist round
      expect(cluster.broker.broker.clientServices.consumerOffsets.offsetsOf('BGroup', 'BTopic').size).toBe(0);
      for (const c of members) await c.shutdown();
    } finally {
      await rm(offsetDir, { recursive: true, force: true });
    }
  });
});
