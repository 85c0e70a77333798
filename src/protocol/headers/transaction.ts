/** Transaction headers (reference §3.4, §6.6). */
import { defineHeader, type HeaderOf, RPC_FIELDS } from './header.js';

/** `commitOrRollback` values: the transaction bits of the message sysFlag (§5.2). */
export const TransactionResolution = {
  /** Unknown: the broker keeps the half message and checks back later. */
  NOT_TYPE: 0,
  COMMIT: 8,
  ROLLBACK: 12,
} as const;
export type TransactionResolution = (typeof TransactionResolution)[keyof typeof TransactionResolution];

/**
 * END_TRANSACTION (37; the Java client sends it oneway). `tranStateTableOffset` is the half message's queue offset,
 * `commitLogOffset` its commitlog offset, `msgId` its UNIQ_KEY.
 */
export const EndTransactionRequestHeader = defineHeader('EndTransactionRequestHeader', {
  topic: { type: 'string' },
  producerGroup: { type: 'string', required: true },
  tranStateTableOffset: { type: 'long', required: true },
  commitLogOffset: { type: 'long', required: true },
  commitOrRollback: { type: 'int', required: true },
  fromTransactionCheck: { type: 'bool' },
  msgId: { type: 'string', required: true },
  transactionId: { type: 'string' },
  ...RPC_FIELDS,
});
export type EndTransactionRequestHeader = HeaderOf<typeof EndTransactionRequestHeader>;

/**
 * CHECK_TRANSACTION_STATE (39, broker → producer, oneway); body = the half message in single-message encode layout
 * with the real topic and queue restored. `bname` names the broker to answer.
 */
export const CheckTransactionStateRequestHeader = defineHeader('CheckTransactionStateRequestHeader', {
  topic: { type: 'string' },
  tranStateTableOffset: { type: 'long', required: true },
  commitLogOffset: { type: 'long', required: true },
  msgId: { type: 'string' },
  transactionId: { type: 'string' },
  offsetMsgId: { type: 'string' },
  ...RPC_FIELDS,
});
export type CheckTransactionStateRequestHeader = HeaderOf<typeof CheckTransactionStateRequestHeader>;

/** Exists in Java but unused on the wire: producers answer a check with END_TRANSACTION. */
export const CheckTransactionStateResponseHeader = defineHeader('CheckTransactionStateResponseHeader', {
  producerGroup: { type: 'string', required: true },
  tranStateTableOffset: { type: 'long', required: true },
  commitLogOffset: { type: 'long', required: true },
  commitOrRollback: { type: 'int', required: true },
});
export type CheckTransactionStateResponseHeader = HeaderOf<typeof CheckTransactionStateResponseHeader>;
