import { describe, expect, it } from 'vitest';
import { BrokerController } from '../../src/broker/broker.js';
import { resolveBrokerConfig } from '../../src/broker/broker-config.js';
import {
  DEFAULT_MESSAGE_DELAY_LEVEL,
  delayLevelOf,
  deliverTimeOf,
  parseDelayLevels,
  restoreScheduledMessage,
  toScheduledMessage,
} from '../../src/broker/delay-levels.js';
import {
  dlqTopicOf,
  effectiveMaxReconsumeTimes,
  isDlqTopic,
  retrySendGoesToDlq,
  sendBackTarget,
} from '../../src/broker/retry-policy.js';
import { RocketMQError } from '../../src/common/errors.js';
import { Version } from '../../src/protocol/command.js';
import { decodeProperties, encodeProperties } from '../../src/protocol/message/properties.js';
import type { MessageRecord } from '../../src/protocol/message/record.js';
import { MessageSysFlag } from '../../src/protocol/message/sysflag.js';
import type { MessageToStore } from '../../src/store/message-store.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;

function message(props: Record<string, string>, sysFlag = 0): MessageToStore {
  return {
    topic: 'TopicA',
    queueId: 3,
    flag: 5,
    sysFlag,
    bornTimestamp: 1_700_000_000_000,
    bornHost: { host: '10.0.0.1', port: 1234 },
    body: Buffer.from('body'),
    properties: encodeProperties(props),
    reconsumeTimes: 2,
    preparedTransactionOffset: 0,
  };
}

