import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/common/errors.js';
import type { FieldSpec, HeaderSchema } from '../../../src/protocol/headers/index.js';
import * as headers from '../../../src/protocol/headers/index.js';

interface AnyCodec {
  name: string;
  schema: HeaderSchema;
  fieldNames: readonly string[];
  encode(h: Record<string, unknown>): Record<string, string>;
  decode(ext: Record<string, string> | undefined): Record<string, unknown>;
}

function isCodec(v: unknown): v is AnyCodec {
  return typeof v === 'object' && v !== null && 'schema' in v && 'encode' in v && 'decode' in v;
}

const codecs = new Map<string, AnyCodec>();
for (const value of Object.values(headers)) if (isCodec(value)) codecs.set(value.name, value);

function valueArb(field: string, spec: FieldSpec): fc.Arbitrary<unknown> {
  if (field === 'boundaryType') return fc.constantFrom('lower', 'upper');
  switch (spec.type) {
    case 'string':
      return fc.string();
    case 'int':
      return fc.integer({ min: -2147483648, max: 2147483647 });
    case 'long':
      return fc.maxSafeInteger();
    default:
      return fc.boolean();
  }
}

function headerArb(codec: AnyCodec): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  const required: string[] = [];
  for (const [field, spec] of Object.entries(codec.schema)) {
    model[field] = valueArb(field, spec);
    if (spec.required) required.push(field);
  }
  return fc.record(model, { requiredKeys: required });
}

