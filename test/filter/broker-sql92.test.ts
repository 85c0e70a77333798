import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Producer } from '../../src/client/producer.js';
import { PushConsumer } from '../../src/client/push-consumer.js';
import { silentLogger } from '../../src/common/logger.js';
import { createRequest } from '../../src/protocol/command.js';
import { CreateTopicRequestHeader } from '../../src/protocol/headers/admin.js';
import { decodeProperties } from '../../src/protocol/message/properties.js';
import { decodeRecords } from '../../src/protocol/message/record.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { pullRequest, sendRequest, startTestBroker, type TestBroker } from '../broker/broker-harness.js';
import { startTestNamesrv, type TestNamesrv } from '../namesrv/helpers.js';

const SQL = { expressionType: 'SQL92', sysFlag: 0x4 } as const;

/** Sends `n` messages to queue 0 of `topic` with TAGS alternating A/B and property `n` = i. */
async function sendNumbered(b: TestBroker, topic: string, n: number) {
  for (let i = 0; i < n; i++) {
    const res = await b.invoke(sendRequest(topic, `m${i}`, { props: { TAGS: i % 2 ? 'B' : 'A', n: String(i) } }));
    expect(res.code).toBe(ResponseCode.SUCCESS);
  }
}

function checkClientConfig(expressionType: string, subString: string) {
  const body = { clientId: 'c@1', group: 'CG', subscriptionData: { topic: 'T', subString, expressionType } };
  return createRequest(RequestCode.CHECK_CLIENT_CONFIG, { body: Buffer.from(JSON.stringify(body)) });
}

function heartbeat(topic: string, subString: string) {
  const body = {
    clientID: 'c@1',
    consumerDataSet: [
      {
        groupName: 'CG',
        consumeType: 'CONSUME_PASSIVELY',
        messageModel: 'CLUSTERING',
        consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
        subscriptionDataSet: [{ topic, subString, expressionType: 'SQL92', tagsSet: [], codeSet: [], subVersion: 1 }],
        unitMode: false,
      },
    ],
    producerDataSet: [],
  };
  return createRequest(RequestCode.HEART_BEAT, { body: Buffer.from(JSON.stringify(body)) });
}

describe('broker with enablePropertyFilter', () => {
  let b: TestBroker;
  beforeAll(async () => {
    b = await startTestBroker({ enablePropertyFilter: true });
    await sendNumbered(b, 'SqlTopic', 10);
  });
  afterAll(async () => {
    await b.close();
  });

  it('a SQL92 pull returns only the matching messages', async () => {
    const res = await b.invoke(
      pullRequest('SqlTopic', 0, 0, { ...SQL, subscription: "TAGS = 'A' AND n BETWEEN 2 AND 7" }),
    );
    expect(res.code).toBe(ResponseCode.SUCCESS);
    const ns = decodeRecords(res.body!).map((r) => decodeProperties(r.properties).n);
    expect(ns).toEqual(['2', '4', '6']);
    expect(res.extFields?.nextBeginOffset).toBe('10');
  });

  it('a SQL92 pull matching nothing answers PULL_RETRY_IMMEDIATELY past the scanned messages', async () => {
    const res = await b.invoke(pullRequest('SqlTopic', 0, 0, { ...SQL, subscription: 'n > 100' }));
    expect(res.code).toBe(ResponseCode.PULL_RETRY_IMMEDIATELY);
    expect(res.body).toBeUndefined();
    expect(res.extFields?.nextBeginOffset).toBe('10');
  });

  it('a pull with a bad expression gets SUBSCRIPTION_PARSE_FAILED with the position', async () => {
    const res = await b.invoke(pullRequest('SqlTopic', 0, 0, { ...SQL, subscription: "TAGS = 'A' AND" }));
    expect(res.code).toBe(ResponseCode.SUBSCRIPTION_PARSE_FAILED);
    expect(res.remark).toMatch(/line 1, column 15 \(offset 14\)/);
  });

  it('a heartbeat with a bad expression is accepted; pulls relying on it get FILTER_DATA_NOT_EXIST', async () => {
    const hb = await b.invoke(heartbeat('SqlTopic', 'n >'));
    expect(hb.code).toBe(ResponseCode.SUCCESS);
    const res = await b.invoke(pullRequest('SqlTopic', 0, 0, { sysFlag: 0, subscription: undefined, subVersion: 1 }));
    expect(res.code).toBe(ResponseCode.FILTER_DATA_NOT_EXIST);
  });

  it('pulls without a subscription use the SQL92 expression registered by heartbeat', async () => {
    expect((await b.invoke(heartbeat('SqlTopic', 'n >= 8'))).code).toBe(ResponseCode.SUCCESS);
    const res = await b.invoke(pullRequest('SqlTopic', 0, 0, { sysFlag: 0, subscription: undefined, subVersion: 1 }));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(decodeRecords(res.body!).map((r) => r.body.toString())).toEqual(['m8', 'm9']);
  });

  it('CHECK_CLIENT_CONFIG validates the subscription', async () => {
    expect((await b.invoke(checkClientConfig('SQL92', 'n > 1'))).code).toBe(ResponseCode.SUCCESS);
    expect((await b.invoke(checkClientConfig('TAG', '*'))).code).toBe(ResponseCode.SUCCESS);
    const bad = await b.invoke(checkClientConfig('SQL92', 'n > > 1'));
    expect(bad.code).toBe(ResponseCode.SUBSCRIPTION_PARSE_FAILED);
    expect(bad.remark).toContain('(offset 4)');
    expect((await b.invoke(checkClientConfig('XPATH', 'x'))).code).toBe(ResponseCode.SUBSCRIPTION_PARSE_FAILED);
    const empty = await b.invoke(createRequest(RequestCode.CHECK_CLIENT_CONFIG));
    expect(empty.code).toBe(ResponseCode.SUCCESS);
  });
});

