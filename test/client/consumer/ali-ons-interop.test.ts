/**
 * Our client and ali-ons in one consumer group (and as producers): every message sent by either is consumed by
 * exactly one of the two consumers.
 */
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PushConsumer } from '../../../src/client/push-consumer.js';
import { startCluster, type TestCluster, waitFor } from './cluster.js';

interface AliOnsMessage {
  body: Buffer;
  tags: string;
  msgId: string;
}
interface AliOnsConsumer {
  subscribe(topic: string, expression: string, handler: (msg: AliOnsMessage) => Promise<void>): void;
  ready(): Promise<void>;
  close(): Promise<void>;
  on(event: string, listener: (...args: unknown[]) => void): void;
}
interface AliOnsProducer {
  ready(): Promise<void>;
  send(msg: unknown): Promise<{ sendStatus: string }>;
  close(): Promise<void>;
  on(event: string, listener: (...args: unknown[]) => void): void;
}

const require = createRequire(import.meta.url);
const ons = require('ali-ons') as {
  Consumer: new (options: Record<string, unknown>) => AliOnsConsumer;
  Producer: new (options: Record<string, unknown>) => AliOnsProducer;
  Message: new (topic: string, tags: string, body: string) => unknown;
};
const quietLogger = { info() {}, warn() {}, error() {}, debug() {} };
const FAST_ONS = {
  rebalanceInterval: 300,
  heartbeatBrokerInterval: 300,
  pollNameServerInteval: 300,
  persistConsumerOffsetInterval: 200,
};

describe('ali-ons and our PushConsumer in one group', () => {
  let cluster: TestCluster;
  const closers: (() => Promise<void>)[] = [];
  beforeEach(async () => {
    cluster = await startCluster();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    await cluster.close();
  });

  it('a message sent by either client is consumed by either consumer, exactly once', async () => {
    const topic = 'InteropT';
    const group = 'GID_INTEROP';
    await cluster.createTopic(topic, 4);
    const consumedBy = new Map<string, string[]>();
    const record = (who: string, body: string) => consumedBy.set(body, [...(consumedBy.get(body) ?? []), who]);

    const ours: PushConsumer = cluster
      .consumer({ consumerGroup: group, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' })
      .subscribe(topic, '*')
      .onMessage((msg) => {
        record('ts', msg.body.toString());
      });
    await ours.start();

    const theirs = new ons.Consumer({
      nameSrv: cluster.namesrvAddr,
      httpclient: {},
      consumerGroup: group,
      logger: quietLogger,
      ...FAST_ONS,
    });
    theirs.on('error', () => {});
    theirs.subscribe(topic, '*', async (msg) => {
      record('ali-ons', msg.body.toString());
    });
    await theirs.ready();
    closers.push(() => theirs.close());

    await waitFor(
      () => ours.assignedQueues().filter((q) => q.topic === topic).length === 2,
      10_000,
      'our consumer to own half of the queues',
    );
    // give ali-ons (10 s rebalance by default, 300 ms here) time to settle on the other half
    await new Promise((r) => setTimeout(r, 1000));

    const producer = await cluster.producer();
    const onsProducer = new ons.Producer({
      nameSrv: cluster.namesrvAddr,
      httpclient: {},
      producerGroup: 'PID_INTEROP',
      logger: quietLogger,
      ...FAST_ONS,
    });
    onsProducer.on('error', () => {});
    await onsProducer.ready();
    closers.push(() => onsProducer.close());

    const sent: string[] = [];
    for (let i = 0; i < 12; i++) {
      await producer.send({ topic, body: `ts-${i}`, tags: 'T' });
      sent.push(`ts-${i}`);
      const result = await onsProducer.send(new ons.Message(topic, 'T', `ons-${i}`));
      expect(result.sendStatus).toBe('SEND_OK');
      sent.push(`ons-${i}`);
    }
    await waitFor(() => sent.every((b) => consumedBy.has(b)), 15_000, 'every message consumed');
    await new Promise((r) => setTimeout(r, 500));
    const twice = [...consumedBy].filter(([, who]) => who.length !== 1);
    expect(twice).toEqual([]);
    const consumers = new Set([...consumedBy.values()].flat());
    expect(consumers).toEqual(new Set(['ts', 'ali-ons']));
    // each consumer handled messages from both producers
    for (const who of ['ts', 'ali-ons']) {
      const bodies = [...consumedBy].filter(([, w]) => w[0] === who).map(([b]) => b);
      expect(bodies.some((b) => b.startsWith('ts-'))).toBe(true);
      expect(bodies.some((b) => b.startsWith('ons-'))).toBe(true);
    }
  }, 40_000);
});
