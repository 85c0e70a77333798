import { defineSchema } from '../../common/config.js';

/**
 * Broker keys of transactional messages (reference §6.6, §6.11). `transactionCheckInterval` defaults to 60 s as
 * issue 9 asks (Java's BrokerConfig says 30 s); the others keep Java's defaults.
 */
export const transactionConfigSchema = defineSchema({
  rejectTransactionMessage: {
    type: 'bool',
    default: false,
    doc: 'Refuse half messages (TRAN_MSG=true) with NO_PERMISSION',
  },
  transactionTimeOut: {
    type: 'long',
    default: 6000,
    min: 0,
    doc: 'A half message without an outcome is first checked back once this old (ms)',
  },
  transactionCheckInterval: {
    type: 'long',
    default: 60000,
    min: 10,
    doc: 'Period of the transaction check-back pass (ms; Java defaults to 30 000)',
  },
  transactionCheckMax: {
    type: 'int',
    default: 15,
    min: 1,
    doc: 'Check-backs of one half message before it is moved to TRANS_CHECK_MAX_TIME_TOPIC',
  },
});
