import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OFFSET_NOT_FOUND_REMARK } from '../../../src/broker/processors/offsets.js';
import { defaultSubscriptionGroupConfig } from '../../../src/broker/subscription-group-manager.js';
import type { RemotingCommand } from '../../../src/protocol/command.js';
import { parseJson } from '../../../src/protocol/fastjson.js';
import { RequestCode } from '../../../src/protocol/request-code.js';
import { ResponseCode } from '../../../src/protocol/response-code.js';
import type { MessageToStore } from '../../../src/store/message-store.js';
import { type ClientsHarness, heartbeatBody, startClientsHarness } from './harness.js';

let h: ClientsHarness;
beforeEach(async () => {
  h = await startClientsHarness();
  h.topics.add('TopicTest', 2);
});
afterEach(async () => {
  await h.close();
});

function message(queueId: number, bornTimestamp: number): MessageToStore {
  return {
    topic: 'TopicTest',
    queueId,
    flag: 0,
    sysFlag: 0,
    bornTimestamp,
    bornHost: { host: '10.0.0.1', port: 5555 },
    body: Buffer.from('hello'),
    properties: 'TAGS\u0001TagA\u0002',
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    tags: 'TagA',
  };
}

/** Puts `count` messages on queue 0 and returns their store timestamps. */
async function putMessages(count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const result = await h.store.putMessage(message(0, 1_700_000_000_000 + i));
    expect(result.status).toBe('PUT_OK');
    times.push(result.storeTimestamp);
    await new Promise((r) => setTimeout(r, 3));
  }
  return times;
}

const q0 = { consumerGroup: 'cg', topic: 'TopicTest', queueId: '0' };

