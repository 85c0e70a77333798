import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequest } from '../../src/protocol/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { sendRequest, startTestBroker, type TestBroker } from './broker-harness.js';

/** Every code this half of the broker serves. */
const CODES = [
  RequestCode.SEND_MESSAGE,
  RequestCode.SEND_MESSAGE_V2,
  RequestCode.SEND_BATCH_MESSAGE,
  RequestCode.PULL_MESSAGE,
  RequestCode.LITE_PULL_MESSAGE,
  RequestCode.UPDATE_AND_CREATE_TOPIC,
  RequestCode.DELETE_TOPIC_IN_BROKER,
  RequestCode.GET_ALL_TOPIC_CONFIG,
  RequestCode.GET_TOPIC_STATS_INFO,
  RequestCode.GET_BROKER_RUNTIME_INFO,
  RequestCode.GET_BROKER_CONFIG,
  RequestCode.UPDATE_BROKER_CONFIG,
];

const KNOWN_CODES = new Set<number>(Object.values(ResponseCode));

/** Ext keys the handlers read, so random values hit the parsers and checks, not just "missing field". */
const KEYS = [
  'a',
  'b',
  'c',
  'd',
  'e',
  'f',
  'g',
  'h',
  'i',
  'j',
  'm',
  'producerGroup',
  'topic',
  'defaultTopic',
  'defaultTopicQueueNums',
  'queueId',
  'sysFlag',
  'bornTimestamp',
  'flag',
  'properties',
  'batch',
  'consumerGroup',
  'queueOffset',
  'maxMsgNums',
  'commitOffset',
  'suspendTimeoutMillis',
  'subscription',
  'subVersion',
  'expressionType',
  'readQueueNums',
  'writeQueueNums',
  'perm',
  'topicFilterType',
  'order',
  'attributes',
];

const value = fc.oneof(
  fc.constantFrom('0', '-1', '1', '2147483648', '99999999999999999999', 'true', 'TBW102', 'T1', '*', ''),
  fc.string({ maxLength: 20 }),
);

describe('bad input to every broker code', () => {
  let b: TestBroker;
  beforeAll(async () => {
    b = await startTestBroker();
    await b.invoke(sendRequest('T1', 'seed'));
  });
  afterAll(async () => {
    await b.close();
  });

  it('answers every garbage request with a RocketMQ response code and keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...CODES),
        fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 12 }),
        fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
        async (code, extFields, body) => {
          // long polls would be held: never ask for suspension here
          if (extFields.sysFlag !== undefined) extFields.sysFlag = '4';
          const res = await b.invoke(
            createRequest(code, { extFields, body: body === undefined ? undefined : Buffer.from(body) }),
          );
          expect(KNOWN_CODES.has(res.code)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
    const ok = await b.invoke(sendRequest('AliveCheck', 'still alive'));
    expect(ok.code).toBe(ResponseCode.SUCCESS);
  });
});
