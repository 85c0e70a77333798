/**
 * The real ali-ons client (Producer and push Consumer) against our BrokerController and NamesrvController, in
 * process on free ports. One NameServer + broker serve the whole file: ali-ons keeps a process-wide internal producer
 * (CLIENT_INNER_PRODUCER) bound to the first NameServer it saw, so each test uses its own topics and groups instead.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BrokerController } from '../../../src/broker/broker.js';
import { type AliMessage, AliOnsCluster, type AliProducer, ons, ownedQueues } from '../../support/ali-ons.js';
import { until } from '../../support/until.js';

const cluster = new AliOnsCluster();
const clients = cluster.clients;
let broker: BrokerController;

beforeAll(async () => {
  await cluster.start({
    innerInstanceName: 'inner',
    broker: {
      // small in-memory tail: the head of a busy queue leaves memory, so QUERY_CONSUMER_OFFSET answers
      // QUERY_NOT_FOUND (as Java does once data is on disk) and the client's ConsumeFromWhere applies
      writeBufferSize: 4096,
      tailCacheChunks: 1,
    },
  });
  broker = cluster.broker;
}, 30_000);
afterEach(() => cluster.closeClients());
afterAll(() => cluster.stop(), 30_000);

const createTopic = (topic: string, queues?: number) => cluster.createTopic(topic, queues);
const producer = (group: string) => cluster.producer(group);
const consumer = (group: string, instanceName: string, extra?: object) => cluster.consumer(group, instanceName, extra);

async function sendAll(p: AliProducer, topic: string, count: number, tagOf: (i: number) => string, prefix = 'm') {
  const ids = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const msg = new ons.Message(topic, tagOf(i), `${prefix}-${i}`);
    msg.keys = [`key-${prefix}-${i}`];
    const result = await p.send(msg);
    expect(result.sendStatus).toBe('SEND_OK');
    ids.set(`${prefix}-${i}`, result.msgId);
  }
  return ids;
}

describe('ali-ons against our broker', () => {
  it('a producer sends with tags and keys; a clustering push consumer gets each matching message once', async () => {
    const topic = 'AliTagTopic';
    await createTopic(topic);
    const p = await producer('PID_ALI_TAGS');
    const sent = await sendAll(p, topic, 12, (i) => (i % 3 === 0 ? 'TagB' : 'TagA'));

    const received: AliMessage[] = [];
    const c = consumer('GID_ALI_TAGS', 'tags-1', { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    c.subscribe(topic, 'TagA', async (msg) => {
      received.push(msg);
    });
    await c.ready();
    await until('8 TagA messages', () => received.length >= 8);
    await new Promise((r) => setTimeout(r, 500)); // no late duplicates
    const bodies = received.map((m) => m.body.toString()).sort();
    const expected = [...sent.keys()].filter((_b, i) => i % 3 !== 0).sort();
    expect(bodies).toEqual(expected);
    for (const msg of received) {
      expect(msg.tags).toBe('TagA');
      expect(String(msg.keys)).toBe(`key-${msg.body.toString()}`); // the getter returns the KEYS property text
      expect(msg.msgId).toBe(sent.get(msg.body.toString()));
    }
    // the broker knows the group, its subscription and the producer
    const clientServices = broker.clientServices;
    expect(clientServices.consumers.clientIds('GID_ALI_TAGS')).toHaveLength(1);
    expect(clientServices.consumers.findSubscription('GID_ALI_TAGS', topic)?.subString).toBe('TagA');
    expect(broker.topicManager.get('%RETRY%GID_ALI_TAGS')?.readQueueNums).toBe(1);
    // a producer heartbeats the brokers of the routes it knows: the first after its first send, on its 1 s timer
    await until('the producer heartbeat', () => clientServices.producers.channels('PID_ALI_TAGS').length === 1);
    // consumed offsets reach the broker (UPDATE_CONSUMER_OFFSET every 300 ms)
    await until('committed offsets', () => {
      let total = 0;
      for (let q = 0; q < 4; q++) total += Math.max(0, clientServices.consumerOffsets.query('GID_ALI_TAGS', topic, q));
      return total === 12;
    });
  }, 60_000);

  it('two consumers of one group split the queues; one takes all when the other leaves', async () => {
    const topic = 'AliSplitTopic';
    const group = 'GID_ALI_SPLIT';
    await createTopic(topic);
    const p = await producer('PID_ALI_SPLIT');
    const got1: string[] = [];
    const got2: string[] = [];
    const c1 = consumer(group, 'split-1', { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    c1.subscribe(topic, '*', async (msg) => {
      got1.push(msg.body.toString());
    });
    await c1.ready();
    await until('c1 owns all 4 queues', () => ownedQueues(c1, topic).length === 4);
    const c2 = consumer(group, 'split-2', { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    c2.subscribe(topic, '*', async (msg) => {
      got2.push(msg.body.toString());
    });
    await c2.ready();
    await until('the queues split 2/2', () => {
      const q1 = ownedQueues(c1, topic);
      const q2 = ownedQueues(c2, topic);
      return q1.length === 2 && q2.length === 2 && new Set([...q1, ...q2]).size === 4;
    });
    expect(broker.clientServices.consumers.clientIds(group)).toHaveLength(2);

    const first = await sendAll(p, topic, 16, () => 'T', 'a');
    await until('16 messages over both consumers', () => got1.length + got2.length >= 16);
    expect(got1.length).toBeGreaterThan(0);
    expect(got2.length).toBeGreaterThan(0);
    expect([...got1, ...got2].sort()).toEqual([...first.keys()].sort());

    await c2.close();
    clients.splice(clients.indexOf(c2), 1);
    await until('c1 takes over every queue', () => ownedQueues(c1, topic).length === 4);
    expect(broker.clientServices.consumers.clientIds(group)).toHaveLength(1);
    got1.length = 0;
    const second = await sendAll(p, topic, 16, () => 'T', 'b');
    await until('16 more messages on c1', () => got1.length >= 16);
    await new Promise((r) => setTimeout(r, 300));
    expect([...got1].sort()).toEqual([...second.keys()].sort());
  }, 90_000);

  it('a consumer starting from a timestamp gets only the messages stored after it', async () => {
    const topic = 'AliTimeTopic';
    await createTopic(topic);
    const p = await producer('PID_ALI_TIME');
    // enough bytes that the queue heads leave the (4 KiB x 1) in-memory tail
    const filler = 'x'.repeat(1500);
    for (let i = 0; i < 16; i++) {
      const result = await p.send(new ons.Message(topic, 'Old', `${filler}-old-${i}`));
      expect(result.sendStatus).toBe('SEND_OK');
    }
    // ali-ons takes the timestamp with second precision (YYYYMMDDHHmmss, local time)
    const nextSecond = Math.ceil((Date.now() + 1) / 1000) * 1000;
    await new Promise((r) => setTimeout(r, nextSecond - Date.now() + 20));
    const d = new Date(nextSecond);
    const pad = (n: number) => String(n).padStart(2, '0');
    const stamp = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
    const fresh = await sendAll(p, topic, 8, () => 'New', 'new');

    const received: string[] = [];
    const c = consumer('GID_ALI_TIME', 'time-1', {
      consumeFromWhere: 'CONSUME_FROM_TIMESTAMP',
      consumeTimestamp: stamp,
    });
    c.subscribe(topic, '*', async (msg) => {
      received.push(msg.body.toString());
    });
    await c.ready();
    await until('the 8 new messages', () => received.length >= 8);
    await new Promise((r) => setTimeout(r, 500));
    expect(received.sort()).toEqual([...fresh.keys()].sort());
  }, 60_000);
  it('a message whose handler throws comes back through %RETRY%<group> (retry topic routed at once)', async () => {
    const topic = 'AliRetryTopic';
    const group = 'GID_ALI_RETRY';
    await createTopic(topic);
    const p = await producer('PID_ALI_RETRY');
    const attempts: string[] = [];
    const c = consumer(group, 'retry-1', { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    c.subscribe(topic, '*', async (msg) => {
      attempts.push(`${msg.body.toString()}#${msg.reconsumeTimes}`);
      if (msg.reconsumeTimes === 0) throw new Error('fail the first delivery');
    });
    await c.ready();
    await sendAll(p, topic, 1, () => 'R', 'retry');
    await until('the redelivery', () => attempts.length >= 2);
    expect(attempts).toEqual(['retry-0#0', 'retry-0#1']);
    expect(broker.topicManager.get(`%RETRY%${group}`)).toBeDefined();
  }, 60_000);
});