describe('QUERY_CONSUMER_OFFSET / UPDATE_CONSUMER_OFFSET', () => {
  it('QUERY_NOT_FOUND on an empty queue, 0 once the queue head is in memory, the commit afterwards', async () => {
    let res = await h.invoke(RequestCode.QUERY_CONSUMER_OFFSET, q0);
    expect(res.code).toBe(ResponseCode.QUERY_NOT_FOUND);
    expect(res.remark).toBe(OFFSET_NOT_FOUND_REMARK);
    await putMessages(3);
    res = await h.invoke(RequestCode.QUERY_CONSUMER_OFFSET, q0);
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(res.extFields).toEqual({ offset: '0' });
    res = await h.invoke(RequestCode.QUERY_CONSUMER_OFFSET, { ...q0, setZeroIfNotFound: 'false' });
    expect(res.code).toBe(ResponseCode.QUERY_NOT_FOUND);

    await h.invoke(RequestCode.HEART_BEAT, {}, heartbeatBody('A@1', { group: 'cg' }));
    res = await h.invoke(RequestCode.UPDATE_CONSUMER_OFFSET, { ...q0, commitOffset: '2' });
    expect(res.code).toBe(ResponseCode.SUCCESS);
    // ali-ons sends -1 for 0: ignored
    res = await h.invoke(RequestCode.UPDATE_CONSUMER_OFFSET, { ...q0, commitOffset: '-1' });
    expect(res.code).toBe(ResponseCode.SUCCESS);
    res = await h.invoke(RequestCode.QUERY_CONSUMER_OFFSET, q0);
    expect(res.extFields).toEqual({ offset: '2' });

    // shutdown persists consumerOffset.json in fastjson form
    await h.services.shutdown();
    const file = await readFile(join(h.dir, 'config', 'consumerOffset.json'), 'utf8');
    expect(file).toBe('{"offsetTable":{"TopicTest@cg":{0:2}}}');
  });

  it('refuses commits for unknown topics, unknown groups and out-of-range queues', async () => {
    h.config.autoCreateSubscriptionGroup = false;
    let res = await h.invoke(RequestCode.UPDATE_CONSUMER_OFFSET, { ...q0, topic: 'Nope', commitOffset: '1' });
    expect(res.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    res = await h.invoke(RequestCode.UPDATE_CONSUMER_OFFSET, { ...q0, commitOffset: '1' });
    expect(res.code).toBe(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST);
    await h.services.subscriptionGroups.upsert(defaultSubscriptionGroupConfig('cg'));
    res = await h.invoke(RequestCode.UPDATE_CONSUMER_OFFSET, { ...q0, queueId: '2', commitOffset: '1' });
    expect(res.code).toBe(ResponseCode.INVALID_PARAMETER);
  });

  it('answers malformed headers with SYSTEM_ERROR naming the field', async () => {
    let res = await h.invoke(RequestCode.QUERY_CONSUMER_OFFSET, { topic: 'TopicTest', queueId: '0' });
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toContain('consumerGroup');
    res = await h.invoke(RequestCode.UPDATE_CONSUMER_OFFSET, { ...q0, commitOffset: 'ten' });
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toContain('commitOffset');
    res = await h.invoke(RequestCode.GET_MAX_OFFSET, { topic: 'TopicTest', queueId: '99999999999' });
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    res = await h.invoke(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, { topic: 'TopicTest', queueId: '0' });
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toContain('timestamp');
  });
});

describe('queue offsets and times', () => {
  it('GET_MAX_OFFSET, GET_MIN_OFFSET, GET_EARLIEST_MSG_STORETIME and SEARCH_OFFSET_BY_TIMESTAMP', async () => {
    const queue = { topic: 'TopicTest', queueId: '0' };
    expect((await h.invoke(RequestCode.GET_MAX_OFFSET, queue)).extFields).toEqual({ offset: '0' });
    const times = await putMessages(4);
    expect((await h.invoke(RequestCode.GET_MAX_OFFSET, queue)).extFields).toEqual({ offset: '4' });
    expect((await h.invoke(RequestCode.GET_MIN_OFFSET, queue)).extFields).toEqual({ offset: '0' });
    const earliest = await h.invoke(RequestCode.GET_EARLIEST_MSG_STORETIME, queue);
    expect(earliest.code).toBe(ResponseCode.SUCCESS);
    expect(earliest.extFields).toEqual({ timestamp: String(times[0]) });
    const search = await h.invoke(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, { ...queue, timestamp: String(times[2]) });
    expect(search.code).toBe(ResponseCode.SUCCESS);
    expect(search.extFields).toEqual({ offset: '2' });
    const before = await h.invoke(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, { ...queue, timestamp: '1' });
    expect(before.extFields).toEqual({ offset: '0' });
  });
});

function body(res: RemotingCommand): Record<string, unknown> {
  return parseJson(res.body ?? Buffer.alloc(0)) as Record<string, unknown>;
}

describe('subscription group admin', () => {
  it('creates, lists and deletes groups (with their offsets)', async () => {
    let res = await h.invoke(
      RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
      {},
      JSON.stringify({ groupName: 'orderly', consumeMessageOrderly: true, retryMaxTimes: 3 }),
    );
    expect(res.code).toBe(ResponseCode.SUCCESS);
    res = await h.invoke(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG);
    expect(res.code).toBe(ResponseCode.SUCCESS);
    const wrapper = body(res) as {
      subscriptionGroupTable: Record<string, Record<string, unknown>>;
      dataVersion: object;
    };
    expect(wrapper.subscriptionGroupTable.orderly).toMatchObject({
      groupName: 'orderly',
      consumeMessageOrderly: true,
      retryMaxTimes: 3,
      retryQueueNums: 1,
      consumeEnable: true,
    });
    expect(wrapper.dataVersion).toMatchObject({ counter: 1 });

    h.services.consumerOffsets.commit('h', 'orderly', 'TopicTest', 0, 5);
    res = await h.invoke(RequestCode.DELETE_SUBSCRIPTIONGROUP, { groupName: 'orderly', cleanOffset: 'true' });
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(h.services.subscriptionGroups.get('orderly')).toBeUndefined();
    expect(h.services.consumerOffsets.query('orderly', 'TopicTest', 0)).toBe(-1);
    const saved = JSON.parse(await readFile(join(h.dir, 'config', 'subscriptionGroup.json'), 'utf8'));
    expect(saved.subscriptionGroupTable).toEqual({});
  });

  it('rejects bodies that are not a SubscriptionGroupConfig', async () => {
    let res = await h.invoke(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP);
    expect(res.code).toBe(ResponseCode.INVALID_PARAMETER);
    res = await h.invoke(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, {}, '{"consumeEnable":true}');
    expect(res.code).toBe(ResponseCode.INVALID_PARAMETER);
    res = await h.invoke(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, {}, '{groupName:');
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    res = await h.invoke(RequestCode.DELETE_SUBSCRIPTIONGROUP, {});
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(h.services.subscriptionGroups.all()).toEqual([]);
  });
});

describe('connection lists and consume stats', () => {
  it('CONSUMER_NOT_ONLINE and an unknown producer group are errors', async () => {
    const consumers = await h.invoke(RequestCode.GET_CONSUMER_CONNECTION_LIST, { consumerGroup: 'ghost' });
    expect(consumers.code).toBe(ResponseCode.CONSUMER_NOT_ONLINE);
    expect(consumers.remark).toBe('the consumer group[ghost] not online');
    const producers = await h.invoke(RequestCode.GET_PRODUCER_CONNECTION_LIST, { producerGroup: 'ghost' });
    expect(producers.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect((await h.invoke(RequestCode.GET_CONSUMER_CONNECTION_LIST, {})).code).toBe(ResponseCode.SYSTEM_ERROR);
  });

  it('GET_CONSUME_STATS: per queue broker offset, consumer offset, lag and last timestamp, MessageQueue keys', async () => {
    const times = await putMessages(5);
    await h.invoke(RequestCode.HEART_BEAT, {}, heartbeatBody('A@1', { group: 'cg' }));
    await h.invoke(RequestCode.UPDATE_CONSUMER_OFFSET, { ...q0, commitOffset: '3' });
    const res = await h.invoke(RequestCode.GET_CONSUME_STATS, { consumerGroup: 'cg', topic: 'TopicTest' });
    expect(res.code).toBe(ResponseCode.SUCCESS);
    const text = res.body?.toString('utf8') ?? '';
    // fastjson form: MessageQueue objects as keys
    expect(text).toContain('{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:{');
    const stats = body(res) as { consumeTps: number; offsetTable: Record<string, Record<string, number>> };
    expect(stats.consumeTps).toBe(0);
    expect(stats.offsetTable['{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}']).toEqual({
      brokerOffset: 5,
      consumerOffset: 3,
      pullOffset: 3,
      lag: 2,
      lastTimestamp: times[2],
    });
    expect(stats.offsetTable['{"brokerName":"broker-a","queueId":1,"topic":"TopicTest"}']).toEqual({
      brokerOffset: 0,
      consumerOffset: 0,
      pullOffset: 0,
      lag: 0,
      lastTimestamp: 0,
    });
    // without a topic: the topics the group has offsets for
    const all = await h.invoke(RequestCode.GET_CONSUME_STATS, { consumerGroup: 'cg' });
    expect(Object.keys((body(all) as { offsetTable: object }).offsetTable)).toHaveLength(2);
    const none = await h.invoke(RequestCode.GET_CONSUME_STATS, { consumerGroup: 'cg', topic: 'Unknown' });
    expect(body(none)).toEqual({ consumeTps: 0, offsetTable: {} });
    expect((await h.invoke(RequestCode.GET_CONSUME_STATS, {})).code).toBe(ResponseCode.SYSTEM_ERROR);
  });
});
