/**
 * The real ali-ons client against our NamesrvController + BrokerController (in process, free ports): ordered sends by
 * sharding key (ali-ons picks the queue from an md5 of `shardingKey`) arrive in per-key order, and two BROADCASTING
 * consumers of one group each receive every message while the broker stores no offset for them.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BrokerController } from '../../../src/broker/broker.js';
import { AliOnsCluster, ons, ownedQueues } from '../../support/ali-ons.js';
import { until } from '../../support/until.js';

const cluster = new AliOnsCluster();
let broker: BrokerController;
/** Client errors other than ali-ons reporting QUERY_NOT_FOUND (22) for a new group's offsets, which is normal. */
const unexpectedErrors = () => cluster.errors.filter((e) => (e as Error & { code?: number }).code !== 22);

beforeAll(async () => {
  await cluster.start({ innerInstanceName: 'inner-orderly' });
  broker = cluster.broker;
}, 30_000);
afterEach(() => cluster.closeClients());
afterAll(() => cluster.stop(), 30_000);

const createTopic = (topic: string, queues: number) => cluster.createTopic(topic, queues);
const producer = (group: string) => cluster.producer(group);
const consumer = (group: string, instanceName: string, extra?: object) => cluster.consumer(group, instanceName, extra);

describe('ali-ons ordered sends by sharding key', () => {
  it('messages of one key land on one queue and are consumed in send order', async () => {
    const topic = 'AliOrderedTopic';
    await createTopic(topic, 4);
    // ali-ons' selector: queue = md5(shardingKey).readUInt32BE() % queueCount, but it tests the chosen queue id for
    // truthiness, so a key whose queue is 0 is sent round-robin (an ali-ons bug): use keys of queues 1-3 only
    const queueOf = (key: string) => createHash('md5').update(key).digest().readUInt32BE() % 4;
    const keys = Array.from({ length: 40 }, (_, i) => `order-${i}`)
      .filter((k) => queueOf(k) !== 0)
      .slice(0, 6);
    const received = new Map<string, number[]>();
    const c = consumer('GID_ALI_ORDERED', 'ordered-1', { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    c.subscribe(topic, '*', async (msg) => {
      const [key, seq] = msg.body.toString().split(':');
      received.set(key!, [...(received.get(key!) ?? []), Number(seq)]);
    });
    await c.ready();

    const p = await producer('PID_ALI_ORDERED');
    const queueOfKey = new Map<string, Set<number>>();
    for (let seq = 0; seq < 8; seq++) {
      for (const key of keys) {
        const msg = new ons.Message(topic, 'TagA', `${key}:${seq}`);
        msg.shardingKey = key;
        const result = await p.send(msg);
        expect(result.sendStatus).toBe('SEND_OK');
        queueOfKey.set(key, (queueOfKey.get(key) ?? new Set()).add(Number(result.messageQueue.queueId)));
      }
    }
    for (const [key, queues] of queueOfKey) expect([...queues]).toEqual([queueOf(key)]);

    await until('all messages', () => [...received.values()].reduce((n, l) => n + l.length, 0) >= 8 * keys.length);
    for (const key of keys) expect(received.get(key)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(unexpectedErrors()).toEqual([]);
  }, 40_000);
});

describe('ali-ons BROADCASTING consumers', () => {
  it('two members of one group each receive every message; the broker keeps no offsets for them', async () => {
    const topic = 'AliBroadcastTopic';
    const group = 'GID_ALI_BROADCAST';
    await createTopic(topic, 2);
    const seen = [new Set<string>(), new Set<string>()];
    const members = [0, 1].map((i) => {
      const c = consumer(group, `broadcast-${i}`, { isBroadcast: true, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
      c.subscribe(topic, '*', async (msg) => {
        seen[i]!.add(msg.body.toString());
      });
      return c;
    });
    for (const c of members) await c.ready();
    // broadcasting: each member takes every queue
    await until('both members on both queues', () => members.every((c) => ownedQueues(c, topic).join() === '0,1'));
    const info = broker.clientServices.consumers.group(group);
    expect(info?.messageModel).toBe('BROADCASTING');
    expect(info?.members.size).toBe(2);

    const p = await producer('PID_ALI_BROADCAST');
    const bodies: string[] = [];
    for (let i = 0; i < 12; i++) {
      bodies.push(`b-${i}`);
      expect((await p.send(new ons.Message(topic, 'TagA', `b-${i}`))).sendStatus).toBe('SEND_OK');
    }
    await until('every message at both members', () => seen.every((s) => s.size === bodies.length));
    for (const s of seen) expect([...s].sort()).toEqual([...bodies].sort());
    // give ali-ons a persist round: broadcasting offsets stay with the clients
    await new Promise((r) => setTimeout(r, 700));
    expect(broker.clientServices.consumerOffsets.offsetsOf(group, topic).size).toBe(0);
    expect(unexpectedErrors()).toEqual([]);
  }, 40_000);
});
