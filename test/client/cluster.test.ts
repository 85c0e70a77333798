/**
 * The client against the real NameServer and broker (src/namesrv, src/broker) over 127.0.0.1: sends are pulled
 * back raw from the broker and checked record by record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import { Producer } from '../../src/client/producer.js';
import { PullMessageResponseHeader } from '../../src/protocol/headers/pull.js';
import { type MessageExt, toMessageExt } from '../../src/protocol/message/message.js';
import { decodeRecords } from '../../src/protocol/message/record.js';
import { MessageSysFlag } from '../../src/protocol/message/sysflag.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { pullRequest, startTestBroker, type TestBroker } from '../broker/broker-harness.js';
import { startTestNamesrv, type TestNamesrv } from '../namesrv/helpers.js';

let ns: TestNamesrv;
let broker: TestBroker;
let producer: Producer;
let admin: Admin;

/** Pulls queue `queueId` of `topic` from `offset`, raw records as stored (nothing inflated by the broker). */
async function pullRaw(
  topic: string,
  queueId: number,
  offset = 0,
): Promise<{ sysFlags: number[]; messages: MessageExt[] }> {
  const response = await broker.invoke(pullRequest(topic, queueId, offset));
  if (response.code !== ResponseCode.SUCCESS) return { sysFlags: [], messages: [] };
  PullMessageResponseHeader.decode(response.extFields);
  const records = decodeRecords(response.body ?? Buffer.alloc(0));
  return { sysFlags: records.map((r) => r.sysFlag), messages: records.map(toMessageExt) };
}

beforeAll(async () => {
  ns = await startTestNamesrv();
  broker = await startTestBroker({ namesrvAddr: ns.addr, brokerName: 'broker-local' });
  producer = new Producer({ namesrvAddr: ns.addr, groupName: 'cluster-pg', clientIP: '127.0.0.1' });
  await producer.start();
  admin = new Admin({ namesrvAddr: ns.addr });
  await admin.start();
});

afterAll(async () => {
  await producer?.shutdown();
  await admin?.shutdown();
  await broker?.close();
  await ns?.close();
});

describe('client against the local NameServer and broker', () => {
  it('creates a topic with the admin, sends to it and reads the stored record back', async () => {
    expect(await admin.createTopic('ClientTopic', { readQueueNums: 2, writeQueueNums: 2 })).toEqual([broker.addr]);
    const route = await admin.topicRoute('ClientTopic');
    expect(route.queueDatas[0]).toMatchObject({ brokerName: 'broker-local', writeQueueNums: 2 });

    const result = await producer.send({
      topic: 'ClientTopic',
      body: 'stored',
      tags: 'TagA',
      keys: 'k-1',
      properties: { a: 'b' },
    });
    expect(result.status).toBe('SEND_OK');
    const { messages } = await pullRaw('ClientTopic', result.messageQueue.queueId, result.queueOffset);
    expect(messages[0]).toMatchObject({
      topic: 'ClientTopic',
      msgId: result.msgId,
      offsetMsgId: result.offsetMsgId,
      tags: 'TagA',
      keys: 'k-1',
      queueOffset: result.queueOffset,
    });
    expect(messages[0]?.properties.a).toBe('b');
    expect(messages[0]?.body.toString()).toBe('stored');
  });

  it('stores a large body compressed (COMPRESSED_FLAG in the record) that inflates to the original', async () => {
    const big = Buffer.alloc(20_000, 'rocketmq-ts ');
    const result = await producer.send({ topic: 'ClientTopic', body: big });
    const { sysFlags, messages } = await pullRaw('ClientTopic', result.messageQueue.queueId, result.queueOffset);
    expect((sysFlags[0] ?? 0) & MessageSysFlag.COMPRESSED_FLAG).toBe(MessageSysFlag.COMPRESSED_FLAG);
    expect(messages[0]?.body.equals(big)).toBe(true);
  });

  it('auto-creates an unknown topic through TBW102', async () => {
    const result = await producer.send({ topic: 'AutoCreatedByClient', body: 'first' });
    expect(result.status).toBe('SEND_OK');
    const { messages } = await pullRaw('AutoCreatedByClient', result.messageQueue.queueId, 0);
    expect(messages.map((m) => m.body.toString())).toEqual(['first']);
  });

  it('stores a batch as consecutive offsets of one queue', async () => {
    const result = await producer.sendBatch([
      { topic: 'ClientTopic', body: 'b1' },
      { topic: 'ClientTopic', body: 'b2' },
      { topic: 'ClientTopic', body: 'b3' },
    ]);
    const { messages } = await pullRaw('ClientTopic', result.messageQueue.queueId, result.queueOffset);
    expect(messages.slice(0, 3).map((m) => m.body.toString())).toEqual(['b1', 'b2', 'b3']);
    expect(messages.slice(0, 3).map((m) => m.msgId)).toEqual(result.msgId.split(','));
  });

  it('keeps one sharding key on one queue, in order', async () => {
    const results = [];
    for (let i = 0; i < 5; i++) {
      results.push(await producer.send({ topic: 'ClientTopic', body: `seq-${i}`, shardingKey: 'account-7' }));
    }
    const queueIds = new Set(results.map((r) => r.messageQueue.queueId));
    expect(queueIds.size).toBe(1);
    const offsets = results.map((r) => r.queueOffset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
  });

  it('reports topic status and cluster info from the admin', async () => {
    const status = await admin.topicStatus('ClientTopic');
    expect(status.map((s) => s.messageQueue.queueId)).toEqual([0, 1]);
    expect(status.reduce((sum, s) => sum + s.maxOffset, 0)).toBeGreaterThanOrEqual(10);
    const info = await admin.clusterInfo();
    expect(info.brokerAddrTable['broker-local']?.brokerAddrs['0']).toBe(broker.addr);
  });

  it('creates a subscription group and reads its progress with lag', async () => {
    await admin.createSubscriptionGroup('cluster-cg');
    const progress = await admin.consumeProgress('cluster-cg', 'ClientTopic');
    expect(progress.queues.length).toBeGreaterThan(0);
    expect(progress.totalLag).toBe(
      progress.queues.reduce((sum, q) => sum + q.brokerOffset, 0) -
        progress.queues.reduce((s, q) => s + Math.max(0, q.consumerOffset), 0),
    );
    await admin.deleteSubscriptionGroup('cluster-cg');
  });

  it('deletes a topic from broker and NameServer in one call', async () => {
    await admin.createTopic('ShortLived', { readQueueNums: 1, writeQueueNums: 1 });
    await admin.deleteTopic('ShortLived');
    await expect(admin.topicRoute('ShortLived')).rejects.toMatchObject({ code: 'TOPIC_NOT_EXIST' });
    expect(await admin.listTopics()).not.toContain('ShortLived');
  });

  it('heartbeats the producer group to the broker', async () => {
    await producer.client.sendHeartbeatToAllBrokers();
    expect(producer.client.allBrokerAddresses()).toEqual([broker.addr]);
  });
});
