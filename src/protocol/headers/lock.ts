/** Queue lock headers and bodies (reference §3.6, §4.6, §6.7): LOCK_BATCH_MQ (41), UNLOCK_BATCH_MQ (42). */
import { ProtocolError } from '../../common/errors.js';
import { parseJson } from '../fastjson.js';
import { defineHeader, type HeaderOf, RPC_FIELDS } from './header.js';

/** LOCK_BATCH_MQ request header: no own fields; the payload is the LockBatchRequestBody. */
export const LockBatchMqRequestHeader = defineHeader('LockBatchMqRequestHeader', { ...RPC_FIELDS });
export type LockBatchMqRequestHeader = HeaderOf<typeof LockBatchMqRequestHeader>;

/** UNLOCK_BATCH_MQ request header: no own fields; the payload is the UnlockBatchRequestBody. */
export const UnlockBatchMqRequestHeader = defineHeader('UnlockBatchMqRequestHeader', { ...RPC_FIELDS });
export type UnlockBatchMqRequestHeader = HeaderOf<typeof UnlockBatchMqRequestHeader>;

/** A queue of a topic on one broker, as in every JSON body: `{"brokerName","queueId","topic"}`. */
export interface MessageQueue {
  topic: string;
  brokerName: string;
  queueId: number;
}

/**
 * A MessageQueue written as a map key, as fastjson writes one (`{"brokerName":"b","queueId":0,"topic":"t"}`), parsed
 * back. ProtocolError BODY_MALFORMED when it is not one.
 */
export function parseMessageQueueKey(key: string): MessageQueue {
  let value: unknown;
  try {
    value = parseJson(key);
  } catch {
    value = undefined;
  }
  const mq = value as Partial<Record<keyof MessageQueue, unknown>> | undefined;
  if (typeof mq !== 'object' || mq === null || typeof mq.topic !== 'string' || typeof mq.brokerName !== 'string') {
    throw new ProtocolError('BODY_MALFORMED', `not a MessageQueue key: ${key.slice(0, 80)}`);
  }
  const q = mq.queueId;
  const queueId =
    typeof q === 'number' && Number.isFinite(q)
      ? q
      : typeof q === 'string' && q.trim() !== '' && Number.isFinite(Number(q))
        ? Number(q)
        : 0;
  return { topic: mq.topic, brokerName: mq.brokerName, queueId };
}

/** LOCK_BATCH_MQ body: lock these queues of `consumerGroup` for `clientId`. */
export interface LockBatchRequestBody {
  consumerGroup: string;
  clientId: string;
  mqSet: MessageQueue[];
  /** 5.x: do not forward the lock to the other brokers of the group. */
  onlyThisBroker?: boolean;
}

/** LOCK_BATCH_MQ response body: the queues actually locked for the client. */
export interface LockBatchResponseBody {
  lockOKMQSet: MessageQueue[];
}

/** UNLOCK_BATCH_MQ body (the reply has no body). */
export interface UnlockBatchRequestBody {
  consumerGroup: string;
  clientId: string;
  mqSet: MessageQueue[];
  onlyThisBroker?: boolean;
}