describe('messageDelayLevel parsing', () => {
  it('parses the default table into the 18 Java delays', () => {
    expect(parseDelayLevels(DEFAULT_MESSAGE_DELAY_LEVEL)).toEqual([
      S,
      5 * S,
      10 * S,
      30 * S,
      M,
      2 * M,
      3 * M,
      4 * M,
      5 * M,
      6 * M,
      7 * M,
      8 * M,
      9 * M,
      10 * M,
      20 * M,
      30 * M,
      H,
      2 * H,
    ]);
  });

  it('accepts s/m/h/d units and extra spaces', () => {
    expect(parseDelayLevels('  0s 2m\t3h  1d ')).toEqual([0, 2 * M, 3 * H, 24 * H]);
  });

  it.each(['', '   ', '5', 's', '1x', '-1s', '1.5s', '1S', '1s,2s', '400d'])(
    'rejects %j with CONFIG_INVALID',
    (text) => {
      let thrown: unknown;
      try {
        parseDelayLevels(text);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(RocketMQError);
      expect((thrown as RocketMQError).code).toBe('CONFIG_INVALID');
      expect((thrown as Error).message).toContain('messageDelayLevel');
    },
  );

  it('the broker refuses a bad messageDelayLevel at construction, naming the key', () => {
    const config = resolveBrokerConfig({ messageDelayLevel: '1s 2q' });
    expect(() => new BrokerController({ config })).toThrow(/messageDelayLevel/);
  });

  it('reads the DELAY property: positive integers only', () => {
    expect(delayLevelOf('3')).toBe(3);
    expect(delayLevelOf(' 18 ')).toBe(18);
    for (const bad of [undefined, '', '0', '-1', 'abc', '1.5', '99999999999']) expect(delayLevelOf(bad)).toBe(0);
  });

  it('computes the delivery time as store time plus the level delay', () => {
    const levels = parseDelayLevels('1s 5s 10s');
    expect(deliverTimeOf(1000, 1, levels)).toBe(2000);
    expect(deliverTimeOf(1000, 3, levels)).toBe(11_000);
  });
});

describe('parking and restoring delayed messages', () => {
  const levels = parseDelayLevels('1s 5s 10s');

  it('parks a DELAY message in SCHEDULE_TOPIC_XXXX queue level-1 with REAL_TOPIC/REAL_QID and tagsCode = due time', () => {
    const parked = toScheduledMessage(message({ DELAY: '2', TAGS: 't', KEYS: 'k' }), levels, 50_000);
    expect(parked.topic).toBe('SCHEDULE_TOPIC_XXXX');
    expect(parked.queueId).toBe(1);
    expect(parked.tagsCode).toBe(55_000);
    const props = decodeProperties(parked.properties);
    expect(props).toMatchObject({ DELAY: '2', REAL_TOPIC: 'TopicA', REAL_QID: '3', TAGS: 't', KEYS: 'k' });
  });

  it('caps the level to the table', () => {
    const parked = toScheduledMessage(message({ DELAY: '40' }), levels, 0);
    expect(parked.queueId).toBe(2);
    expect(parked.tagsCode).toBe(10_000);
    expect(decodeProperties(parked.properties).DELAY).toBe('3');
  });

  it('leaves messages without a positive level, and half (prepared) messages, alone', () => {
    for (const props of [{}, { DELAY: '0' }, { DELAY: '-1' }, { DELAY: 'x' }] as Record<string, string>[]) {
      const m = message(props);
      expect(toScheduledMessage(m, levels, 0)).toBe(m);
    }
    const prepared = message({ DELAY: '1' }, MessageSysFlag.TRANSACTION_PREPARED_TYPE);
    expect(toScheduledMessage(prepared, levels, 0)).toBe(prepared);
    const committed = message({ DELAY: '1' }, MessageSysFlag.TRANSACTION_COMMIT_TYPE);
    expect(toScheduledMessage(committed, levels, 0).topic).toBe('SCHEDULE_TOPIC_XXXX');
  });

  it('restores the real topic and queue, dropping DELAY/REAL_TOPIC/REAL_QID and keeping the rest', () => {
    const parked = toScheduledMessage(
      message({ DELAY: '1', TAGS: 't', KEYS: 'a b', UNIQ_KEY: 'U1', x: 'y' }),
      levels,
      0,
    );
    const rec: MessageRecord = {
      topic: parked.topic,
      queueId: parked.queueId,
      flag: parked.flag,
      queueOffset: 0,
      physicalOffset: 100,
      sysFlag: parked.sysFlag,
      bornTimestamp: parked.bornTimestamp,
      bornHost: parked.bornHost,
      storeTimestamp: 1,
      storeHost: { host: '127.0.0.1', port: 10911 },
      reconsumeTimes: parked.reconsumeTimes,
      preparedTransactionOffset: 0,
      body: parked.body,
      properties: parked.properties,
      bodyCrc: 0,
    };
    const back = restoreScheduledMessage(rec)!;
    expect(back).toMatchObject({ topic: 'TopicA', queueId: 3, flag: 5, reconsumeTimes: 2, tags: 't', uniqKey: 'U1' });
    expect(back.keys).toEqual(['a', 'b']);
    expect(back.body.toString()).toBe('body');
    expect({ ...decodeProperties(back.properties) }).toEqual({ TAGS: 't', KEYS: 'a b', UNIQ_KEY: 'U1', x: 'y' });
    expect(restoreScheduledMessage({ ...rec, properties: encodeProperties({ REAL_QID: '1' }) })).toBeUndefined();
    expect(
      restoreScheduledMessage({ ...rec, properties: encodeProperties({ REAL_TOPIC: 'T', REAL_QID: 'x' }) }),
    ).toBeUndefined();
  });
});

describe('retry and dead-letter rules', () => {
  it.each([
    // reconsumeTimes, max, asked level → target
    [0, 16, 0, { kind: 'retry', delayLevel: 3 }],
    [1, 16, 0, { kind: 'retry', delayLevel: 4 }],
    [15, 16, 0, { kind: 'retry', delayLevel: 18 }],
    [16, 16, 0, { kind: 'dlq' }],
    [17, 16, 0, { kind: 'dlq' }],
    [0, 16, 5, { kind: 'retry', delayLevel: 5 }],
    [0, 16, -1, { kind: 'dlq' }],
    [0, 0, 0, { kind: 'dlq' }],
    [1, 2, 0, { kind: 'retry', delayLevel: 4 }],
    [2, 2, 0, { kind: 'dlq' }],
  ] as const)('send-back of reconsumeTimes %i with max %i and level %i', (times, max, level, expected) => {
    expect(sendBackTarget(times, max, level)).toEqual(expected);
  });

  it('the send path sends to the DLQ only strictly past the limit', () => {
    expect(retrySendGoesToDlq(16, 16)).toBe(false);
    expect(retrySendGoesToDlq(17, 16)).toBe(true);
  });

  it("takes the header's maximum from V3_4_9 clients that sent one, else the group's", () => {
    expect(effectiveMaxReconsumeTimes(16, Version.V3_4_9, 3)).toBe(3);
    expect(effectiveMaxReconsumeTimes(16, Version.V3_4_9 - 1, 3)).toBe(16);
    expect(effectiveMaxReconsumeTimes(5, Version.V3_4_9, undefined)).toBe(5);
  });

  it('names the DLQ topic', () => {
    expect(dlqTopicOf('G1')).toBe('%DLQ%G1');
    expect(isDlqTopic('%DLQ%G1')).toBe(true);
    expect(isDlqTopic('%RETRY%G1')).toBe(false);
  });
});
