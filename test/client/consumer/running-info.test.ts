/**
 * GET_CONSUMER_RUNNING_INFO end to end: an admin asks the broker, the broker asks our PushConsumer, and the answer is
 * the ConsumerRunningInfo body Java's admin tools read.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Admin } from '../../../src/client/admin.js';
import { silentLogger } from '../../../src/common/logger.js';
import { createRequest } from '../../../src/protocol/command.js';
import { parseJson } from '../../../src/protocol/fastjson.js';
import {
  ConsumeMessageDirectlyResultRequestHeader,
  GetConsumerRunningInfoRequestHeader,
  GetConsumerStatusRequestHeader,
} from '../../../src/protocol/headers/admin.js';
import { RequestCode } from '../../../src/protocol/request-code.js';
import { ResponseCode } from '../../../src/protocol/response-code.js';
import { startCluster, type TestCluster, waitFor } from './cluster.js';

describe('a PushConsumer answers GET_CONSUMER_RUNNING_INFO through the broker', () => {
  let cluster: TestCluster;
  beforeEach(async () => {
    cluster = await startCluster();
  });
  afterEach(async () => {
    await cluster.close();
  });

  it('with its settings, subscriptions and, per owned queue, the offset it would commit', async () => {
    await cluster.createTopic('InfoTopic', 2);
    const producer = await cluster.producer();
    for (let i = 0; i < 6; i++) {
      await producer.send(
        { topic: 'InfoTopic', body: `m${i}` },
        { messageQueue: { topic: 'InfoTopic', brokerName: 'broker-a', queueId: i % 2 } },
      );
    }
    let consumed = 0;
    const consumer = cluster.consumer({ consumerGroup: 'InfoG', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe('InfoTopic', 'TagA || TagB').subscribe('InfoTopic', '*'); // the later one replaces
    consumer.onMessage(() => {
      consumed++;
    });
    const before = Date.now();
    await consumer.start();
    await waitFor(() => consumed >= 6, 10_000, '6 messages');

    const ask = () =>
      cluster.broker.invoke(
        createRequest(RequestCode.GET_CONSUMER_RUNNING_INFO, {
          extFields: GetConsumerRunningInfoRequestHeader.encode({
            consumerGroup: 'InfoG',
            clientId: consumer.clientId,
            jstackEnable: false,
          }),
        }),
      );
    // The handler commits each queue's offset as its messages are done; wait until both queues report 3.
    let info: {
      properties: Record<string, string>;
      subscriptionSet: { topic: string; subString: string }[];
      mqTable: Record<string, { commitOffset: number; cachedMsgCount: number; dropped: boolean }>;
      statusTable: object;
    };
    const topicQueues = () => Object.entries(info.mqTable).filter(([k]) => k.includes('"InfoTopic"'));
    for (let i = 0; ; i++) {
      const res = await ask();
      expect(res.code).toBe(ResponseCode.SUCCESS);
      info = parseJson(res.body!) as typeof info;
      if (topicQueues().every(([, q]) => q.commitOffset === 3) || i > 40) break;
      await new Promise((r) => setTimeout(r, 50));
    }

    expect(info.properties).toMatchObject({
      consumerGroup: 'InfoG',
      messageModel: 'CLUSTERING',
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
      PROP_CONSUME_TYPE: 'CONSUME_PASSIVELY',
      PROP_CONSUMEORDERLY: 'false',
      PROP_NAMESERVER_ADDR: cluster.namesrvAddr,
      PROP_CLIENT_VERSION: 'V5_3_3',
    });
    const started = Number(info.properties.PROP_CONSUMER_START_TIMESTAMP);
    expect(started).toBeGreaterThanOrEqual(before);
    expect(started).toBeLessThanOrEqual(Date.now());
    expect(info.subscriptionSet.map((s) => `${s.topic}:${s.subString}`).sort()).toEqual(
      ['InfoTopic:*', '%RETRY%InfoG:*'].sort(),
    );
    // mqTable keys are MessageQueue objects written as raw JSON keys, as fastjson writes them.
    const keys = Object.keys(info.mqTable).map((k) => JSON.parse(k) as { topic: string; queueId: number });
    expect(keys.filter((k) => k.topic === 'InfoTopic').map((k) => k.queueId)).toEqual([0, 1]);
    expect(topicQueues().map(([, q]) => q.commitOffset)).toEqual([3, 3]);
    expect(topicQueues().every(([, q]) => q.cachedMsgCount === 0 && q.dropped === false)).toBe(true);
    expect(Object.keys(info.mqTable)).toHaveLength(3); // 2 queues + the retry topic's one
    expect(info.statusTable).toEqual({});

    // INVOKE_BROKER_TO_GET_CONSUMER_STATUS: the broker asks each client of the group for its offsets of the topic.
    const status = (group: string, clientAddr?: string) =>
      cluster.broker.invoke(
        createRequest(RequestCode.INVOKE_BROKER_TO_GET_CONSUMER_STATUS, {
          extFields: GetConsumerStatusRequestHeader.encode({
            topic: 'InfoTopic',
            group,
            ...(clientAddr === undefined ? {} : { clientAddr }),
          }),
        }),
      );
    const all = await status('InfoG');
    expect(all.code).toBe(ResponseCode.SUCCESS);
    // fastjson's shape: clientId → { <MessageQueue as a raw JSON key>: offset }
    const mqJson = (queueId: number) => `{"brokerName":"broker-a","queueId":${queueId},"topic":"InfoTopic"}`;
    expect(all.body!.toString()).toBe(`{"consumerTable":{"${consumer.clientId}":{${mqJson(0)}:3,${mqJson(1)}:3}}}`);
    expect((await status('InfoG', '10.0.0.9@someone-else')).body!.toString()).toBe('{"consumerTable":{}}');
    const nobody = await status('NoSuchGroup');
    expect(nobody.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(nobody.remark).toBe('No Any Consumer online in the consumer group: [NoSuchGroup]');

    // The same through the SDK's Admin, which finds a broker of the group.
    const admin = new Admin({ namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await admin.start();
    try {
      const viaAdmin = await admin.consumerRunningInfo('InfoG', consumer.clientId);
      expect(viaAdmin.properties.PROP_CONSUME_TYPE).toBe('CONSUME_PASSIVELY');
      const infoQueues = viaAdmin.queues.filter((q) => q.messageQueue.topic === 'InfoTopic');
      expect(infoQueues.map((q) => [q.messageQueue.queueId, q.commitOffset])).toEqual([
        [0, 3],
        [1, 3],
      ]);
    } finally {
      await admin.shutdown();
    }
  });

  it('CONSUME_MESSAGE_DIRECTLY runs the handler once on the named message and reports what it did', async () => {
    await cluster.createTopic('DirectTopic', 1);
    const producer = await cluster.producer();
    const sent = new Map<string, string>();
    for (const body of ['fine', 'later', 'boom']) {
      sent.set(body, (await producer.send({ topic: 'DirectTopic', body })).offsetMsgId);
    }
    const handled: string[] = [];
    const consumer = cluster.consumer({ consumerGroup: 'DirectG' });
    // The messages have no tag, so the subscription never delivers them: only the direct calls run the handler.
    consumer.subscribe('DirectTopic', 'NoSuchTag').onMessage((msg) => {
      const body = msg.body.toString();
      handled.push(`${msg.topic}:${body}`);
      if (body === 'boom') throw new Error('handler failed on purpose');
      return body === 'later' ? 'RECONSUME_LATER' : 'CONSUME_SUCCESS';
    });
    await consumer.start();

    const direct = async (group: string, body: string) => {
      const res = await cluster.broker.invoke(
        createRequest(RequestCode.CONSUME_MESSAGE_DIRECTLY, {
          extFields: ConsumeMessageDirectlyResultRequestHeader.encode({
            consumerGroup: group,
            clientId: consumer.clientId,
            msgId: sent.get(body)!,
          }),
        }),
      );
      return { code: res.code, remark: res.remark, result: res.body && JSON.parse(res.body.toString()) };
    };
    const fine = await direct('DirectG', 'fine');
    expect(fine.code).toBe(ResponseCode.SUCCESS);
    expect(fine.result).toMatchObject({ order: false, autoCommit: true, consumeResult: 'CR_SUCCESS' });
    expect(typeof fine.result.spentTimeMills).toBe('number');
    expect((await direct('DirectG', 'later')).result.consumeResult).toBe('CR_LATER');
    const boom = (await direct('DirectG', 'boom')).result;
    expect(boom.consumeResult).toBe('CR_THROW_EXCEPTION');
    expect(boom.remark).toMatch(/handler failed on purpose/);
    expect(handled).toEqual(['DirectTopic:fine', 'DirectTopic:later', 'DirectTopic:boom']);

    const other = await direct('SomeoneElse', 'fine');
    expect(other.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(other.remark).toBe(`The Consumer <SomeoneElse> <${consumer.clientId}> not online`);
  });
});
