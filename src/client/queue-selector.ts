/**
 * Choosing the queue a message goes to: round robin with fault avoidance (the default), by sharding key (ordered
 * messages: one key, one queue), or by a user function.
 */
import { RocketMQError } from '../common/errors.js';
import { javaStringHashCode } from '../protocol/message/hash.js';
import type { FaultAvoidance } from './fault-avoidance.js';
import type { Message } from './message.js';
import type { MessageQueue } from './route.js';

/**
 * A user queue choice: gets the topic's writable queues (in the same order on every client), the message and the
 * `arg` given to send, and returns one of the queues.
 */
export type QueueSelector = (queues: readonly MessageQueue[], message: Message, arg: unknown) => MessageQueue;

/** The queue for sharding key `key`: Java's SelectMessageQueueByHash (|String.hashCode| mod queue count). */
export function selectByShardingKey(queues: readonly MessageQueue[], key: string): MessageQueue {
  if (queues.length === 0) throw new RocketMQError('SERVICE_NOT_AVAILABLE', 'the topic has no writable queue');
  return queues[Math.abs(javaStringHashCode(key) % queues.length)] as MessageQueue;
}

/**
 * Round robin over a topic's queues that skips avoided brokers and, on a retry, the broker that just failed
 * (Java's MQFaultStrategy.selectOneMessageQueue).
 */
export class RoundRobinSelector {
  private index = Math.floor(Math.random() * 1024);

  constructor(private readonly faults: FaultAvoidance) {}

  /** The next queue; `lastBrokerName` is the broker of the failed previous attempt, if any. */
  select(queues: readonly MessageQueue[], lastBrokerName?: string): MessageQueue {
    const count = queues.length;
    if (count === 0) throw new RocketMQError('SERVICE_NOT_AVAILABLE', 'the topic has no writable queue');
    const start = this.index++ & 0x7fffffff;
    if (this.faults.enabled) {
      for (let i = 0; i < count; i++) {
        const mq = queues[(start + i) % count] as MessageQueue;
        if (mq.brokerName !== lastBrokerName && this.faults.isAvailable(mq.brokerName)) return mq;
      }
      for (let i = 0; i < count; i++) {
        const mq = queues[(start + i) % count] as MessageQueue;
        if (this.faults.isAvailable(mq.brokerName)) return mq;
      }
      const brokers = [...new Set(queues.map((q) => q.brokerName))].filter((b) => b !== lastBrokerName);
      const leastBad = this.faults.leastBad(brokers.length > 0 ? brokers : queues.map((q) => q.brokerName));
      const onLeastBad = queues.filter((q) => q.brokerName === leastBad);
      if (onLeastBad.length > 0) return onLeastBad[start % onLeastBad.length] as MessageQueue;
    }
    for (let i = 0; i < count; i++) {
      const mq = queues[(start + i) % count] as MessageQueue;
      if (mq.brokerName !== lastBrokerName) return mq;
    }
    return queues[start % count] as MessageQueue;
  }
}
