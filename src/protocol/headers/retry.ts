/** Consumer retry header (reference §3.3, §6.5). */
import { defineHeader, type HeaderOf, RPC_FIELDS } from './header.js';

/**
 * CONSUMER_SEND_MSG_BACK (36). `offset` is the consumed message's commitlog offset; `delayLevel` 0 ⇒ the broker
 * uses 3 + reconsumeTimes, < 0 ⇒ straight to the DLQ. `unitMode` defaults to false.
 */
export const ConsumerSendMsgBackRequestHeader = defineHeader('ConsumerSendMsgBackRequestHeader', {
  offset: { type: 'long', required: true },
  group: { type: 'string', required: true },
  delayLevel: { type: 'int', required: true },
  originMsgId: { type: 'string' },
  originTopic: { type: 'string' },
  unitMode: { type: 'bool' },
  maxReconsumeTimes: { type: 'int' },
  ...RPC_FIELDS,
});
export type ConsumerSendMsgBackRequestHeader = HeaderOf<typeof ConsumerSendMsgBackRequestHeader>;
