import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PushConsumer } from '../../../src/client/push-consumer.js';
import { startCluster, type TestCluster, waitFor } from './cluster.js';

function ownedOf(c: PushConsumer, topic: string): number {
  return c.assignedQueues().filter((q) => q.topic === topic).length;
}

describe('PushConsumer groups against a local cluster', () => {
  let cluster: TestCluster;
  let dir: string | undefined;
  beforeEach(async () => {
    cluster = await startCluster();
  });
  afterEach(async () => {
    await cluster.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('3 consumers over 8 queues split 3/3/2; a leaving member’s queues move and no message is lost', async () => {
    await cluster.createTopic('Split', 8);
    const counts = new Map<string, number>();
    const members = ['a', 'b', 'c'].map((name) =>
      cluster
        .consumer({ consumerGroup: 'SplitG', instanceName: name, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' })
        .subscribe('Split')
        .onMessage((msg) => {
          const body = msg.body.toString();
          counts.set(body, (counts.get(body) ?? 0) + 1);
        }),
    );
    for (const m of members) await m.start();
    await waitFor(() => members.map((m) => ownedOf(m, 'Split')).reduce((a, b) => a + b) === 8, 10_000, 'split');
    await waitFor(() => members.every((m) => ownedOf(m, 'Split') >= 2), 10_000, 'even split');
    expect(members.map((m) => ownedOf(m, 'Split')).sort()).toEqual([2, 3, 3]);

    const producer = await cluster.producer();
    const sent: string[] = [];
    for (let i = 0; i < 40; i++) {
      await producer.send({ topic: 'Split', body: `x${i}` });
      sent.push(`x${i}`);
    }
    await waitFor(() => sent.every((b) => counts.has(b)), 10_000, 'first batch');
    // let the periodic commit (200 ms here) store every member's progress: queues that move between the staying
    // members are then not re-consumed (RocketMQ is at-least-once while a move is in flight)
    await new Promise((r) => setTimeout(r, 500));
    await members[2]!.shutdown();
    await waitFor(
      () => ownedOf(members[0]!, 'Split') + ownedOf(members[1]!, 'Split') === 8,
      10_000,
      'queues moved to the remaining members',
    );
    expect([ownedOf(members[0]!, 'Split'), ownedOf(members[1]!, 'Split')]).toEqual([4, 4]);
    for (let i = 40; i < 80; i++) {
      await producer.send({ topic: 'Split', body: `x${i}` });
      sent.push(`x${i}`);
    }
    await waitFor(() => sent.every((b) => counts.has(b)), 10_000, 'every message after the move');
    // graceful leave committed its progress: nothing is consumed twice
    expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
  });

  it('rebalances at once on NOTIFY_CONSUMER_IDS_CHANGED (periodic rebalance set to a minute)', async () => {
    await cluster.createTopic('Notify', 4);
    const slow = { consumerGroup: 'NotifyG', rebalanceIntervalMs: 60_000, heartbeatBrokerIntervalMs: 60_000 };
    const first = cluster
      .consumer({ ...slow, instanceName: 'n1' })
      .subscribe('Notify')
      .onMessage(() => {});
    await first.start();
    expect(ownedOf(first, 'Notify')).toBe(4);
    const second = cluster
      .consumer({ ...slow, instanceName: 'n2' })
      .subscribe('Notify')
      .onMessage(() => {});
    await second.start();
    // the second member's heartbeat makes the broker notify the first, which gives up half of its queues
    await waitFor(() => ownedOf(first, 'Notify') === 2, 5000, 'the first member to give up two queues');
    await waitFor(() => ownedOf(second, 'Notify') === 2, 5000, 'the second member to own two queues');
  });

  it('a broker restart loses no consumer progress', async () => {
    await cluster.createTopic('Restart', 2);
    const producer = await cluster.producer();
    for (let i = 0; i < 10; i++) await producer.send({ topic: 'Restart', body: `r${i}` });
    const seen: string[] = [];
    const first = cluster
      .consumer({ consumerGroup: 'RestartG', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' })
      .subscribe('Restart')
      .onMessage((m) => {
        seen.push(m.body.toString());
      });
    await first.start();
    await waitFor(() => seen.length === 10, 10_000, 'first 10');
    await first.shutdown();
    await cluster.restartBroker();
    const producer2 = await cluster.producer();
    await waitFor(() => true);
    for (let i = 10; i < 15; i++) await producer2.send({ topic: 'Restart', body: `r${i}` });
    const after: string[] = [];
    const second = cluster
      .consumer({ consumerGroup: 'RestartG', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' })
      .subscribe('Restart')
      .onMessage((m) => {
        after.push(m.body.toString());
      });
    await second.start();
    await waitFor(() => after.length >= 5, 10_000, 'the 5 new messages');
    await new Promise((r) => setTimeout(r, 300));
    expect(after.sort()).toEqual(['r10', 'r11', 'r12', 'r13', 'r14']);
  });

  it('a running consumer keeps consuming across a broker restart, without repeats', async () => {
    await cluster.createTopic('Live', 2);
    const producer = await cluster.producer();
    const counts = new Map<string, number>();
    const c = cluster
      .consumer({ consumerGroup: 'LiveG', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' })
      .subscribe('Live')
      .onMessage((m) => {
        const b = m.body.toString();
        counts.set(b, (counts.get(b) ?? 0) + 1);
      });
    await c.start();
    for (let i = 0; i < 6; i++) await producer.send({ topic: 'Live', body: `l${i}` });
    await waitFor(() => counts.size === 6, 10_000, 'before the restart');
    await new Promise((r) => setTimeout(r, 300)); // a periodic commit
    await cluster.restartBroker(true);
    for (let i = 6; i < 12; i++) await producer.send({ topic: 'Live', body: `l${i}` });
    await waitFor(() => counts.size === 12, 15_000, 'after the restart');
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it('graceful shutdown finishes the running handler and commits it; the next member starts after it', async () => {
    await cluster.createTopic('Grace', 1);
    const producer = await cluster.producer();
    await producer.send({ topic: 'Grace', body: 'slow' });
    let finished = false;
    let started = false;
    const first = cluster
      .consumer({
        consumerGroup: 'GraceG',
        consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
        persistOffsetIntervalMs: 60_000,
      })
      .subscribe('Grace')
      .onMessage(async () => {
        started = true;
        await new Promise((r) => setTimeout(r, 300));
        finished = true;
      });
    await first.start();
    await waitFor(() => started, 10_000, 'the handler to start');
    await first.shutdown();
    expect(finished).toBe(true);
    await producer.send({ topic: 'Grace', body: 'next' });
    const seen: string[] = [];
    const second = cluster
      .consumer({ consumerGroup: 'GraceG', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' })
      .subscribe('Grace')
      .onMessage((m) => {
        seen.push(m.body.toString());
      });
    await second.start();
    await waitFor(() => seen.length >= 1, 10_000, 'the next message');
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toEqual(['next']);
  });

  it('BROADCASTING: every member gets every message; offsets go to the local file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-bc-'));
    await cluster.createTopic('Bcast', 2);
    const got = [new Set<string>(), new Set<string>()];
    const members = got.map((set, i) =>
      cluster
        .consumer({
          consumerGroup: 'BcastG',
          instanceName: `b${i}`,
          messageModel: 'BROADCASTING',
          consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
          localOffsetStoreDir: dir,
        })
        .subscribe('Bcast')
        .onMessage((m) => {
          set.add(m.body.toString());
        }),
    );
    for (const m of members) await m.start();
    const producer = await cluster.producer();
    for (let i = 0; i < 6; i++) await producer.send({ topic: 'Bcast', body: `b${i}` });
    await waitFor(() => got.every((s) => s.size === 6), 10_000, 'both members get all 6');
    await members[0]!.shutdown();
    const file = join(dir, members[0]!.clientId, 'BcastG', 'offsets.json');
    const text = await readFile(file, 'utf8');
    expect(text).toContain('"topic":"Bcast"');
    expect(members[0]!.assignedQueues()).toEqual([]);
  });

  it('a failing handler gets the message again through the retry topic, with its real topic', async () => {
    await cluster.createTopic('Retry', 1);
    const deliveries: { topic: string; reconsumeTimes: number; body: string }[] = [];
    const c = cluster
      .consumer({ consumerGroup: 'RetryG', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' })
      .subscribe('Retry')
      .onMessage((m) => {
        deliveries.push({ topic: m.topic, reconsumeTimes: m.reconsumeTimes, body: m.body.toString() });
        if (deliveries.length === 1) throw new Error('first attempt fails');
      });
    await c.start();
    const producer = await cluster.producer();
    await producer.send({ topic: 'Retry', body: 'again' });
    await waitFor(() => deliveries.length >= 2, 20_000, 'the redelivery');
    expect(deliveries[1]).toEqual({ topic: 'Retry', reconsumeTimes: 1, body: 'again' });
  }, 30_000);
});