function errorOf(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

describe('every header codec', () => {
  it('is exported from headers/index', () => {
    expect(codecs.size).toBeGreaterThan(50);
    for (const name of [
      'PullMessageRequestHeader',
      'SearchOffsetRequestHeader',
      'EndTransactionRequestHeader',
      'ResetOffsetRequestHeader',
      'RegisterBrokerRequestHeader',
      'LockBatchMqRequestHeader',
    ])
      expect(codecs.has(name), name).toBe(true);
  });

  it.each([...codecs.keys()])('%s round-trips seeded random values', (name) => {
    const codec = codecs.get(name)!;
    fc.assert(
      fc.property(headerArb(codec), (h) => {
        const ext = codec.encode(h);
        for (const v of Object.values(ext)) expect(typeof v).toBe('string');
        expect(codec.decode(ext)).toEqual(h);
      }),
      { seed: 2024, numRuns: 25 },
    );
  });

  it.each([...codecs.keys()])('%s names each missing required field', (name) => {
    const codec = codecs.get(name)!;
    const full = fc.sample(headerArb(codec), { seed: 1, numRuns: 1 })[0]!;
    for (const [field, spec] of Object.entries(codec.schema)) {
      if (!spec.required) continue;
      const ext = codec.encode({ ...full, [field]: undefined });
      const err = errorOf(() => codec.decode(ext));
      expect(err.code).toBe('MISSING_HEADER_FIELD');
      expect(err.message).toContain(`<${field}>`);
    }
  });

  it('decoders never throw anything but ProtocolError on arbitrary string maps', () => {
    const all = [...codecs.values()];
    const keys = [...new Set(all.flatMap((c) => c.fieldNames)), 'unknown', '__proto__', 'constructor'];
    const value = fc.oneof(
      fc.string(),
      fc.integer().map(String),
      fc.constantFrom('true', 'FALSE', '', '-', '9007199254740992', '1e3', ' 1'),
    );
    fc.assert(
      fc.property(fc.constantFrom(...all), fc.dictionary(fc.constantFrom(...keys), value), (codec, ext) => {
        try {
          codec.decode(ext);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }),
      { seed: 99, numRuns: 500 },
    );
  });
});

describe('golden ext maps (hand-written from reference §3)', () => {
  it('PULL_MESSAGE as a Java push consumer sends it', () => {
    const ext = {
      consumerGroup: 'cg', // consumerGroup*
      topic: 'TopicTest', // topic*
      queueId: '3', // queueId* I
      queueOffset: '100', // queueOffset* L
      maxMsgNums: '32', // push consumer default batch
      sysFlag: '7', // COMMIT_OFFSET | SUSPEND | SUBSCRIPTION
      commitOffset: '90', // valid because of the commit bit
      suspendTimeoutMillis: '15000', // long-poll hold
      subscription: 'TagA || TagB',
      subVersion: '1700000000000',
      expressionType: 'TAG',
    };
    const h = headers.PullMessageRequestHeader.decode(ext);
    expect(h).toEqual({
      consumerGroup: 'cg',
      topic: 'TopicTest',
      queueId: 3,
      queueOffset: 100,
      maxMsgNums: 32,
      sysFlag: headers.PullSysFlag.COMMIT_OFFSET | headers.PullSysFlag.SUSPEND | headers.PullSysFlag.SUBSCRIPTION,
      commitOffset: 90,
      suspendTimeoutMillis: 15000,
      subscription: 'TagA || TagB',
      subVersion: 1700000000000,
      expressionType: 'TAG',
    });
    expect(headers.PullMessageRequestHeader.encode(h)).toEqual(ext);
    expect(
      headers.PullMessageResponseHeader.encode({
        suggestWhichBrokerId: 0,
        nextBeginOffset: 132,
        minOffset: 0,
        maxOffset: 500,
      }),
    ).toEqual({ suggestWhichBrokerId: '0', nextBeginOffset: '132', minOffset: '0', maxOffset: '500' });
  });

  it('SEARCH_OFFSET_BY_TIMESTAMP boundaryType lower/upper, like BoundaryType.getType', () => {
    const base = { topic: 'T', queueId: '0', timestamp: '1700000000000' };
    expect(headers.SearchOffsetRequestHeader.decode(base)).toEqual({
      topic: 'T',
      queueId: 0,
      timestamp: 1700000000000,
    });
    expect(headers.SearchOffsetRequestHeader.decode({ ...base, boundaryType: 'upper' }).boundaryType).toBe('upper');
    expect(headers.SearchOffsetRequestHeader.decode({ ...base, boundaryType: 'UPPER' }).boundaryType).toBe('upper');
    expect(headers.SearchOffsetRequestHeader.decode({ ...base, boundaryType: 'lower' }).boundaryType).toBe('lower');
    expect(headers.SearchOffsetRequestHeader.decode({ ...base, boundaryType: 'sideways' }).boundaryType).toBe('lower');
    expect(
      headers.SearchOffsetRequestHeader.encode({ topic: 'T', queueId: 0, timestamp: 5, boundaryType: 'upper' }),
    ).toEqual({ topic: 'T', queueId: '0', timestamp: '5', boundaryType: 'upper' });
    expect(headers.SearchOffsetResponseHeader.decode({ offset: '42' })).toEqual({ offset: 42 });
  });

  it('offset headers', () => {
    expect(
      headers.QueryConsumerOffsetRequestHeader.decode({
        consumerGroup: 'g',
        topic: 'T',
        queueId: '1',
        setZeroIfNotFound: 'false',
      }),
    ).toEqual({ consumerGroup: 'g', topic: 'T', queueId: 1, setZeroIfNotFound: false });
    expect(
      headers.UpdateConsumerOffsetRequestHeader.encode({
        consumerGroup: 'g',
        topic: 'T',
        queueId: 1,
        commitOffset: 77,
      }),
    ).toEqual({ consumerGroup: 'g', topic: 'T', queueId: '1', commitOffset: '77' });
    expect(
      headers.GetMaxOffsetRequestHeader.decode({ topic: 'T', queueId: '2', committed: 'true', lo: 'false' }),
    ).toEqual({
      topic: 'T',
      queueId: 2,
      committed: true,
      lo: false,
    });
    expect(headers.GetEarliestMsgStoretimeResponseHeader.encode({ timestamp: 1 })).toEqual({ timestamp: '1' });
  });

  it('END_TRANSACTION commit, with its constants', () => {
    expect(headers.TransactionResolution).toEqual({ NOT_TYPE: 0, COMMIT: 8, ROLLBACK: 12 });
    const ext = {
      topic: 'TopicTest',
      producerGroup: 'pg',
      tranStateTableOffset: '12', // half message's queue offset
      commitLogOffset: '4096', // half message's commitlog offset
      commitOrRollback: '8', // COMMIT
      fromTransactionCheck: 'false',
      msgId: 'AC110001000018B4AAC2_1', // UNIQ_KEY
      transactionId: 'AC110001000018B4AAC2_1',
    };
    const h = headers.EndTransactionRequestHeader.decode(ext);
    expect(h.commitOrRollback).toBe(headers.TransactionResolution.COMMIT);
    expect(h.commitLogOffset).toBe(4096);
    expect(headers.EndTransactionRequestHeader.encode(h)).toEqual(ext);
    expect(
      headers.CheckTransactionStateRequestHeader.decode({
        tranStateTableOffset: '12',
        commitLogOffset: '4096',
        msgId: 'U',
        transactionId: 'U',
        offsetMsgId: 'O',
        bname: 'broker-a',
      }),
    ).toEqual({
      tranStateTableOffset: 12,
      commitLogOffset: 4096,
      msgId: 'U',
      transactionId: 'U',
      offsetMsgId: 'O',
      bname: 'broker-a',
    });
  });

  it('CONSUMER_SEND_MSG_BACK', () => {
    const ext = {
      offset: '8192',
      group: 'cg',
      delayLevel: '0',
      originMsgId: 'U',
      originTopic: 'T',
      unitMode: 'false',
      maxReconsumeTimes: '16',
    };
    expect(headers.ConsumerSendMsgBackRequestHeader.decode(ext)).toEqual({
      offset: 8192,
      group: 'cg',
      delayLevel: 0,
      originMsgId: 'U',
      originTopic: 'T',
      unitMode: false,
      maxReconsumeTimes: 16,
    });
  });

  it('QUERY_MESSAGE by unique key uses the _UNIQUE_KEY_QUERY ext key, which the header ignores', () => {
    expect(headers.UNIQUE_KEY_QUERY_EXT_KEY).toBe('_UNIQUE_KEY_QUERY');
    const ext = {
      topic: 'T',
      key: 'K',
      maxNum: '32',
      beginTimestamp: '0',
      endTimestamp: '9007199254740991',
      _UNIQUE_KEY_QUERY: 'true',
    };
    expect(headers.QueryMessageRequestHeader.decode(ext)).toEqual({
      topic: 'T',
      key: 'K',
      maxNum: 32,
      beginTimestamp: 0,
      endTimestamp: 9007199254740991,
    });
    expect(headers.ViewMessageRequestHeader.decode({ offset: '123' })).toEqual({ offset: 123 });
  });

  it('client headers: UNREGISTER_CLIENT uses clientID, heartbeat has no own fields', () => {
    expect(headers.UnregisterClientRequestHeader.decode({ clientID: '10.0.0.2@123', producerGroup: 'pg' })).toEqual({
      clientID: '10.0.0.2@123',
      producerGroup: 'pg',
    });
    expect(headers.HeartbeatRequestHeader.decode(undefined)).toEqual({});
    expect(headers.LockBatchMqRequestHeader.encode({})).toEqual({});
    expect(headers.NotifyConsumerIdsChangedRequestHeader.encode({ consumerGroup: 'g' })).toEqual({
      consumerGroup: 'g',
    });
  });

  it('admin headers: CreateTopic, ResetOffset isForce', () => {
    const create = {
      topic: 'T',
      defaultTopic: 'TBW102',
      readQueueNums: '8',
      writeQueueNums: '8',
      perm: '6', // read | write
      topicFilterType: 'SINGLE_TAG',
      topicSysFlag: '0',
      order: 'false',
      attributes: '+message.type=NORMAL',
    };
    expect(headers.CreateTopicRequestHeader.encode(headers.CreateTopicRequestHeader.decode(create))).toEqual(create);
    const reset = headers.ResetOffsetRequestHeader.decode({ group: 'g', topic: 'T', timestamp: '-1', isForce: 'true' });
    expect(reset).toEqual({ group: 'g', topic: 'T', timestamp: -1, isForce: true });
    expect(headers.ResetOffsetRequestHeader.encode(reset)).toHaveProperty('isForce', 'true');
    expect(
      errorOf(() => headers.ResetOffsetRequestHeader.decode({ group: 'g', topic: 'T', timestamp: '0' })).message,
    ).toContain('<isForce>');
  });
});
