import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/common/errors.js';
import {
  decodeSendMessageV2,
  encodeSendMessageV2,
  type SendMessageRequestHeader,
  SendMessageResponseHeader,
  SendMessageRequestHeader as SendV1,
  SendMessageRequestHeaderV2 as SendV2,
  sendHeaderFromV2,
  sendHeaderToV2,
} from '../../../src/protocol/headers/send.js';

/** Properties string (§5.1): name \x01 value \x02 … */
const PROPS = 'UNIQ_KEY\u0001AC110001000018B4AAC2_1\u0002WAIT\u0001true\u0002TAGS\u0001TagA\u0002';

/** A SEND_MESSAGE_V2 header as a Java 4.9.7 client sends it (hand-written from §3.1). */
const JAVA_497_V2 = {
  a: 'please_rename_unique_group_name', // producerGroup
  b: 'TopicTest', // topic
  c: 'TBW102', // defaultTopic
  d: '4', // defaultTopicQueueNums
  e: '1', // queueId
  f: '0', // sysFlag
  g: '1700000000123', // bornTimestamp
  h: '0', // flag
  i: PROPS, // properties
  j: '0', // reconsumeTimes
  k: 'false', // unitMode (primitive boolean up to 4.9.x: always sent)
  m: 'false', // batch (primitive boolean up to 4.9.x: always sent)
  n: 'broker-a', // brokerName (from 4.9.7)
};

const EXPECTED_V1: SendMessageRequestHeader = {
  producerGroup: 'please_rename_unique_group_name',
  topic: 'TopicTest',
  defaultTopic: 'TBW102',
  defaultTopicQueueNums: 4,
  queueId: 1,
  sysFlag: 0,
  bornTimestamp: 1700000000123,
  flag: 0,
  properties: PROPS,
  reconsumeTimes: 0,
  unitMode: false,
  batch: false,
  bname: 'broker-a',
};

