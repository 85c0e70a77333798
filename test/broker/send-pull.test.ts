import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRequest } from '../../src/protocol/command.js';
import { SendMessageRequestHeader } from '../../src/protocol/headers/send.js';
import { encodeBatch } from '../../src/protocol/message/batch.js';
import { decodeOffsetMsgId } from '../../src/protocol/message/message-id.js';
import { decodeProperties, encodeProperties } from '../../src/protocol/message/properties.js';
import { decodeRecords } from '../../src/protocol/message/record.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { pullRequest, sendRequest, startTestBroker, type TestBroker } from './broker-harness.js';

describe('broker send and pull over a real socket', () => {
  let b: TestBroker;
  beforeEach(async () => {
    b = await startTestBroker();
  });
  afterEach(async () => {
    await b.close();
  });

  it('auto-creates a topic via TBW102, stores the message and answers msgId/queueId/queueOffset/MSG_REGION/TRACE_ON', async () => {
    const res = await b.invoke(
      sendRequest('TopicA', 'hello', { props: { TAGS: 'TagA', KEYS: 'k1 k2', UNIQ_KEY: 'ABCDEF0123' } }),
    );
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(res.extFields?.queueId).toBe('0');
    expect(res.extFields?.queueOffset).toBe('0');
    expect(res.extFields?.MSG_REGION).toBe('DefaultRegion');
    expect(res.extFields?.TRACE_ON).toBe('true');
    expect(res.extFields?.transactionId).toBe('ABCDEF0123');
    const id = decodeOffsetMsgId(res.extFields!.msgId!);
    expect(id.storeHost).toEqual({ host: '127.0.0.1', port: Number(b.addr.split(':')[1]) });
    expect(id.physicalOffset).toBe(0);
    const topic = b.broker.topicManager.get('TopicA');
    expect(topic).toMatchObject({ readQueueNums: 4, writeQueueNums: 4, perm: 6 });

    const pulled = await b.invoke(pullRequest('TopicA', 0, 0));
    expect(pulled.code).toBe(ResponseCode.SUCCESS);
    expect(pulled.extFields).toMatchObject({ nextBeginOffset: '1', minOffset: '0', maxOffset: '1' });
    const [rec] = decodeRecords(pulled.body!);
    expect(rec!.body.toString()).toBe('hello');
    expect(rec!.topic).toBe('TopicA');
    const props = decodeProperties(rec!.properties);
    expect(props.TAGS).toBe('TagA');
    expect(props.CLUSTER).toBe('DefaultCluster');
  });

  it('serves SEND_MESSAGE (V1 header) and picks a queue when queueId < 0', async () => {
    const ext = SendMessageRequestHeader.encode({
      producerGroup: 'PG',
      topic: 'TopicV1',
      defaultTopic: 'TBW102',
      defaultTopicQueueNums: 4,
      queueId: -1,
      sysFlag: 0,
      bornTimestamp: Date.now(),
      flag: 7,
      properties: encodeProperties({ TAGS: 'x' }),
    });
    const res = await b.invoke(createRequest(RequestCode.SEND_MESSAGE, { extFields: ext, body: Buffer.from('v1') }));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    const queueId = Number(res.extFields?.queueId);
    expect(queueId).toBeGreaterThanOrEqual(0);
    expect(queueId).toBeLessThan(4);
    const pulled = await b.invoke(pullRequest('TopicV1', queueId, 0));
    expect(decodeRecords(pulled.body!)[0]!.flag).toBe(7);
  });

  it('stores a batch with consecutive offsets and comma-joined msgIds', async () => {
    const body = encodeBatch([
      { flag: 0, body: Buffer.from('m1'), properties: encodeProperties({ UNIQ_KEY: 'U1' }) },
      { flag: 0, body: Buffer.from('m2'), properties: encodeProperties({ UNIQ_KEY: 'U2' }) },
      { flag: 0, body: Buffer.from('m3'), properties: encodeProperties({ UNIQ_KEY: 'U3' }) },
    ]);
    const res = await b.invoke(sendRequest('TopicBatch', body, { code: RequestCode.SEND_BATCH_MESSAGE, batch: true }));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(res.extFields?.msgId?.split(',')).toHaveLength(3);
    expect(res.extFields?.queueOffset).toBe('0');
    const pulled = await b.invoke(pullRequest('TopicBatch', 0, 0));
    expect(decodeRecords(pulled.body!).map((r) => r.body.toString())).toEqual(['m1', 'm2', 'm3']);
    expect(pulled.extFields?.nextBeginOffset).toBe('3');
  });

  it('refuses bad sends with RocketMQ codes and readable remarks', async () => {
    const bad = await b.invoke(sendRequest('bad topic!', 'x'));
    expect(bad.code).toBe(ResponseCode.INVALID_PARAMETER);
    expect(bad.remark).toMatch(/illegal characters/);
    expect(bad.extFields?.MSG_REGION).toBe('DefaultRegion');

    const sched = await b.invoke(sendRequest('SCHEDULE_TOPIC_XXXX', 'x'));
    expect(sched.code).toBe(ResponseCode.NO_PERMISSION);
    expect(sched.remark).toMatch(/forbidden/);

    const noTemplate = await b.invoke(sendRequest('TopicNoTemplate', 'x', { defaultTopic: 'NoSuchTemplate' }));
    expect(noTemplate.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    expect(noTemplate.remark).toMatch(/not exist/);

    await b.invoke(sendRequest('TopicQ', 'x'));
    const badQueue = await b.invoke(sendRequest('TopicQ', 'x', { queueId: 99 }));
    expect(badQueue.code).toBe(ResponseCode.INVALID_PARAMETER);

    const big = await b.invoke(sendRequest('TopicQ', Buffer.alloc(4 * 1024 * 1024 + 1)));
    expect(big.code).toBe(ResponseCode.MESSAGE_ILLEGAL);
    expect(big.remark).toMatch(/body size/);

    const longProps = await b.invoke(sendRequest('TopicQ', 'x', { props: { K: 'v'.repeat(40000) } }));
    expect(longProps.code).toBe(ResponseCode.MESSAGE_ILLEGAL);

    const missing = await b.invoke(createRequest(RequestCode.SEND_MESSAGE_V2, { extFields: { a: 'PG' } }));
    expect(missing.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(missing.remark).toMatch(/b/);

    const badBatch = await b.invoke(
      sendRequest('TopicQ', Buffer.from([1, 2, 3]), { code: RequestCode.SEND_BATCH_MESSAGE, batch: true }),
    );
    expect(badBatch.code).toBe(ResponseCode.MESSAGE_ILLEGAL);

    // As Java's broker: a batch is never a transaction, nor delayed as a whole; nothing of it is stored.
    const items = encodeBatch([{ flag: 0, body: Buffer.from('b'), properties: encodeProperties({ UNIQ_KEY: 'B1' }) }]);
    const batch = { code: RequestCode.SEND_BATCH_MESSAGE, batch: true };
    const tx = await b.invoke(sendRequest('TopicQB', items, { ...batch, sysFlag: 0x4 }));
    expect(tx.code).toBe(ResponseCode.MESSAGE_ILLEGAL);
    expect(tx.remark).toMatch(/transactional/);
    const delayed = await b.invoke(sendRequest('TopicQB', items, { ...batch, props: { DELAY: '3' } }));
    expect(delayed.code).toBe(ResponseCode.MESSAGE_ILLEGAL);
    expect(delayed.remark).toMatch(/delay/);
    const plain = await b.invoke(sendRequest('TopicQB', items, { ...batch, props: { DELAY: '0' } }));
    expect(plain.code).toBe(ResponseCode.SUCCESS);
    expect(plain.extFields?.queueOffset).toBe('0'); // the refused batches left nothing in the queue
  });

  it('answers pull outcomes with nextBeginOffset/minOffset/maxOffset', async () => {
    for (let i = 0; i < 3; i++) await b.invoke(sendRequest('TopicP', `m${i}`));
    const atEnd = await b.invoke(pullRequest('TopicP', 0, 3));
    expect(atEnd.code).toBe(ResponseCode.PULL_NOT_FOUND);
    expect(atEnd.extFields).toMatchObject({ nextBeginOffset: '3', minOffset: '0', maxOffset: '3' });

    const tooBig = await b.invoke(pullRequest('TopicP', 0, 50));
    expect(tooBig.code).toBe(ResponseCode.PULL_OFFSET_MOVED);
    expect(tooBig.extFields?.nextBeginOffset).toBe('0');

    const emptyQueue = await b.invoke(pullRequest('TopicP', 1, 5));
    expect(emptyQueue.code).toBe(ResponseCode.PULL_OFFSET_MOVED);
    const emptyAtZero = await b.invoke(pullRequest('TopicP', 1, 0));
    expect(emptyAtZero.code).toBe(ResponseCode.PULL_NOT_FOUND);

    const limited = await b.invoke(pullRequest('TopicP', 0, 1, { maxMsgNums: 1 }));
    expect(decodeRecords(limited.body!).map((r) => r.body.toString())).toEqual(['m1']);
    expect(limited.extFields?.nextBeginOffset).toBe('2');

    const noTopic = await b.invoke(pullRequest('NoSuchTopic', 0, 0));
    expect(noTopic.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    const badQueue = await b.invoke(pullRequest('TopicP', 9, 0));
    expect(badQueue.code).toBe(ResponseCode.SYSTEM_ERROR);
    const noSub = await b.invoke(pullRequest('TopicP', 0, 0, { sysFlag: 0 }));
    expect(noSub.code).toBe(ResponseCode.SUBSCRIPTION_NOT_EXIST);
    const sql = await b.invoke(pullRequest('TopicP', 0, 0, { expressionType: 'SQL92', subscription: 'a > 1' }));
    expect(sql.code).toBe(ResponseCode.SYSTEM_ERROR);
    const badSub = await b.invoke(pullRequest('TopicP', 0, 0, { subscription: ' || ' }));
    expect(badSub.code).toBe(ResponseCode.SUBSCRIPTION_PARSE_FAILED);
    const missing = await b.invoke(createRequest(RequestCode.PULL_MESSAGE, { extFields: { topic: 'TopicP' } }));
    expect(missing.code).toBe(ResponseCode.SYSTEM_ERROR);
  });

  it('creates a missing %RETRY% topic with one queue even without a template', async () => {
    const res = await b.invoke(sendRequest('%RETRY%G1', 'again', { defaultTopic: 'NoTemplate', reconsumeTimes: 1 }));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(b.broker.topicManager.get('%RETRY%G1')).toMatchObject({ readQueueNums: 1, writeQueueNums: 1, perm: 6 });
    const pulled = await b.invoke(pullRequest('%RETRY%G1', 0, 0));
    expect(decodeRecords(pulled.body!)[0]!.reconsumeTimes).toBe(1);
  });

  it('serves LITE_PULL_MESSAGE like PULL_MESSAGE', async () => {
    await b.invoke(sendRequest('TopicLite', 'lite'));
    const request = { ...pullRequest('TopicLite', 0, 0), code: RequestCode.LITE_PULL_MESSAGE };
    const res = await b.invoke(request);
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(decodeRecords(res.body!)[0]!.body.toString()).toBe('lite');
  });

  it('filters by tag hash code', async () => {
    await b.invoke(sendRequest('TopicT', 'a', { props: { TAGS: 'TagA' } }));
    await b.invoke(sendRequest('TopicT', 'b', { props: { TAGS: 'TagB' } }));
    await b.invoke(sendRequest('TopicT', 'c', { props: { TAGS: 'TagC' } }));
    const res = await b.invoke(pullRequest('TopicT', 0, 0, { subscription: 'TagA || TagC' }));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(decodeRecords(res.body!).map((r) => r.body.toString())).toEqual(['a', 'c']);
    expect(res.extFields?.nextBeginOffset).toBe('3');
  });

  it('commits the piggy-backed offset only with the commit flag', async () => {
    await b.invoke(sendRequest('TopicC', 'a'));
    await b.invoke(pullRequest('TopicC', 0, 0, { consumerGroup: 'G1', sysFlag: 0x4, commitOffset: 1 }));
    expect(b.broker.context.consumerOffsets.query('G1', 'TopicC', 0)).toBe(-1);
    await b.invoke(pullRequest('TopicC', 0, 0, { consumerGroup: 'G1', sysFlag: 0x5, commitOffset: 1 }));
    expect(b.broker.context.consumerOffsets.query('G1', 'TopicC', 0)).toBe(1);
  });

  it('answers REQUEST_CODE_NOT_SUPPORTED for unknown codes', async () => {
    const res = await b.invoke(createRequest(9999));
    expect(res.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    expect(res.remark).toBe(' request type 9999 not supported');
  });
});

describe('long polling', () => {
  let b: TestBroker;
  beforeEach(async () => {
    b = await startTestBroker();
    await b.invoke(sendRequest('TopicL', 'first', { props: { TAGS: 'A' } }));
  });
  afterEach(async () => {
    await b.close();
  });

  it('holds a suspended pull and answers it the moment a message lands', async () => {
    const pending = b.invoke(pullRequest('TopicL', 0, 1, { sysFlag: 0x6, suspendTimeoutMillis: 20_000 }), 30_000);
    let settled = false;
    void pending.then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false);
    const send = await b.invoke(sendRequest('TopicL', 'second', { props: { TAGS: 'A' } }));
    expect(send.code).toBe(ResponseCode.SUCCESS);
    const res = await pending;
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(decodeRecords(res.body!)[0]!.body.toString()).toBe('second');
  });

  it('does not wake a pull for a message its tags filter out', async () => {
    const pending = b.invoke(
      pullRequest('TopicL', 0, 1, { sysFlag: 0x6, suspendTimeoutMillis: 20_000, subscription: 'B' }),
      30_000,
    );
    let settled = false;
    void pending.then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    await b.invoke(sendRequest('TopicL', 'other', { props: { TAGS: 'A' } }));
    await new Promise((r) => setTimeout(r, 150));
    expect(settled).toBe(false);
    await b.invoke(sendRequest('TopicL', 'wanted', { props: { TAGS: 'B' } }));
    const res = await pending;
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(decodeRecords(res.body!).map((r) => r.body.toString())).toEqual(['wanted']);
  });

  it('answers PULL_NOT_FOUND when the hold time ends', async () => {
    const res = await b.invoke(pullRequest('TopicL', 0, 1, { sysFlag: 0x6, suspendTimeoutMillis: 300 }), 10_000);
    expect(res.code).toBe(ResponseCode.PULL_NOT_FOUND);
    expect(res.extFields).toMatchObject({ nextBeginOffset: '1', maxOffset: '1' });
  });

  it('answers held pulls on shutdown', async () => {
    const pending = b.invoke(pullRequest('TopicL', 0, 1, { sysFlag: 0x6, suspendTimeoutMillis: 20_000 }), 30_000);
    await new Promise((r) => setTimeout(r, 100));
    const closing = b.broker.shutdown();
    const res = await pending;
    expect(res.code).toBe(ResponseCode.PULL_NOT_FOUND);
    await closing;
  });
});
