import { inflateSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Producer, type ProducerOptions } from '../../src/client/producer.js';
import { RocketMQError } from '../../src/common/errors.js';
import { decodeBatch } from '../../src/protocol/message/batch.js';
import { decodeProperties } from '../../src/protocol/message/properties.js';
import { MessageSysFlag } from '../../src/protocol/message/sysflag.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { startTestNamesrv, type TestNamesrv } from '../namesrv/helpers.js';
import { FakeBroker } from './fake-broker.js';

let ns: TestNamesrv;
let brokerA: FakeBroker;
let brokerB: FakeBroker;
const producers: Producer[] = [];

async function startProducer(options: Partial<ProducerOptions> = {}): Promise<Producer> {
  const producer = new Producer({ namesrvAddr: ns.addr, groupName: 'pg', clientIP: '127.0.0.1', ...options });
  producers.push(producer);
  await producer.start();
  return producer;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

beforeEach(async () => {
  ns = await startTestNamesrv();
  brokerA = new FakeBroker({
    brokerName: 'broker-a',
    namesrvAddr: ns.addr,
    topics: { TopicTest: 4, TBW102: 8, 'ns1%TopicNs': 2 },
  });
  brokerB = new FakeBroker({ brokerName: 'broker-b', namesrvAddr: ns.addr, topics: { TopicTest: 4 } });
  await brokerA.start();
  await brokerB.start();
});

afterEach(async () => {
  await Promise.all(producers.splice(0).map((p) => p.shutdown()));
  await brokerA.close();
  await brokerB.close();
  await ns.close();
});

const allSends = () => [...brokerA.sends, ...brokerB.sends];

describe('Producer.send', () => {
  it('sends one message and returns the SendResult', async () => {
    const producer = await startProducer();
    const result = await producer.send({
      topic: 'TopicTest',
      body: 'hello',
      tags: 'TagA',
      keys: ['k1', 'k2'],
      properties: { color: 'blue' },
    });
    expect(result.status).toBe('SEND_OK');
    expect(result.msgId).toMatch(/^[0-9A-F]{32}$/);
    expect(result.msgId.startsWith('7F000001')).toBe(true); // client IP 127.0.0.1 leads the UNIQ_KEY
    expect(result.offsetMsgId).toMatch(/^[0-9A-F]{32}$/);
    expect(result.messageQueue.topic).toBe('TopicTest');
    expect(result.queueOffset).toBe(0);
    expect(result.regionId).toBe('DefaultRegion');
    const [sent] = allSends();
    expect(sent?.code).toBe(RequestCode.SEND_MESSAGE_V2);
    expect(sent?.header).toMatchObject({ producerGroup: 'pg', topic: 'TopicTest', defaultTopic: 'TBW102', sysFlag: 0 });
    expect(sent?.header.bname).toBe(result.messageQueue.brokerName);
    expect(sent?.body.toString()).toBe('hello');
    const props = decodeProperties(sent?.header.properties ?? '');
    expect(props).toMatchObject({ TAGS: 'TagA', KEYS: 'k1 k2', color: 'blue', WAIT: 'true', UNIQ_KEY: result.msgId });
  });

  it('runs concurrent sends (async mode) spread round robin over both brokers', async () => {
    const producer = await startProducer();
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => producer.send({ topic: 'TopicTest', body: `m${i}` })),
    );
    expect(results.every((r) => r.status === 'SEND_OK')).toBe(true);
    expect(new Set(results.map((r) => r.msgId)).size).toBe(16);
    expect(brokerA.sends.length).toBeGreaterThan(0);
    expect(brokerB.sends.length).toBeGreaterThan(0);
    expect(allSends()).toHaveLength(16);
  });

  it('sendOneway writes the message without awaiting a result', async () => {
    const producer = await startProducer();
    await producer.sendOneway({ topic: 'TopicTest', body: 'fire and forget' });
    await until(() => allSends().length === 1, 'the one-way send');
    expect(allSends()[0]?.body.toString()).toBe('fire and forget');
  });

  it('sends a batch as one SEND_BATCH_MESSAGE with a UNIQ_KEY per item', async () => {
    const producer = await startProducer();
    const result = await producer.sendBatch([
      { topic: 'TopicTest', body: 'b1', tags: 'x' },
      { topic: 'TopicTest', body: 'b2' },
      { topic: 'TopicTest', body: 'b3', keys: 'order-3' },
    ]);
    const ids = result.msgId.split(',');
    expect(ids).toHaveLength(3);
    expect(result.offsetMsgId.split(',')).toHaveLength(3);
    const sends = allSends();
    expect(sends.every((s) => s.code === RequestCode.SEND_BATCH_MESSAGE && s.header.batch === true)).toBe(true);
    const items = decodeBatch(sends[0]?.body ?? Buffer.alloc(0));
    expect(items.map((item) => item.body.toString())).toEqual(['b1', 'b2', 'b3']);
    expect(items.map((item) => decodeProperties(item.properties).UNIQ_KEY)).toEqual(ids);
    expect(decodeProperties(items[2]?.properties ?? '').KEYS).toBe('order-3');
  });

  it('rejects batches mixing topics or with delays', async () => {
    const producer = await startProducer();
    await expect(
      producer.sendBatch([
        { topic: 'TopicTest', body: 'a' },
        { topic: 'Other', body: 'b' },
      ]),
    ).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
    await expect(producer.sendBatch([{ topic: 'TopicTest', body: 'a', delayLevel: 3 }])).rejects.toMatchObject({
      code: 'INVALID_PARAMETER',
    });
  });

  it('sends messages with one sharding key to one queue, and honours a selector', async () => {
    const producer = await startProducer();
    const byKey = [];
    for (let i = 0; i < 6; i++)
      byKey.push(await producer.send({ topic: 'TopicTest', body: `o${i}`, shardingKey: 'order-42' }));
    const queues = new Set(byKey.map((r) => `${r.messageQueue.brokerName}/${r.messageQueue.queueId}`));
    expect(queues.size).toBe(1);
    expect(decodeProperties(allSends()[0]?.header.properties ?? '').__SHARDINGKEY).toBe('order-42');

    const chosen = await producer.send(
      { topic: 'TopicTest', body: 'chosen' },
      { selector: (mqs, _msg, arg) => mqs.find((q) => q.brokerName === 'broker-b' && q.queueId === arg)!, arg: 3 },
    );
    expect(chosen.messageQueue).toEqual({ topic: 'TopicTest', brokerName: 'broker-b', queueId: 3 });
    expect(brokerB.sends.at(-1)?.header.queueId).toBe(3);
  });

  it('compresses bodies of 4 KiB and more with zlib and flags them', async () => {
    const producer = await startProducer();
    const big = Buffer.alloc(10_000, 'abcdefgh');
    await producer.send({ topic: 'TopicTest', body: big });
    await producer.send({ topic: 'TopicTest', body: 'small' });
    const zipped = allSends().find((s) => s.body.toString() !== 'small');
    const small = allSends().find((s) => s.body.toString() === 'small');
    expect(zipped!.header.sysFlag & MessageSysFlag.COMPRESSED_FLAG).toBe(MessageSysFlag.COMPRESSED_FLAG);
    expect(zipped!.body.length).toBeLessThan(big.length);
    expect(inflateSync(zipped!.body).equals(big)).toBe(true);
    expect(small?.header.sysFlag).toBe(0);
  });

  it('carries delay level and delivery time as DELAY and TIMER_DELIVER_MS', async () => {
    const producer = await startProducer();
    await producer.send({ topic: 'TopicTest', body: 'later', delayLevel: 3 });
    await producer.send({ topic: 'TopicTest', body: 'at', deliverTimeMs: 1_900_000_000_000 });
    const propsOf = (body: string) =>
      decodeProperties(allSends().find((s) => s.body.toString() === body)?.header.properties ?? '');
    expect(propsOf('later').DELAY).toBe('3');
    expect(propsOf('at').TIMER_DELIVER_MS).toBe('1900000000000');
  });

  it('retries on the other broker when one answers SYSTEM_BUSY, then avoids it', async () => {
    brokerA.failWith = ResponseCode.SYSTEM_BUSY;
    const producer = await startProducer();
    for (let i = 0; i < 6; i++) {
      const result = await producer.send({ topic: 'TopicTest', body: `r${i}` });
      expect(result.messageQueue.brokerName).toBe('broker-b');
    }
    expect(brokerB.sends).toHaveLength(6);
    expect(producer.faults.isAvailable('broker-a')).toBe(false);
    expect(producer.faults.avoidedBrokers()).toEqual(['broker-a']);
  });

  it('fails with the broker error when every broker is busy', async () => {
    brokerA.failWith = ResponseCode.SYSTEM_BUSY;
    brokerB.failWith = ResponseCode.SYSTEM_BUSY;
    const producer = await startProducer();
    const err = await producer.send({ topic: 'TopicTest', body: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RocketMQError);
    expect(err).toMatchObject({ code: 'SYSTEM_BUSY', retriable: true });
  });

  it('does not retry a non-retriable error', async () => {
    brokerA.failWith = ResponseCode.MESSAGE_ILLEGAL;
    brokerB.failWith = ResponseCode.MESSAGE_ILLEGAL;
    const producer = await startProducer();
    await expect(producer.send({ topic: 'TopicTest', body: 'x' })).rejects.toMatchObject({ code: 'MESSAGE_ILLEGAL' });
    expect(allSends()).toHaveLength(0);
  });

  it('prefixes topic and group with the namespace and strips it from results', async () => {
    const producer = await startProducer({ namespace: 'ns1' });
    const result = await producer.send({ topic: 'TopicNs', body: 'tenant' });
    expect(result.messageQueue.topic).toBe('TopicNs');
    expect(brokerA.sends[0]?.header).toMatchObject({ topic: 'ns1%TopicNs', producerGroup: 'ns1%pg' });
  });

  it('rejects reserved property keys with a typed error', async () => {
    const producer = await startProducer();
    const err = await producer
      .send({ topic: 'TopicTest', body: 'x', properties: { UNIQ_KEY: 'mine' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RocketMQError);
    expect(err).toMatchObject({ code: 'INVALID_PARAMETER' });
    await expect(producer.send({ topic: 'TopicTest', body: '' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
  });

  it('sends to an unknown topic through the TBW102 route so the broker can auto-create it', async () => {
    const producer = await startProducer();
    const result = await producer.send({ topic: 'BrandNewTopic', body: 'auto' });
    expect(result.messageQueue.brokerName).toBe('broker-a'); // only broker-a hosts TBW102
    expect(result.messageQueue.queueId).toBeLessThan(4); // min(defaultTopicQueueNums 4, 8 queues)
    expect(brokerA.sends[0]?.header).toMatchObject({
      topic: 'BrandNewTopic',
      defaultTopic: 'TBW102',
      defaultTopicQueueNums: 4,
    });
  });

  it('rejects with the abort reason when the signal is aborted', async () => {
    const producer = await startProducer();
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(producer.send({ topic: 'TopicTest', body: 'x' }, { signal: controller.signal })).rejects.toThrow(
      'stop',
    );
    expect(allSends()).toHaveLength(0);
  });

  it('refuses to send before start and after shutdown', async () => {
    const producer = new Producer({ namesrvAddr: ns.addr });
    await expect(producer.send({ topic: 'TopicTest', body: 'x' })).rejects.toMatchObject({
      code: 'SERVICE_NOT_AVAILABLE',
    });
    await producer.start();
    await producer.shutdown();
    await expect(producer.send({ topic: 'TopicTest', body: 'x' })).rejects.toMatchObject({
      code: 'SERVICE_NOT_AVAILABLE',
    });
  });

  it('heartbeats its group to the brokers it discovers and unregisters on shutdown', async () => {
    const producer = await startProducer();
    await producer.send({ topic: 'TopicTest', body: 'x' });
    await until(() => brokerA.heartbeats.length > 0 && brokerB.heartbeats.length > 0, 'heartbeats');
    expect(brokerA.heartbeats[0]).toMatchObject({
      clientID: producer.client.clientId,
      producerDataSet: [{ groupName: 'pg' }],
      consumerDataSet: [],
    });
    await producer.shutdown();
    expect(brokerA.unregisters[0]).toMatchObject({ clientID: producer.client.clientId, producerGroup: 'pg' });
  });
});
