import { describe, expect, it } from 'vitest';
import { originalTopicOf, resendableProperties } from '../../src/client/dead-letters.js';
import type { MessageExt } from '../../src/protocol/message/message.js';

function withProps(properties: Record<string, string>): MessageExt {
  return { properties } as MessageExt;
}

describe('dead letter helpers', () => {
  it('takes the original topic from RETRY_TOPIC, else DLQ_ORIGIN_TOPIC', () => {
    expect(originalTopicOf(withProps({ RETRY_TOPIC: 'A', DLQ_ORIGIN_TOPIC: 'B' }))).toBe('A');
    expect(originalTopicOf(withProps({ DLQ_ORIGIN_TOPIC: 'B' }))).toBe('B');
    expect(originalTopicOf(withProps({}))).toBeUndefined();
  });

  it('keeps user properties only: reserved retry/DLQ/delay/id keys and transient keys are dropped', () => {
    const kept = resendableProperties({
      orderId: '42',
      __SHARDINGKEY: 'k',
      RETRY_TOPIC: 'A',
      ORIGIN_MESSAGE_ID: 'X',
      RECONSUME_TIME: '3',
      MAX_RECONSUME_TIMES: '16',
      DELAY: '3',
      REAL_TOPIC: 'A',
      REAL_QID: '0',
      DLQ_ORIGIN_TOPIC: 'A',
      DLQ_ORIGIN_MESSAGE_ID: 'U',
      UNIQ_KEY: 'U',
      TAGS: 't',
      KEYS: 'k',
      CLUSTER: 'DefaultCluster',
      MIN_OFFSET: '0',
      MAX_OFFSET: '9',
      '__RMQ.TRANSIENT.X': 'y',
    });
    expect(kept).toEqual({ orderId: '42', __SHARDINGKEY: 'k' });
  });
});
