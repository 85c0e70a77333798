import { describe, expect, it } from 'vitest';
import { FaultAvoidance } from '../../src/client/fault-avoidance.js';
import { messageProperties } from '../../src/client/message.js';
import { withNamespace, withoutNamespace } from '../../src/client/namespace.js';
import { RoundRobinSelector, selectByShardingKey } from '../../src/client/queue-selector.js';
import type { MessageQueue } from '../../src/client/route.js';

const queues: MessageQueue[] = [
  { topic: 'T', brokerName: 'a', queueId: 0 },
  { topic: 'T', brokerName: 'a', queueId: 1 },
  { topic: 'T', brokerName: 'b', queueId: 0 },
  { topic: 'T', brokerName: 'b', queueId: 1 },
];

describe('FaultAvoidance', () => {
  it('avoids a broker for the duration matching its latency, and a failed one for 10 minutes', () => {
    const clock = { now: 1_000_000 };
    const faults = new FaultAvoidance({ now: () => clock.now });
    faults.record('fast', 40, false);
    faults.record('slow', 600, false); // ≥ 550 ms ⇒ 30 s
    faults.record('down', 5, true); // failure counts as 30 s latency ⇒ 600 s
    expect(faults.isAvailable('fast')).toBe(true);
    expect(faults.avoidedBrokers().sort()).toEqual(['down', 'slow']);
    clock.now += 30_000;
    expect(faults.isAvailable('slow')).toBe(true);
    expect(faults.isAvailable('down')).toBe(false);
    clock.now += 570_000;
    expect(faults.isAvailable('down')).toBe(true);
  });

  it('names the least bad broker (lowest latency) when all are avoided', () => {
    const faults = new FaultAvoidance({ now: () => 0 });
    faults.record('a', 2000, false);
    faults.record('b', 600, false);
    expect(faults.leastBad(['a', 'b'])).toBe('b');
    expect(faults.leastBad(['a', 'never-failed'])).toBe('never-failed');
  });

  it('records nothing when disabled', () => {
    const faults = new FaultAvoidance({ enabled: false });
    faults.record('a', 0, true);
    expect(faults.isAvailable('a')).toBe(true);
  });
});

describe('RoundRobinSelector', () => {
  it('cycles through every queue', () => {
    const selector = new RoundRobinSelector(new FaultAvoidance());
    const seen = new Set(
      Array.from({ length: 4 }, () => selector.select(queues)).map((q) => `${q.brokerName}${q.queueId}`),
    );
    expect(seen.size).toBe(4);
  });

  it('skips the broker that just failed and avoided brokers', () => {
    const faults = new FaultAvoidance();
    const selector = new RoundRobinSelector(faults);
    for (let i = 0; i < 8; i++) expect(selector.select(queues, 'a').brokerName).toBe('b');
    faults.record('b', 0, true);
    for (let i = 0; i < 8; i++) expect(selector.select(queues).brokerName).toBe('a');
  });

  it('still picks a queue when every broker is avoided', () => {
    const faults = new FaultAvoidance();
    faults.record('a', 0, true);
    faults.record('b', 0, true);
    expect(queues).toContainEqual(new RoundRobinSelector(faults).select(queues));
  });

  it('throws SERVICE_NOT_AVAILABLE for a topic without queues', () => {
    expect(() => new RoundRobinSelector(new FaultAvoidance()).select([])).toThrow(/no writable queue/);
  });
});

describe('selectByShardingKey', () => {
  it('maps a key to |String.hashCode| mod queue count, as Java SelectMessageQueueByHash', () => {
    // "order-1".hashCode() = -1207111310 (Java); |-1207111310 % 4| = 2
    expect(selectByShardingKey(queues, 'order-1')).toBe(queues[2]);
    expect(selectByShardingKey(queues, 'order-1')).toBe(selectByShardingKey(queues, 'order-1'));
  });
});

describe('namespace', () => {
  it('prefixes names and keeps retry/DLQ prefixes in front', () => {
    expect(withNamespace('ns', 'T')).toBe('ns%T');
    expect(withNamespace('ns', 'ns%T')).toBe('ns%T');
    expect(withNamespace('ns', '%RETRY%g')).toBe('%RETRY%ns%g');
    expect(withNamespace(undefined, 'T')).toBe('T');
    expect(withoutNamespace('ns', '%DLQ%ns%g')).toBe('%DLQ%g');
    expect(withoutNamespace('ns', 'other%T')).toBe('other%T');
  });
});

describe('messageProperties', () => {
  it('builds TAGS, KEYS, WAIT, DELAY and sharding key', () => {
    expect(
      messageProperties({
        topic: 'T',
        body: 'x',
        tags: 't',
        keys: ['a', 'b'],
        delayLevel: 2,
        shardingKey: 's',
        waitStoreMsgOk: false,
      }),
    ).toEqual({ TAGS: 't', KEYS: 'a b', WAIT: 'false', DELAY: '2', __SHARDINGKEY: 's' });
  });

  it('rejects reserved keys, empty topics and bad delays', () => {
    expect(() => messageProperties({ topic: 'T', body: 'x', properties: { DELAY: '1' } })).toThrow(/reserved/);
    expect(() => messageProperties({ topic: '', body: 'x' })).toThrow(/topic/);
    expect(() => messageProperties({ topic: 'T', body: 'x', delayLevel: -1 })).toThrow(/delayLevel/);
  });
});