function errorOf(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

const v1Arb: fc.Arbitrary<SendMessageRequestHeader> = fc.record(
  {
    producerGroup: fc.string(),
    topic: fc.string(),
    defaultTopic: fc.string(),
    defaultTopicQueueNums: fc.integer({ min: -2147483648, max: 2147483647 }),
    queueId: fc.integer({ min: -2147483648, max: 2147483647 }),
    sysFlag: fc.integer({ min: 0, max: 0x7ff }),
    bornTimestamp: fc.maxSafeInteger(),
    flag: fc.integer({ min: -2147483648, max: 2147483647 }),
    properties: fc.string(),
    reconsumeTimes: fc.integer({ min: 0, max: 100 }),
    unitMode: fc.boolean(),
    batch: fc.boolean(),
    maxReconsumeTimes: fc.integer({ min: -1, max: 100 }),
    bname: fc.string(),
    ns: fc.string(),
    nsd: fc.boolean(),
    oway: fc.boolean(),
    lo: fc.boolean(),
  },
  {
    requiredKeys: [
      'producerGroup',
      'topic',
      'defaultTopic',
      'defaultTopicQueueNums',
      'queueId',
      'sysFlag',
      'bornTimestamp',
      'flag',
    ],
  },
);

describe('send headers', () => {
  it('decodes a Java 4.9.7 V2 header straight to V1', () => {
    expect(decodeSendMessageV2(JAVA_497_V2)).toEqual(EXPECTED_V1);
    expect(sendHeaderFromV2(SendV2.decode(JAVA_497_V2))).toEqual(EXPECTED_V1);
  });

  it('encodes V1 as the same V2 ext map', () => {
    expect(encodeSendMessageV2(EXPECTED_V1)).toEqual(JAVA_497_V2);
  });

  it('decodes a 5.x V2 header without k/m/n and with the batch flag', () => {
    const h = decodeSendMessageV2({
      a: 'g',
      b: 'T',
      c: 'TBW102',
      d: '8',
      e: '-1', // broker picks the queue
      f: '1', // COMPRESSED_FLAG
      g: '1',
      h: '0',
      m: 'true', // batch body
      l: '3', // maxReconsumeTimes
    });
    expect(h).toEqual({
      producerGroup: 'g',
      topic: 'T',
      defaultTopic: 'TBW102',
      defaultTopicQueueNums: 8,
      queueId: -1,
      sysFlag: 1,
      bornTimestamp: 1,
      flag: 0,
      batch: true,
      maxReconsumeTimes: 3,
    });
  });

  it('decodes a V1 header as a code-10 client sends it', () => {
    const ext = {
      producerGroup: 'pg', // producerGroup*
      topic: 'T',
      defaultTopic: 'TBW102',
      defaultTopicQueueNums: '4',
      queueId: '0',
      sysFlag: '0',
      bornTimestamp: '1700000000000',
      flag: '0',
      properties: PROPS,
      reconsumeTimes: '0',
      unitMode: 'false',
      batch: 'false',
    };
    const h = SendV1.decode(ext);
    expect(h.queueId).toBe(0);
    expect(h.batch).toBe(false);
    expect(SendV1.encode(h)).toEqual(ext);
  });

  it('names the missing V2 letter', () => {
    for (const letter of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
      const ext: Record<string, string> = { ...JAVA_497_V2 };
      delete ext[letter];
      const err = errorOf(() => decodeSendMessageV2(ext));
      expect(err.code).toBe('MISSING_HEADER_FIELD');
      expect(err.message).toContain(`<${letter}>`);
      expect(errorOf(() => SendV2.decode(ext)).message).toContain(`<${letter}>`);
    }
    expect(errorOf(() => decodeSendMessageV2(undefined)).code).toBe('MISSING_HEADER_FIELD');
  });

  it('rejects bad numbers naming the field', () => {
    expect(errorOf(() => decodeSendMessageV2({ ...JAVA_497_V2, e: 'x' })).message).toContain('e');
    expect(errorOf(() => decodeSendMessageV2({ ...JAVA_497_V2, g: '1.5' })).code).toBe('INVALID_HEADER_FIELD');
    expect(errorOf(() => decodeSendMessageV2({ ...JAVA_497_V2, j: '4294967296' })).code).toBe('INVALID_HEADER_FIELD');
  });

  it('maps V1 ⇄ V2 both ways for seeded random headers', () => {
    fc.assert(
      fc.property(v1Arb, (v1) => {
        expect(sendHeaderFromV2(sendHeaderToV2(v1))).toEqual(v1);
        const ext = encodeSendMessageV2(v1);
        expect(ext).toEqual(SendV2.encode(sendHeaderToV2(v1))); // the written-out encoder matches the schema's
        expect(decodeSendMessageV2(ext)).toEqual(v1);
        expect(sendHeaderFromV2(SendV2.decode(ext))).toEqual(v1);
        expect(SendV1.decode(SendV1.encode(v1))).toEqual(v1);
      }),
      { seed: 310, numRuns: 200 },
    );
  });

  it('decodeSendMessageV2 and the schema decoder agree on arbitrary maps', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'x');
    const value = fc.oneof(fc.string(), fc.integer().map(String), fc.constantFrom('true', 'false', '99999999999'));
    fc.assert(
      fc.property(fc.dictionary(key, value, { minKeys: 6 }), (ext) => {
        let fast: unknown;
        let slow: unknown;
        try {
          fast = decodeSendMessageV2(ext);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
          fast = (err as ProtocolError).code;
        }
        try {
          slow = sendHeaderFromV2(SendV2.decode(ext));
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
          slow = (err as ProtocolError).code;
        }
        expect(fast).toEqual(slow);
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it('response header', () => {
    const ext = {
      msgId: 'C0A8000100002A9F0000000000000000', // offset message id
      queueId: '2',
      queueOffset: '41',
      transactionId: 'AC110001000018B4AAC2_1',
    };
    expect(SendMessageResponseHeader.decode({ ...ext, MSG_REGION: 'DefaultRegion', TRACE_ON: 'true' })).toEqual({
      msgId: 'C0A8000100002A9F0000000000000000',
      queueId: 2,
      queueOffset: 41,
      transactionId: 'AC110001000018B4AAC2_1',
    });
    expect(SendMessageResponseHeader.encode(SendMessageResponseHeader.decode(ext))).toEqual(ext);
  });
});
