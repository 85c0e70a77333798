/**
 * LOCK_BATCH_MQ (41), UNLOCK_BATCH_MQ (42), QUERY_MESSAGE (12), VIEW_MESSAGE_BY_ID (33), QUERY_TOPIC_CONSUME_BY_WHO (300)
 * and QUERY_CONSUME_TIME_SPAN (303) over a real socket against a BrokerController with a temp store.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLockBatchBody } from '../../../src/broker/processors/lock.js';
import { QUERY_MESSAGE_NOT_FOUND_REMARK } from '../../../src/broker/processors/query.js';
import { newTopicConfig } from '../../../src/broker/topic-config-manager.js';
import { ProtocolError } from '../../../src/common/errors.js';
import { createRequest, type RemotingCommand } from '../../../src/protocol/command.js';
import { parseJson } from '../../../src/protocol/fastjson.js';
import { UpdateConsumerOffsetRequestHeader } from '../../../src/protocol/headers/offsets.js';
import {
  QueryConsumeTimeSpanRequestHeader,
  QueryMessageRequestHeader,
  QueryMessageResponseHeader,
  QueryTopicConsumeByWhoRequestHeader,
  UNIQUE_KEY_QUERY_EXT_KEY,
  ViewMessageRequestHeader,
} from '../../../src/protocol/headers/query.js';
import { SendMessageResponseHeader } from '../../../src/protocol/headers/send.js';
import { decodeOffsetMsgId } from '../../../src/protocol/message/message-id.js';
import { decodeProperties } from '../../../src/protocol/message/properties.js';
import { decodeRecords } from '../../../src/protocol/message/record.js';
import { RequestCode } from '../../../src/protocol/request-code.js';
import { ResponseCode } from '../../../src/protocol/response-code.js';
import { sendRequest, startTestBroker, type TestBroker } from '../broker-harness.js';
import { heartbeatBody } from '../clients/harness.js';

let tb: TestBroker;
const TOPIC = 'QueryTopic';
const sent: { msgId: string; uniqKey: string; key: string; queueOffset: number; storeTime: number }[] = [];

beforeAll(async () => {
  tb = await startTestBroker();
  await tb.broker.topicManager.upsert(newTopicConfig(TOPIC, { readQueueNums: 2, writeQueueNums: 2 }));
  for (let i = 0; i < 6; i++) {
    const uniqKey = `0A0000010000${String(i).padStart(4, '0')}0000000000000000`;
    const key = i % 2 === 0 ? 'even' : 'odd';
    const before = Date.now();
    const response = await tb.invoke(
      sendRequest(TOPIC, `body-${i}`, { queueId: 0, props: { KEYS: `${key} order-${i}`, UNIQ_KEY: uniqKey } }),
    );
    expect(response.code).toBe(ResponseCode.SUCCESS);
    const h = SendMessageResponseHeader.decode(response.extFields);
    sent.push({ msgId: h.msgId, uniqKey, key, queueOffset: h.queueOffset, storeTime: before });
  }
}, 20_000);

afterAll(async () => {
  await tb?.close();
});

function lockRequest(code: number, body: object | string | undefined): RemotingCommand {
  return createRequest(code, {
    extFields: {},
    body: body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  });
}

const mq = (queueId: number) => ({ brokerName: 'broker-a', queueId, topic: TOPIC });

function lockedQueueIds(response: RemotingCommand): number[] {
  expect(response.code).toBe(ResponseCode.SUCCESS);
  const body = parseJson(response.body ?? Buffer.alloc(0)) as { lockOKMQSet: { queueId: number }[] };
  return body.lockOKMQSet.map((q) => q.queueId).sort();
}

describe('LOCK_BATCH_MQ / UNLOCK_BATCH_MQ', () => {
  it('locks free queues, refuses queues another client holds, and unlocks only the requester’s', async () => {
    const lock = (clientId: string, ids: number[]) =>
      tb.invoke(lockRequest(RequestCode.LOCK_BATCH_MQ, { consumerGroup: 'LG', clientId, mqSet: ids.map(mq) }));
    expect(lockedQueueIds(await lock('A', [0, 1]))).toEqual([0, 1]);
    expect(lockedQueueIds(await lock('B', [1, 2]))).toEqual([2]);
    const raw = await lock('A', [0]);
    // response body as Java writes it: {"lockOKMQSet":[{"brokerName":..,"queueId":..,"topic":..}]}
    expect(raw.body?.toString()).toBe(`{"lockOKMQSet":[{"brokerName":"broker-a","queueId":0,"topic":"${TOPIC}"}]}`);

    const unlockByB = await tb.invoke(
      lockRequest(RequestCode.UNLOCK_BATCH_MQ, { consumerGroup: 'LG', clientId: 'B', mqSet: [mq(0), mq(1), mq(2)] }),
    );
    expect(unlockByB.code).toBe(ResponseCode.SUCCESS);
    expect(unlockByB.body === undefined || unlockByB.body.length === 0).toBe(true);
    // A still holds 0 and 1; 2 is free again
    expect(lockedQueueIds(await lock('C', [0, 1, 2]))).toEqual([2]);
  });

  it('a lock not renewed within its lifetime goes to the next client (broker clock)', async () => {
    const lock = (clientId: string) =>
      tb.invoke(lockRequest(RequestCode.LOCK_BATCH_MQ, { consumerGroup: 'EXP', clientId, mqSet: [mq(3)] }));
    const t0 = Date.now();
    tb.clock.now = t0;
    expect(lockedQueueIds(await lock('A'))).toEqual([3]);
    tb.clock.now = t0 + 59_000;
    expect(lockedQueueIds(await lock('B'))).toEqual([]);
    expect(lockedQueueIds(await lock('A'))).toEqual([3]); // renewed at t0 + 59 s
    tb.clock.now = t0 + 59_000 + 60_001;
    expect(lockedQueueIds(await lock('B'))).toEqual([3]);
    tb.clock.now = undefined;
  });

  it('rejects bad bodies with SYSTEM_ERROR and keeps serving', async () => {
    const bad: (object | string | undefined)[] = [
      undefined,
      'not json',
      '[]',
      { clientId: 'A', mqSet: [] },
      { consumerGroup: 'LG', mqSet: [] },
      { consumerGroup: 'LG', clientId: 'A', mqSet: {} },
      { consumerGroup: 'LG', clientId: 'A', mqSet: [{ topic: TOPIC, brokerName: 'b', queueId: -1 }] },
      { consumerGroup: 'LG', clientId: 'A', mqSet: [{ brokerName: 'b', queueId: 0 }] },
    ];
    for (const body of bad) {
      for (const code of [RequestCode.LOCK_BATCH_MQ, RequestCode.UNLOCK_BATCH_MQ]) {
        const response = await tb.invoke(lockRequest(code, body));
        expect(response.code).toBe(ResponseCode.SYSTEM_ERROR);
      }
    }
    const ok = await tb.invoke(
      lockRequest(RequestCode.LOCK_BATCH_MQ, { consumerGroup: 'LG2', clientId: 'A', mqSet: [] }),
    );
    expect(lockedQueueIds(ok)).toEqual([]);
  });

  it('parseLockBatchBody throws only ProtocolError on any input (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.json().map((s) => Buffer.from(s)),
        ),
        (bytes) => {
          try {
            parseLockBatchBody(Buffer.from(bytes));
          } catch (err) {
            expect(err).toBeInstanceOf(ProtocolError);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

function queryRequest(key: string, extra: Record<string, string> = {}, maxNum = 32, begin = 0, end = Date.now()) {
  return createRequest(RequestCode.QUERY_MESSAGE, {
    extFields: {
      ...QueryMessageRequestHeader.encode({ topic: TOPIC, key, maxNum, beginTimestamp: begin, endTimestamp: end }),
      ...extra,
    },
  });
}

describe('QUERY_MESSAGE', () => {
  it('finds messages by key within a time range, with the index position in the header', async () => {
    const response = await tb.invoke(queryRequest('even'));
    expect(response.code).toBe(ResponseCode.SUCCESS);
    const records = decodeRecords(response.body ?? Buffer.alloc(0));
    expect(records.map((r) => r.body.toString()).sort()).toEqual(['body-0', 'body-2', 'body-4']);
    const h = QueryMessageResponseHeader.decode(response.extFields);
    expect(h.indexLastUpdateTimestamp).toBeGreaterThanOrEqual(sent[5]!.storeTime);
    expect(h.indexLastUpdatePhyoffset).toBeGreaterThan(0);

    const limited = await tb.invoke(queryRequest('odd', {}, 2));
    expect(decodeRecords(limited.body ?? Buffer.alloc(0))).toHaveLength(2);
    const second = await tb.invoke(queryRequest('order-3'));
    expect(decodeRecords(second.body ?? Buffer.alloc(0)).map((r) => r.body.toString())).toEqual(['body-3']);
  });

  it('answers QUERY_NOT_FOUND with the Java remark outside the time range or for an unknown key', async () => {
    const past = await tb.invoke(queryRequest('even', {}, 32, 0, sent[0]!.storeTime - 60_000));
    expect(past.code).toBe(ResponseCode.QUERY_NOT_FOUND);
    expect(past.remark).toBe(QUERY_MESSAGE_NOT_FOUND_REMARK);
    expect(QueryMessageResponseHeader.decode(past.extFields).indexLastUpdatePhyoffset).toBeGreaterThan(0);
    const unknown = await tb.invoke(queryRequest('no-such-key'));
    expect(unknown.code).toBe(ResponseCode.QUERY_NOT_FOUND);
  });

  it('finds a message by UNIQ_KEY with _UNIQUE_KEY_QUERY, whatever maxNum says', async () => {
    const target = sent[3]!;
    const response = await tb.invoke(
      queryRequest(target.uniqKey, { [UNIQUE_KEY_QUERY_EXT_KEY]: 'true' }, 0, 0, Number.MAX_SAFE_INTEGER),
    );
    expect(response.code).toBe(ResponseCode.SUCCESS);
    const [record] = decodeRecords(response.body ?? Buffer.alloc(0));
    expect(decodeProperties(record!.properties).UNIQ_KEY).toBe(target.uniqKey);
    // without the flag maxNum 0 finds nothing
    const plain = await tb.invoke(queryRequest(target.uniqKey, {}, 0, 0, Number.MAX_SAFE_INTEGER));
    expect(plain.code).toBe(ResponseCode.QUERY_NOT_FOUND);
  });

  it('rejects a request without its required fields', async () => {
    const response = await tb.invoke(createRequest(RequestCode.QUERY_MESSAGE, { extFields: { topic: TOPIC } }));
    expect(response.code).toBe(ResponseCode.SYSTEM_ERROR);
  });
});

describe('VIEW_MESSAGE_BY_ID', () => {
  it('returns the record at a CommitLog offset; an unknown offset is SYSTEM_ERROR as in Java', async () => {
    const { physicalOffset } = decodeOffsetMsgId(sent[2]!.msgId);
    const view = (offset: number) =>
      tb.invoke(
        createRequest(RequestCode.VIEW_MESSAGE_BY_ID, { extFields: ViewMessageRequestHeader.encode({ offset }) }),
      );
    const response = await view(physicalOffset);
    expect(response.code).toBe(ResponseCode.SUCCESS);
    const records = decodeRecords(response.body ?? Buffer.alloc(0));
    expect(records).toHaveLength(1);
    expect(records[0]!.body.toString()).toBe('body-2');
    expect(records[0]!.physicalOffset).toBe(physicalOffset);

    for (const offset of [physicalOffset + 1, 10 * 1024 * 1024 * 1024, -5]) {
      const missing = await view(offset);
      expect(missing.code).toBe(ResponseCode.SYSTEM_ERROR);
    }
    const noOffset = await tb.invoke(createRequest(RequestCode.VIEW_MESSAGE_BY_ID, { extFields: {} }));
    expect(noOffset.code).toBe(ResponseCode.SYSTEM_ERROR);
  });
});

describe('QUERY_TOPIC_CONSUME_BY_WHO and QUERY_CONSUME_TIME_SPAN', () => {
  it('lists online subscribers and groups with offsets; reports per-queue time spans', async () => {
    const hb = await tb.invoke(
      createRequest(RequestCode.HEART_BEAT, {
        body: Buffer.from(heartbeatBody('127.0.0.1@who', { group: 'ONLINE_G', topic: TOPIC, subString: '*' })),
      }),
    );
    expect(hb.code).toBe(ResponseCode.SUCCESS);
    await tb.broker.clientServices.subscriptionGroups.getOrCreate('OFFSET_G');
    const commit = await tb.invoke(
      createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, {
        extFields: UpdateConsumerOffsetRequestHeader.encode({
          consumerGroup: 'OFFSET_G',
          topic: TOPIC,
          queueId: 0,
          commitOffset: 2,
        }),
      }),
    );
    expect(commit.code).toBe(ResponseCode.SUCCESS);

    const who = await tb.invoke(
      createRequest(RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, {
        extFields: QueryTopicConsumeByWhoRequestHeader.encode({ topic: TOPIC }),
      }),
    );
    expect(who.code).toBe(ResponseCode.SUCCESS);
    expect(who.body?.toString()).toBe('{"groupList":["OFFSET_G","ONLINE_G"]}');

    const span = await tb.invoke(
      createRequest(RequestCode.QUERY_CONSUME_TIME_SPAN, {
        extFields: QueryConsumeTimeSpanRequestHeader.encode({ topic: TOPIC, group: 'OFFSET_G' }),
      }),
    );
    expect(span.code).toBe(ResponseCode.SUCCESS);
    const body = parseJson(span.body ?? Buffer.alloc(0)) as {
      consumeTimeSpanSet: {
        messageQueue: { queueId: number; topic: string; brokerName: string };
        minTimeStamp: number;
        maxTimeStamp: number;
        consumeTimeStamp: number;
        delayTime: number;
      }[];
    };
    expect(body.consumeTimeSpanSet).toHaveLength(2);
    const [q0, q1] = body.consumeTimeSpanSet;
    expect(q0!.messageQueue).toEqual({ brokerName: 'broker-a', queueId: 0, topic: TOPIC });
    expect(q0!.minTimeStamp).toBeGreaterThanOrEqual(sent[0]!.storeTime);
    expect(q0!.maxTimeStamp).toBeGreaterThanOrEqual(q0!.minTimeStamp);
    // committed offset 2 ⇒ the last consumed message is offset 1
    expect(q0!.consumeTimeStamp).toBeGreaterThanOrEqual(q0!.minTimeStamp);
    expect(q0!.consumeTimeStamp).toBeLessThanOrEqual(q0!.maxTimeStamp);
    expect(q0!.delayTime).toBeGreaterThanOrEqual(0);
    expect(q1).toMatchObject({ minTimeStamp: -1, maxTimeStamp: -1, delayTime: 0 });

    const unknown = await tb.invoke(
      createRequest(RequestCode.QUERY_CONSUME_TIME_SPAN, {
        extFields: QueryConsumeTimeSpanRequestHeader.encode({ topic: 'NoSuchTopic', group: 'G' }),
      }),
    );
    expect(unknown.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    const noTopic = await tb.invoke(createRequest(RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, { extFields: {} }));
    expect(noTopic.code).toBe(ResponseCode.SYSTEM_ERROR);
  });
});

describe('bad input to every code of this family', () => {
  it('random ext fields and bodies get a typed error response, never a dropped request (fuzz)', async () => {
    const codes = [
      RequestCode.QUERY_MESSAGE,
      RequestCode.VIEW_MESSAGE_BY_ID,
      RequestCode.QUERY_TOPIC_CONSUME_BY_WHO,
      RequestCode.QUERY_CONSUME_TIME_SPAN,
      RequestCode.INVOKE_BROKER_TO_RESET_OFFSET,
      RequestCode.CLONE_GROUP_OFFSET,
      RequestCode.LOCK_BATCH_MQ,
      RequestCode.UNLOCK_BATCH_MQ,
    ];
    const allowed = new Set<number>([
      ResponseCode.SUCCESS,
      ResponseCode.SYSTEM_ERROR,
      ResponseCode.QUERY_NOT_FOUND,
      ResponseCode.TOPIC_NOT_EXIST,
      ResponseCode.INVALID_PARAMETER,
    ]);
    const field = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.integer().map(String),
      fc.constantFrom('-1', 'true', TOPIC),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...codes),
        fc.dictionary(
          fc.constantFrom(
            'topic',
            'key',
            'maxNum',
            'beginTimestamp',
            'endTimestamp',
            'offset',
            'group',
            'queueId',
            'timestamp',
            'isForce',
            'srcGroup',
            'destGroup',
            '_UNIQUE_KEY_QUERY',
          ),
          field,
        ),
        fc.option(fc.uint8Array({ maxLength: 48 }), { nil: undefined }),
        async (code, extFields, body) => {
          const response = await tb.invoke(
            createRequest(code, { extFields, body: body === undefined ? undefined : Buffer.from(body) }),
          );
          expect(allowed.has(response.code)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});
