/**
 * One check-back pass over the half queue (reference §6.6, Java's TransactionalMessageCheckService): from
 * `halfProgress`, each half copy is
 *
 * - skipped when its transaction already has an outcome (an op record names it);
 * - discarded to TRANS_CHECK_MAX_TIME_TOPIC when it was checked transactionCheckMax times;
 * - left for a later pass, ending this one, while younger than transactionTimeOut (later copies are younger still);
 * - renewed without a check while younger than its own CHECK_IMMUNITY_TIME_IN_SECONDS;
 * - otherwise renewed with TRANSACTION_CHECK_TIMES + 1 and checked back with the producer through the new copy.
 *
 * Copies stored after the pass began (the renewals of this pass among them) wait for the next pass, so a
 * transaction is checked at most once per transactionCheckInterval. Age counts from the born timestamp, as in Java.
 */
import type { Logger } from '../../common/logger.js';
import { decodeProperties } from '../../protocol/message/properties.js';
import type { MessageRecord } from '../../protocol/message/record.js';
import type { MessageStore } from '../../store/message-store.js';
import {
  checkTimesOf,
  HALF_QUEUE_ID,
  immunityMsOf,
  originalHalfOffset,
  RMQ_SYS_TRANS_HALF_TOPIC,
} from './half-message.js';
import { scanQueue, type TransactionState } from './transaction-state.js';

/** The actions a pass takes; the TransactionService implements them. */
export interface CheckPassHost {
  /** Stores a renewed copy; the stored copy, or undefined when the put failed. */
  renew(half: MessageRecord, original: number, checkTimes: number): Promise<MessageRecord | undefined>;
  /** Moves a half message to TRANS_CHECK_MAX_TIME_TOPIC and marks it finished; false when the put failed. */
  discard(half: MessageRecord, original: number): Promise<boolean>;
  /** Sends CHECK_TRANSACTION_STATE for a stored copy; false when no producer of its group is connected. */
  sendCheck(copy: MessageRecord): boolean;
}

/** Settings and services of a pass. */
export interface CheckPassOptions {
  store: MessageStore;
  logger: Logger;
  now: () => number;
  transactionTimeOut: number;
  transactionCheckMax: number;
  maxPassMs: number;
  stopped: () => boolean;
}

/** What one pass did. */
export interface CheckPassStats {
  scanned: number;
  checked: number;
  renewed: number;
  discarded: number;
  skipped: number;
}

/** Runs one pass; see the module comment. Advances `state.halfProgress` past every copy it dealt with. */
export async function runCheckPass(
  host: CheckPassHost,
  state: TransactionState,
  options: CheckPassOptions,
): Promise<CheckPassStats> {
  const stats: CheckPassStats = { scanned: 0, checked: 0, renewed: 0, discarded: 0, skipped: 0 };
  const passStart = options.now();
  const end = options.store.getMaxOffsetInQueue(RMQ_SYS_TRANS_HALF_TOPIC, HALF_QUEUE_ID);
  const copies = scanQueue(
    options.store,
    RMQ_SYS_TRANS_HALF_TOPIC,
    HALF_QUEUE_ID,
    state.halfProgress,
    end,
    options.logger,
  );
  for await (const { queueOffset, record } of copies) {
    if (options.stopped() || options.now() - passStart > options.maxPassMs) break;
    if (record.storeTimestamp >= passStart) break;
    stats.scanned++;
    const props = decodeProperties(record.properties);
    const original = originalHalfOffset(props, queueOffset);
    if (state.isFinished(queueOffset, original)) {
      stats.skipped++;
    } else {
      const checkTimes = checkTimesOf(props);
      const immunity = checkTimes === 0 ? immunityMsOf(props) : undefined;
      const age = options.now() - record.bornTimestamp;
      if (checkTimes >= options.transactionCheckMax) {
        if (!(await host.discard(record, original))) break;
        stats.discarded++;
      } else if (immunity === undefined && age < options.transactionTimeOut) {
        break;
      } else if (immunity !== undefined && age < immunity) {
        if (!(await host.renew(record, original, checkTimes))) break;
        stats.renewed++;
      } else {
        const copy = await host.renew(record, original, checkTimes + 1);
        if (!copy) break;
        if (state.isFinished(queueOffset, original)) {
          // resolved while the copy was being stored: no check needed, the copy will be skipped
          stats.skipped++;
        } else {
          host.sendCheck(copy);
          stats.checked++;
        }
      }
    }
    state.advanceHalf(queueOffset + 1);
  }
  if (stats.checked + stats.discarded > 0) options.logger.debug({ ...stats }, 'transaction check pass');
  return stats;
}
