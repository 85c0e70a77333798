/**
 * Delay levels, CONSUMER_SEND_MSG_BACK (36), GET_ALL_DELAY_OFFSET (45) and the send path's retry/DLQ rule over a
 * real socket against a real broker with a temp store.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultSubscriptionGroupConfig } from '../../src/broker/subscription-group-manager.js';
import { createRequest, Version } from '../../src/protocol/command.js';
import { parseJson } from '../../src/protocol/fastjson.js';
import { ConsumerSendMsgBackRequestHeader } from '../../src/protocol/headers/retry.js';
import { createOffsetMsgId } from '../../src/protocol/message/message-id.js';
import { decodeProperties } from '../../src/protocol/message/properties.js';
import { decodeRecords, type MessageRecord } from '../../src/protocol/message/record.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { pullRequest, sendRequest, startTestBroker, type TestBroker } from './broker-harness.js';

/** Level 1 = 1 s, level 2 = 2 s, levels 3.. = 1 s (retries use level 3 + reconsumeTimes). */
const LEVELS = '1s 2s 1s 1s 1s 1s';

async function pullAll(b: TestBroker, topic: string, queueId: number): Promise<MessageRecord[]> {
  const res = await b.invoke(pullRequest(topic, queueId, 0));
  return res.code === ResponseCode.SUCCESS ? decodeRecords(res.body!) : [];
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function sendBack(fields: Partial<ConsumerSendMsgBackRequestHeader>, version: number = Version.V4_9_4) {
  const header = { offset: 0, group: 'CG', delayLevel: 0, ...fields } as ConsumerSendMsgBackRequestHeader;
  const request = createRequest(RequestCode.CONSUMER_SEND_MSG_BACK, {
    extFields: ConsumerSendMsgBackRequestHeader.encode(header),
  });
  return { ...request, version };
}

describe('delay levels over the wire', () => {
  let b: TestBroker;
  beforeEach(async () => {
    b = await startTestBroker({ messageDelayLevel: LEVELS });
  });
  afterEach(async () => {
    await b.close();
  });

  it('parks a DELAY message and delivers it to its real topic and queue no earlier than the level delay', async () => {
    const sentAt = Date.now();
    const res = await b.invoke(
      sendRequest('DelayTopic', 'later', { queueId: 2, props: { DELAY: '2', TAGS: 'tg', KEYS: 'k1' } }),
    );
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(await pullAll(b, 'DelayTopic', 2)).toEqual([]);
    const parked = await pullAll(b, 'SCHEDULE_TOPIC_XXXX', 1);
    expect(parked).toHaveLength(1);
    expect(decodeProperties(parked[0]!.properties)).toMatchObject({ REAL_TOPIC: 'DelayTopic', REAL_QID: '2' });

    const [rec] = await until('delivery', async () => {
      const got = await pullAll(b, 'DelayTopic', 2);
      return got.length > 0 ? got : undefined;
    });
    const arrivedAt = Date.now();
    expect(arrivedAt - sentAt).toBeGreaterThanOrEqual(2000);
    expect(rec!.storeTimestamp - parked[0]!.storeTimestamp).toBeGreaterThanOrEqual(2000);
    expect(rec!.body.toString()).toBe('later');
    const props = decodeProperties(rec!.properties);
    expect(props.DELAY).toBeUndefined();
    expect(props.REAL_TOPIC).toBeUndefined();
    expect(props.REAL_QID).toBeUndefined();
    expect(props).toMatchObject({ TAGS: 'tg', KEYS: 'k1' });

    const offsets = await b.invoke(createRequest(RequestCode.GET_ALL_DELAY_OFFSET));
    expect(offsets.code).toBe(ResponseCode.SUCCESS);
    const body = offsets.body!.toString();
    expect(body).toMatch(/\{"offsetTable":\{1:0,2:1,3:0/);
    expect((parseJson(body) as { offsetTable: Record<string, number> }).offsetTable['2']).toBe(1);
  });

  it('GET_ALL_DELAY_OFFSET ignores stray header fields and body, answering the offset table', async () => {
    const res = await b.invoke(
      createRequest(RequestCode.GET_ALL_DELAY_OFFSET, {
        extFields: { x: '\u0000', offset: '-1' },
        body: Buffer.from([1, 2]),
      }),
    );
    expect(res.code).toBe(ResponseCode.SUCCESS);
    const table = (parseJson(res.body!.toString()) as { offsetTable: Record<string, number> }).offsetTable;
    expect(Object.keys(table)).toHaveLength(6);
  });

  it('caps a level beyond the table to the last level', async () => {
    await b.invoke(sendRequest('DelayCap', 'x', { props: { DELAY: '99' } }));
    expect(await pullAll(b, 'SCHEDULE_TOPIC_XXXX', 5)).toHaveLength(1);
  });

  it('keeps per-level order and delivers several messages', async () => {
    for (let i = 0; i < 5; i++) await b.invoke(sendRequest('DelayMany', `m${i}`, { props: { DELAY: '1' } }));
    const got = await until('5 deliveries', async () => {
      const r = await pullAll(b, 'DelayMany', 0);
      return r.length >= 5 ? r : undefined;
    });
    expect(got.map((r) => r.body.toString())).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });
});

describe('CONSUMER_SEND_MSG_BACK (36)', () => {
  let b: TestBroker;
  beforeEach(async () => {
    b = await startTestBroker({ messageDelayLevel: LEVELS });
  });
  afterEach(async () => {
    await b.close();
  });

  async function stored(topic: string, props: Record<string, string> = {}): Promise<MessageRecord> {
    await b.invoke(sendRequest(topic, 'payload', { props: { TAGS: 'T', KEYS: 'K', ...props } }));
    return (await pullAll(b, topic, 0)).at(-1)!;
  }

  it('re-stores the message in %RETRY%<group> after 3 + reconsumeTimes levels, with RETRY_TOPIC and the origin id', async () => {
    const rec = await stored('SbTopic');
    const res = await b.invoke(sendBack({ offset: rec.physicalOffset, originTopic: 'SbTopic' }));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(b.broker.topicManager.get('%RETRY%CG')).toMatchObject({ readQueueNums: 1, perm: 6 });
    // parked at level 3 (queue 2) first
    expect(await pullAll(b, 'SCHEDULE_TOPIC_XXXX', 2)).toHaveLength(1);
    const [retry] = await until('the retry copy', async () => {
      const r = await pullAll(b, '%RETRY%CG', 0);
      return r.length > 0 ? r : undefined;
    });
    expect(retry!.reconsumeTimes).toBe(1);
    expect(retry!.body.toString()).toBe('payload');
    const props = decodeProperties(retry!.properties);
    expect(props).toMatchObject({
      RETRY_TOPIC: 'SbTopic',
      ORIGIN_MESSAGE_ID: createOffsetMsgId(rec.storeHost, rec.physicalOffset),
      TAGS: 'T',
      KEYS: 'K',
    });
    expect(props.DELAY).toBeUndefined();

    // a second failure keeps RETRY_TOPIC and ORIGIN_MESSAGE_ID, counts 2, and uses level 4 (queue 3)
    const again = await b.invoke(sendBack({ offset: retry!.physicalOffset }));
    expect(again.code).toBe(ResponseCode.SUCCESS);
    const parked = await pullAll(b, 'SCHEDULE_TOPIC_XXXX', 3);
    expect(parked).toHaveLength(1);
    expect(parked[0]!.reconsumeTimes).toBe(2);
    expect(decodeProperties(parked[0]!.properties)).toMatchObject({
      RETRY_TOPIC: 'SbTopic',
      ORIGIN_MESSAGE_ID: props.ORIGIN_MESSAGE_ID,
      REAL_TOPIC: '%RETRY%CG',
      DELAY: '4',
    });
  });

  it('uses the level asked for', async () => {
    const rec = await stored('SbLevel');
    expect((await b.invoke(sendBack({ offset: rec.physicalOffset, delayLevel: 2 }))).code).toBe(ResponseCode.SUCCESS);
    expect(await pullAll(b, 'SCHEDULE_TOPIC_XXXX', 1)).toHaveLength(1);
  });

  it('a negative level sends the message to %DLQ%<group> (1 queue, read/write) without DELAY', async () => {
    const rec = await stored('SbDlq', { UNIQ_KEY: 'UNIQ1' });
    const res = await b.invoke(sendBack({ offset: rec.physicalOffset, delayLevel: -1 }));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(b.broker.topicManager.get('%DLQ%CG')).toMatchObject({ readQueueNums: 1, writeQueueNums: 1, perm: 6 });
    const [dead] = await pullAll(b, '%DLQ%CG', 0);
    expect(dead!.reconsumeTimes).toBe(1);
    const props = decodeProperties(dead!.properties);
    expect(props).toMatchObject({ RETRY_TOPIC: 'SbDlq', DLQ_ORIGIN_TOPIC: 'SbDlq', DLQ_ORIGIN_MESSAGE_ID: 'UNIQ1' });
    expect(props.DELAY).toBeUndefined();
  });

  it("goes to the DLQ once reconsumeTimes reaches the header's maximum (V3_4_9+) or the group's (older)", async () => {
    const rec = await stored('SbMax');
    expect((await b.invoke(sendBack({ offset: rec.physicalOffset, maxReconsumeTimes: 0 }))).code).toBe(0);
    expect(await pullAll(b, '%DLQ%CG', 0)).toHaveLength(1);

    const groups = b.broker.clientServices.subscriptionGroups;
    await groups.upsert({ ...defaultSubscriptionGroupConfig('CG2'), retryMaxTimes: 0 });
    const old = sendBack({ offset: rec.physicalOffset, group: 'CG2', maxReconsumeTimes: 5 }, Version.V3_4_9 - 1);
    expect((await b.invoke(old)).code).toBe(ResponseCode.SUCCESS);
    expect(await pullAll(b, '%DLQ%CG2', 0)).toHaveLength(1);
  });

  it('answers SYSTEM_ERROR for an offset with no message, and for missing or malformed fields', async () => {
    const missing = await b.invoke(sendBack({ offset: 123_456 }));
    expect(missing.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(missing.remark).toContain('look message by offset failed');
    const noOffset = await b.invoke(
      createRequest(RequestCode.CONSUMER_SEND_MSG_BACK, { extFields: { group: 'CG', delayLevel: '0' } }),
    );
    expect(noOffset.code).toBe(ResponseCode.SYSTEM_ERROR);
    const badLevel = await b.invoke(
      createRequest(RequestCode.CONSUMER_SEND_MSG_BACK, { extFields: { offset: '0', group: 'CG', delayLevel: 'x' } }),
    );
    expect(badLevel.code).toBe(ResponseCode.SYSTEM_ERROR);
  });

  it('survives random header fields: every request gets an answer and the broker keeps serving', async () => {
    await stored('SbFuzz');
    const field = fc.oneof(fc.string({ maxLength: 12 }), fc.integer().map(String), fc.constantFrom('-1', '0', '1'));
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          { offset: field, group: fc.constantFrom('CG', 'G x', ''), delayLevel: field, maxReconsumeTimes: field },
          { requiredKeys: [] },
        ),
        async (extFields) => {
          const res = await b.invoke(createRequest(RequestCode.CONSUMER_SEND_MSG_BACK, { extFields }));
          expect(typeof res.code).toBe('number');
        },
      ),
      { numRuns: 40 },
    );
    expect((await b.invoke(sendRequest('SbFuzz', 'still'))).code).toBe(ResponseCode.SUCCESS);
  });
});

describe('group checks', () => {
  let b: TestBroker;
  beforeEach(async () => {
    b = await startTestBroker({ messageDelayLevel: LEVELS, autoCreateSubscriptionGroup: false });
    // the group the test pulls with
    await b.broker.clientServices.subscriptionGroups.upsert(defaultSubscriptionGroupConfig('CG'));
  });
  afterEach(async () => {
    await b.close();
  });

  it('answers SUBSCRIPTION_GROUP_NOT_EXIST for an unknown group (36 and sends to %RETRY%<group>)', async () => {
    await b.invoke(sendRequest('GcTopic', 'x'));
    const [rec] = await pullAll(b, 'GcTopic', 0);
    const res = await b.invoke(sendBack({ offset: rec!.physicalOffset, group: 'NoSuchGroup' }));
    expect(res.code).toBe(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST);
    expect(res.remark).toContain('NoSuchGroup');
    const send = await b.invoke(sendRequest('%RETRY%NoSuchGroup', 'x', { reconsumeTimes: 1 }));
    expect(send.code).toBe(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST);
  });

  it('sends to %RETRY%<group> past the maximum land in %DLQ%<group>; within it they stay (delayed)', async () => {
    const groups = b.broker.clientServices.subscriptionGroups;
    await groups.upsert({ ...defaultSubscriptionGroupConfig('RG'), retryMaxTimes: 2 });
    const props = { RETRY_TOPIC: 'Orig', ORIGIN_MESSAGE_ID: 'OID', DELAY: '3' };
    const within = await b.invoke(sendRequest('%RETRY%RG', 'a', { reconsumeTimes: 2, props }));
    expect(within.code).toBe(ResponseCode.SUCCESS);
    expect(await pullAll(b, 'SCHEDULE_TOPIC_XXXX', 2)).toHaveLength(1);
    const past = await b.invoke(sendRequest('%RETRY%RG', 'b', { reconsumeTimes: 3, props }));
    expect(past.code).toBe(ResponseCode.SUCCESS);
    const [dead] = await pullAll(b, '%DLQ%RG', 0);
    expect(dead!.body.toString()).toBe('b');
    const p = decodeProperties(dead!.properties);
    expect(p).toMatchObject({ RETRY_TOPIC: 'Orig', DLQ_ORIGIN_TOPIC: 'Orig', DLQ_ORIGIN_MESSAGE_ID: 'OID' });
    expect(p.DELAY).toBeUndefined();
    // the header's maximum wins for V3_4_9+ clients
    const header = await b.invoke(sendRequest('%RETRY%RG', 'c', { reconsumeTimes: 2, maxReconsumeTimes: 1, props }));
    expect(header.code).toBe(ResponseCode.SUCCESS);
    expect(await pullAll(b, '%DLQ%RG', 0)).toHaveLength(2);
  });

  it('a group holding a live orderly queue lock has its %RETRY% sends go straight to the DLQ', async () => {
    const groups = b.broker.clientServices.subscriptionGroups;
    await groups.upsert(defaultSubscriptionGroupConfig('OG'));
    const first = await b.invoke(sendRequest('%RETRY%OG', 'unlocked', { reconsumeTimes: 0 }));
    expect(first.code).toBe(ResponseCode.SUCCESS);
    expect(await pullAll(b, '%DLQ%OG', 0)).toEqual([]);
    b.broker.lockManager.tryLockBatch('OG', [{ topic: 'Ordered', brokerName: 'broker-a', queueId: 0 }], 'client-1');
    const locked = await b.invoke(sendRequest('%RETRY%OG', 'locked', { reconsumeTimes: 0 }));
    expect(locked.code).toBe(ResponseCode.SUCCESS);
    const dead = await pullAll(b, '%DLQ%OG', 0);
    expect(dead.map((r) => r.body.toString())).toEqual(['locked']);
  });
});