describe('broker without enablePropertyFilter (the default)', () => {
  let b: TestBroker;
  beforeAll(async () => {
    b = await startTestBroker();
    await sendNumbered(b, 'SqlTopic', 1);
  });
  afterAll(async () => {
    await b.close();
  });

  it('answers SQL92 pulls and checks with the Java SYSTEM_ERROR', async () => {
    const remark = 'The broker does not support consumer to filter message by SQL92';
    const pull = await b.invoke(pullRequest('SqlTopic', 0, 0, { ...SQL, subscription: 'n > 0' }));
    expect(pull.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(pull.remark).toBe(remark);
    const check = await b.invoke(checkClientConfig('SQL92', 'n > 0'));
    expect(check.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(check.remark).toBe(remark);
    expect((await b.invoke(pullRequest('SqlTopic', 0, 0))).code).toBe(ResponseCode.SUCCESS);
  });
});

describe('PushConsumer with a SQL92 selector, end to end', () => {
  let namesrv: TestNamesrv;
  let b: TestBroker;
  const closeables: { shutdown(): Promise<void> }[] = [];
  beforeAll(async () => {
    namesrv = await startTestNamesrv();
    b = await startTestBroker({ namesrvAddr: namesrv.addr, enablePropertyFilter: true });
  });
  afterEach(async () => {
    for (const c of closeables.splice(0).reverse()) await c.shutdown();
  });
  afterAll(async () => {
    await b.close();
    await namesrv.close();
  });

  it('only matching messages arrive', async () => {
    const topic = 'SqlE2E';
    const extFields = CreateTopicRequestHeader.encode({
      topic,
      defaultTopic: 'TBW102',
      readQueueNums: 2,
      writeQueueNums: 2,
      perm: 6,
      topicFilterType: 'SINGLE_TAG',
      order: false,
    });
    expect((await b.invoke(createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, { extFields }))).code).toBe(0);
    await b.broker.registerBrokerAll();

    const producer = new Producer({ namesrvAddr: namesrv.addr, groupName: 'PG_SQL', logger: silentLogger });
    await producer.start();
    closeables.push(producer);
    for (let i = 0; i < 20; i++) {
      await producer.send({
        topic,
        body: `m${i}`,
        tags: i % 2 === 0 ? 'even' : 'odd',
        properties: { price: String(i * 10), region: i < 10 ? 'eu' : 'us' },
      });
    }

    const received: string[] = [];
    const consumer = new PushConsumer({
      namesrvAddr: namesrv.addr,
      consumerGroup: 'CG_SQL',
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
      rebalanceIntervalMs: 300,
      heartbeatBrokerIntervalMs: 300,
      pollNameServerIntervalMs: 300,
      brokerSuspendMs: 1000,
      logger: silentLogger,
    });
    closeables.push(consumer);
    consumer.subscribe(topic, { type: 'SQL92', expression: "TAGS = 'even' AND price >= 40 AND region = 'eu'" });
    consumer.onMessage((m) => {
      received.push(m.body.toString());
    });
    await consumer.start();

    const deadline = Date.now() + 15_000;
    while (received.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // Give any unmatched message time to (wrongly) arrive before checking the exact set.
    await new Promise((r) => setTimeout(r, 500));
    expect(received.sort()).toEqual(['m4', 'm6', 'm8']);
  }, 20_000);
});
