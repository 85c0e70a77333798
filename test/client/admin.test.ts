import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.js';
import { RocketMQError } from '../../src/common/errors.js';
import { createResponse, type RemotingCommand } from '../../src/protocol/command.js';
import { UNIQUE_KEY_QUERY_EXT_KEY } from '../../src/protocol/headers/query.js';
import { createOffsetMsgId } from '../../src/protocol/message/message-id.js';
import { encodeProperties } from '../../src/protocol/message/properties.js';
import { encodeRecord } from '../../src/protocol/message/record.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { startTestNamesrv, type TestNamesrv } from '../namesrv/helpers.js';
import { FakeBroker } from './fake-broker.js';

let ns: TestNamesrv;
let brokerA: FakeBroker;
let brokerB: FakeBroker;
let admin: Admin;
const received: Record<string, RemotingCommand[]> = {};

const ok = (request: RemotingCommand, body?: string) =>
  createResponse(request, ResponseCode.SUCCESS, { body: body === undefined ? undefined : Buffer.from(body) });

/** Records every request of `code` on `broker` and answers with `answer`. */
function serve(broker: FakeBroker, code: number, answer: (request: RemotingCommand) => RemotingCommand): void {
  broker.handle(code, (request) => {
    const key = `${broker.options.brokerName}:${code}`;
    received[key] = [...(received[key] ?? []), request];
    return answer(request);
  });
}

const UNIQ = '7F000001A1B2C3D4E5F60000000A0001';

function record(broker: FakeBroker, physicalOffset: number, props: Record<string, string>, body: string): Buffer {
  return encodeRecord({
    topic: 'TopicTest',
    queueId: 1,
    flag: 0,
    queueOffset: 5,
    physicalOffset,
    sysFlag: 0,
    bornTimestamp: 1_700_000_000_000,
    bornHost: { host: '127.0.0.1', port: 40000 },
    storeTimestamp: 1_700_000_000_500,
    storeHost: { host: '127.0.0.1', port: broker.port },
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    body: Buffer.from(body),
    properties: encodeProperties(props),
  });
}

beforeEach(async () => {
  for (const key of Object.keys(received)) delete received[key];
  ns = await startTestNamesrv();
  brokerA = new FakeBroker({ brokerName: 'broker-a', namesrvAddr: ns.addr, topics: { TopicTest: 2 } });
  brokerB = new FakeBroker({
    brokerName: 'broker-b',
    clusterName: 'OtherCluster',
    namesrvAddr: ns.addr,
    topics: { TopicTest: 2 },
  });
  await brokerA.start();
  await brokerB.start();
  admin = new Admin({ namesrvAddr: ns.addr });
  await admin.start();
});

afterEach(async () => {
  await admin.shutdown();
  await brokerA.close();
  await brokerB.close();
  await ns.close();
});

