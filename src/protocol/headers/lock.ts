/** Queue lock headers and bodies (reference §3.6, §4.6, §6.7): LOCK_BATCH_MQ (41), UNLOCK_BATCH_MQ (42). */
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