describe('Admin: cluster and topics', () => {
  it('reads the cluster info, topic list and topic route from the NameServer', async () => {
    const info = await admin.clusterInfo();
    expect(info.clusterAddrTable).toEqual({ DefaultCluster: ['broker-a'], OtherCluster: ['broker-b'] });
    expect(info.brokerAddrTable['broker-a']?.brokerAddrs['0']).toBe(brokerA.addr);
    expect(await admin.listTopics()).toContain('TopicTest');
    const route = await admin.topicRoute('TopicTest');
    expect(route.queueDatas.map((q) => q.brokerName).sort()).toEqual(['broker-a', 'broker-b']);
  });

  it('creates a topic on every master of a cluster, or of all clusters', async () => {
    for (const b of [brokerA, brokerB]) serve(b, RequestCode.UPDATE_AND_CREATE_TOPIC, (r) => ok(r));
    expect(
      await admin.createTopic('Tenant42', { clusterName: 'DefaultCluster', readQueueNums: 4, writeQueueNums: 4 }),
    ).toEqual([brokerA.addr]);
    expect(received[`broker-a:${RequestCode.UPDATE_AND_CREATE_TOPIC}`]?.[0]?.extFields).toMatchObject({
      topic: 'Tenant42',
      readQueueNums: '4',
      writeQueueNums: '4',
      perm: '6',
      topicFilterType: 'SINGLE_TAG',
      order: 'false',
    });
    expect((await admin.createTopic('Everywhere')).sort()).toEqual([brokerA.addr, brokerB.addr].sort());
    await expect(admin.createTopic('X', { clusterName: 'Nope' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
  });

  it('surfaces a broker refusal as a typed error', async () => {
    serve(brokerA, RequestCode.UPDATE_AND_CREATE_TOPIC, (r) =>
      createResponse(r, ResponseCode.NO_PERMISSION, { remark: 'not allowed' }),
    );
    const err = await admin.createTopic('T', { brokerAddr: brokerA.addr }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RocketMQError);
    expect(err).toMatchObject({ code: 'NO_PERMISSION', message: 'not allowed' });
  });

  it('deletes a topic from the brokers and from the NameServer', async () => {
    for (const b of [brokerA, brokerB]) serve(b, RequestCode.DELETE_TOPIC_IN_BROKER, (r) => ok(r));
    await admin.deleteTopic('TopicTest');
    expect(received[`broker-a:${RequestCode.DELETE_TOPIC_IN_BROKER}`]?.[0]?.extFields?.topic).toBe('TopicTest');
    expect(received[`broker-b:${RequestCode.DELETE_TOPIC_IN_BROKER}`]).toHaveLength(1);
    await expect(admin.topicRoute('TopicTest')).rejects.toMatchObject({ code: 'TOPIC_NOT_EXIST' });
  });

  it('reports topic status from each broker, reading MessageQueue object keys', async () => {
    for (const b of [brokerA, brokerB]) {
      const name = b.options.brokerName;
      // fastjson writes MessageQueue map keys as raw JSON objects (reference §4.8)
      serve(b, RequestCode.GET_TOPIC_STATS_INFO, (r) =>
        ok(
          r,
          `{"offsetTable":{{"brokerName":"${name}","queueId":0,"topic":"TopicTest"}:{"lastUpdateTimestamp":1700000000000,"maxOffset":10,"minOffset":2}}}`,
        ),
      );
    }
    const status = await admin.topicStatus('TopicTest');
    expect(status).toEqual([
      {
        messageQueue: { topic: 'TopicTest', brokerName: 'broker-a', queueId: 0 },
        minOffset: 2,
        maxOffset: 10,
        lastUpdateTimestamp: 1_700_000_000_000,
      },
      {
        messageQueue: { topic: 'TopicTest', brokerName: 'broker-b', queueId: 0 },
        minOffset: 2,
        maxOffset: 10,
        lastUpdateTimestamp: 1_700_000_000_000,
      },
    ]);
  });
});

describe('Admin: groups and consumers', () => {
  it('creates and deletes subscription groups', async () => {
    serve(brokerA, RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, (r) => ok(r));
    serve(brokerA, RequestCode.DELETE_SUBSCRIPTIONGROUP, (r) => ok(r));
    await admin.createSubscriptionGroup('cg1', {
      brokerAddr: brokerA.addr,
      retryMaxTimes: 3,
      consumeMessageOrderly: true,
    });
    const body = JSON.parse(
      received[`broker-a:${RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP}`]?.[0]?.body?.toString() ?? '',
    );
    expect(body).toMatchObject({
      groupName: 'cg1',
      retryMaxTimes: 3,
      consumeMessageOrderly: true,
      consumeEnable: true,
    });
    expect(body.brokerAddr).toBeUndefined();
    await admin.deleteSubscriptionGroup('cg1', { brokerAddr: brokerA.addr, cleanOffset: true });
    expect(received[`broker-a:${RequestCode.DELETE_SUBSCRIPTIONGROUP}`]?.[0]?.extFields).toMatchObject({
      groupName: 'cg1',
      cleanOffset: 'true',
    });
  });

  it('sums consumer progress and per-queue lag over the brokers', async () => {
    serve(brokerA, RequestCode.GET_CONSUME_STATS, (r) =>
      ok(
        r,
        '{"consumeTps":1.5,"offsetTable":{{"brokerName":"broker-a","queueId":1,"topic":"TopicTest"}:{"brokerOffset":100,"consumerOffset":40,"lastTimestamp":1700000000000,"pullOffset":50},' +
          '{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:{"brokerOffset":7,"consumerOffset":7,"lastTimestamp":0,"pullOffset":7}}}',
      ),
    );
    serve(brokerB, RequestCode.GET_CONSUME_STATS, (r) =>
      ok(
        r,
        '{"consumeTps":0.0,"offsetTable":{{"brokerName":"broker-b","queueId":0,"topic":"TopicTest"}:{"brokerOffset":5,"consumerOffset":-1,"lastTimestamp":0,"pullOffset":0}}}',
      ),
    );
    const progress = await admin.consumeProgress('cg1', 'TopicTest');
    expect(received[`broker-a:${RequestCode.GET_CONSUME_STATS}`]?.[0]?.extFields).toMatchObject({
      consumerGroup: 'cg1',
      topic: 'TopicTest',
    });
    expect(progress.consumeTps).toBe(1.5);
    expect(progress.queues.map((q) => [q.messageQueue.brokerName, q.messageQueue.queueId, q.lag])).toEqual([
      ['broker-a', 0, 0],
      ['broker-a', 1, 60],
      ['broker-b', 0, 5],
    ]);
    expect(progress.totalLag).toBe(65);
  });

  it('lists consumer connections, and reports CONSUMER_NOT_ONLINE', async () => {
    serve(brokerA, RequestCode.GET_CONSUMER_CONNECTION_LIST, (r) =>
      r.extFields?.consumerGroup === 'cg1'
        ? ok(
            r,
            '{"connectionSet":[{"clientAddr":"10.0.0.9:50000","clientId":"10.0.0.9@1#2","language":"JAVA","version":479}],' +
              '"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING",' +
              '"subscriptionTable":{"TopicTest":{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1,"tagsSet":[],"topic":"TopicTest"}}}',
          )
        : createResponse(r, ResponseCode.CONSUMER_NOT_ONLINE, { remark: 'the consumer group not online' }),
    );
    serve(brokerB, RequestCode.GET_CONSUMER_CONNECTION_LIST, (r) =>
      createResponse(r, ResponseCode.CONSUMER_NOT_ONLINE, { remark: 'the consumer group not online' }),
    );
    const conn = await admin.consumerConnections('cg1');
    expect(conn.connections).toEqual([
      { clientAddr: '10.0.0.9:50000', clientId: '10.0.0.9@1#2', language: 'JAVA', version: 479 },
    ]);
    expect(conn).toMatchObject({ messageModel: 'CLUSTERING', consumeType: 'CONSUME_PASSIVELY' });
    expect(conn.subscriptions.TopicTest?.subString).toBe('*');
    await expect(admin.consumerConnections('nobody')).rejects.toMatchObject({ code: 'CONSUMER_NOT_ONLINE' });
  });

  it("reads a Java client's running info through a broker holding it, and reports a client not online", async () => {
    // A Java 4.x client's ConsumerRunningInfo as fastjson writes it: MessageQueue objects as raw keys, `droped`.
    const javaBody =
      '{"mqTable":{{"brokerName":"broker-a","queueId":1,"topic":"TopicTest"}:{"cachedMsgCount":2,"cachedMsgMaxOffset":41,' +
      '"cachedMsgMinOffset":40,"cachedMsgSizeInMiB":0,"commitOffset":40,"droped":false,"lastConsumeTimestamp":1700000000500,' +
      '"lastLockTimestamp":0,"lastPullTimestamp":1700000000400,"locked":false,"transactionMsgCount":0,' +
      '"transactionMsgMaxOffset":0,"transactionMsgMinOffset":0,"tryUnlockTimes":0},' +
      '{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:{"cachedMsgCount":0,"commitOffset":12,"droped":true}},' +
      '"properties":{"PROP_CONSUME_TYPE":"CONSUME_PASSIVELY","PROP_CONSUMER_START_TIMESTAMP":"1700000000000",' +
      '"consumeThreadMin":"20"},"statusTable":{"TopicTest":{"consumeFailedMsgs":3,"consumeFailedTPS":0.0,"consumeOKTPS":12.5,' +
      '"consumeRT":1.25,"pullRT":0.5,"pullTPS":13.0}},"subscriptionSet":[{"classFilterMode":false,"codeSet":[],' +
      '"expressionType":"TAG","subString":"*","subVersion":1,"tagsSet":[],"topic":"TopicTest"}]}';
    const groups: Record<string, string> = {};
    serve(brokerA, RequestCode.GET_CONSUMER_RUNNING_INFO, (r) => {
      groups[r.extFields!.clientId!] = r.extFields!.consumerGroup!;
      return r.extFields?.clientId === '10.0.0.9@1#2'
        ? ok(r, javaBody)
        : createResponse(r, ResponseCode.SYSTEM_ERROR, {
            remark: `The Consumer <cg1> <${r.extFields?.clientId}> not online`,
          });
    });
    serve(brokerB, RequestCode.GET_CONSUMER_RUNNING_INFO, (r) =>
      createResponse(r, ResponseCode.SYSTEM_ERROR, {
        remark: `The Consumer <cg1> <${r.extFields?.clientId}> not online`,
      }),
    );
    const info = await admin.consumerRunningInfo('cg1', '10.0.0.9@1#2');
    expect(groups['10.0.0.9@1#2']).toBe('cg1');
    expect(info.properties).toEqual({
      PROP_CONSUME_TYPE: 'CONSUME_PASSIVELY',
      PROP_CONSUMER_START_TIMESTAMP: '1700000000000',
      consumeThreadMin: '20',
    });
    expect(info.subscriptions).toEqual([{ topic: 'TopicTest', subString: '*', expressionType: 'TAG' }]);
    expect(info.queues.map((q) => [q.messageQueue.queueId, q.commitOffset, q.cachedMsgCount, q.dropped])).toEqual([
      [0, 12, 0, true],
      [1, 40, 2, false],
    ]);
    expect(info.queues[1]).toMatchObject({
      cachedMsgMinOffset: 40,
      cachedMsgMaxOffset: 41,
      lastPullTimestamp: 1700000000400,
    });
    expect(info.status.TopicTest).toEqual({
      pullRT: 0.5,
      pullTPS: 13,
      consumeRT: 1.25,
      consumeOKTPS: 12.5,
      consumeFailedTPS: 0,
      consumeFailedMsgs: 3,
    });
    expect(info.jstack).toBeUndefined();
    await expect(admin.consumerRunningInfo('cg1', '10.0.0.7@gone')).rejects.toMatchObject({ code: 'SYSTEM_ERROR' });
  });

  it('resets offsets by time on each broker of the topic', async () => {
    for (const b of [brokerA, brokerB]) {
      const name = b.options.brokerName;
      serve(b, RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, (r) =>
        ok(r, `{"offsetTable":{{"brokerName":"${name}","queueId":0,"topic":"TopicTest"}:12}}`),
      );
    }
    const offsets = await admin.resetOffsetByTime('cg1', 'TopicTest', 1_700_000_000_000);
    expect(offsets).toEqual([
      { messageQueue: { topic: 'TopicTest', brokerName: 'broker-a', queueId: 0 }, offset: 12 },
      { messageQueue: { topic: 'TopicTest', brokerName: 'broker-b', queueId: 0 }, offset: 12 },
    ]);
    expect(received[`broker-a:${RequestCode.INVOKE_BROKER_TO_RESET_OFFSET}`]?.[0]?.extFields).toMatchObject({
      group: 'cg1',
      topic: 'TopicTest',
      timestamp: '1700000000000',
      isForce: 'true',
    });
  });
});

describe('Admin: messages', () => {
  it('views a message by offset message id on the broker the id names', async () => {
    serve(brokerA, RequestCode.VIEW_MESSAGE_BY_ID, (r) =>
      createResponse(r, ResponseCode.SUCCESS, {
        body: record(brokerA, Number(r.extFields?.offset), { UNIQ_KEY: UNIQ, KEYS: 'order-1' }, 'viewed'),
      }),
    );
    const id = createOffsetMsgId({ host: '127.0.0.1', port: brokerA.port }, 4096);
    const msg = await admin.viewMessage(id);
    expect(msg).toMatchObject({ topic: 'TopicTest', msgId: UNIQ, offsetMsgId: id, commitLogOffset: 4096 });
    expect(msg.body.toString()).toBe('viewed');
    expect((await admin.queryMessageById('TopicTest', id)).offsetMsgId).toBe(id);
  });

  it('queries a message by UNIQ_KEY with _UNIQUE_KEY_QUERY', async () => {
    serve(brokerA, RequestCode.QUERY_MESSAGE, (r) =>
      r.extFields?.[UNIQUE_KEY_QUERY_EXT_KEY] === 'true' && r.extFields?.key === UNIQ
        ? createResponse(r, ResponseCode.SUCCESS, {
            body: record(brokerA, 200, { UNIQ_KEY: UNIQ }, 'by-uniq'),
            extFields: { indexLastUpdateTimestamp: '0', indexLastUpdatePhyoffset: '0' },
          })
        : createResponse(r, ResponseCode.QUERY_NOT_FOUND, { remark: 'can not find message' }),
    );
    serve(brokerB, RequestCode.QUERY_MESSAGE, (r) => createResponse(r, ResponseCode.QUERY_NOT_FOUND));
    const msg = await admin.queryMessageById('TopicTest', UNIQ);
    expect(msg.body.toString()).toBe('by-uniq');
    await expect(admin.queryMessageById('TopicTest', `${UNIQ.slice(0, 31)}F`)).rejects.toMatchObject({
      code: 'QUERY_NOT_FOUND',
    });
  });

  it('queries messages by key and time range, keeping exact key matches', async () => {
    serve(brokerA, RequestCode.QUERY_MESSAGE, (r) =>
      createResponse(r, ResponseCode.SUCCESS, {
        body: Buffer.concat([
          record(brokerA, 0, { UNIQ_KEY: UNIQ, KEYS: 'order-1 customer-9' }, 'first'),
          record(brokerA, 300, { KEYS: 'order-10' }, 'hash collision'),
        ]),
        extFields: { indexLastUpdateTimestamp: '0', indexLastUpdatePhyoffset: '0' },
      }),
    );
    serve(brokerB, RequestCode.QUERY_MESSAGE, (r) => createResponse(r, ResponseCode.QUERY_NOT_FOUND));
    const found = await admin.queryMessagesByKey('TopicTest', 'order-1', { beginTimestamp: 1, endTimestamp: 2 });
    expect(found.map((m) => m.body.toString())).toEqual(['first']);
    expect(received[`broker-a:${RequestCode.QUERY_MESSAGE}`]?.[0]?.extFields).toMatchObject({
      topic: 'TopicTest',
      key: 'order-1',
      maxNum: '32',
      beginTimestamp: '1',
      endTimestamp: '2',
    });
  });
});
