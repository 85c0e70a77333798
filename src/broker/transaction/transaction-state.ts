/**
 * What the broker knows about transactions in flight (reference §6.6), rebuilt from the store at start:
 *
 * - `halfProgress`: the next half-queue offset the check service looks at. Every copy below it has been dealt with
 *   (skipped as finished, renewed for the next check, or discarded).
 * - `opProgress`: the next op-queue offset whose record may still matter; both progress offsets are the consumer
 *   offsets of group CID_RMQ_SYS_TRANS, so they survive restarts.
 * - the finished set: half offsets named by op records from `opProgress` on. A transaction is named by the offset
 *   of its first half copy (its "original"); op records name the original and the copy that was resolved.
 * - the renewed copies at or above `halfProgress`, with their originals.
 *
 * The low-water mark is the smallest original any live copy (one at or above `halfProgress`) refers to. An original
 * below it has no live copy left, so its transaction is over (resolved, or discarded after too many checks), and op
 * records naming only such originals can be forgotten: that is how `opProgress` moves on.
 */
import type { Logger } from '../../common/logger.js';
import { decodeProperties } from '../../protocol/message/properties.js';
import { decodeRecord, type MessageRecord } from '../../protocol/message/record.js';
import type { MessageStore } from '../../store/message-store.js';
import type { ConsumerOffsets } from '../context.js';
import {
  decodeOpBody,
  HALF_QUEUE_ID,
  originalHalfOffset,
  RMQ_SYS_TRANS_HALF_TOPIC,
  RMQ_SYS_TRANS_OP_HALF_TOPIC,
  TRANSACTION_GROUP,
} from './half-message.js';

/** Records read per store call while scanning a queue. */
const SCAN_BATCH = 32;
/** Bytes read per store call while scanning a queue. */
const SCAN_BYTES = 4 * 1024 * 1024;

/** One op record still remembered. */
interface OpEntry {
  opOffset: number;
  offsets: number[];
}

/** In-memory transaction bookkeeping; see the module comment. */
export class TransactionState {
  halfProgress = 0;
  opProgress = 0;
  /** Half offset → how many remembered op records (or resolutions in progress) name it. */
  private readonly finished = new Map<number, number>();
  /** Remembered op records from `opHead` on, ascending op offsets (the prefix before `opHead` is forgotten). */
  private readonly opEntries: OpEntry[] = [];
  private opHead = 0;
  /** Renewed copy offset (≥ halfProgress) → its original. */
  private readonly copies = new Map<number, number>();

  /** Whether the transaction of half copy `copy` (first copy `original`) already has an outcome or was discarded. */
  isFinished(copy: number, original: number): boolean {
    return this.finished.has(original) || this.finished.has(copy) || original < this.lowWater();
  }

  /** Marks offsets finished at once (before the op record is written, so a duplicate request sees it). */
  markFinished(offsets: readonly number[]): void {
    for (const o of offsets) this.finished.set(o, (this.finished.get(o) ?? 0) + 1);
  }

  /** Takes back {@link markFinished} (the outcome could not be stored). */
  unmarkFinished(offsets: readonly number[]): void {
    for (const o of offsets) {
      const n = (this.finished.get(o) ?? 0) - 1;
      if (n > 0) this.finished.set(o, n);
      else this.finished.delete(o);
    }
  }

  /** Remembers an op record stored at `opOffset` naming `offsets` (already marked finished). */
  addOpEntry(opOffset: number, offsets: readonly number[]): void {
    const entry = { opOffset, offsets: [...offsets] };
    let i = this.opEntries.length;
    while (i > this.opHead && (this.opEntries[i - 1]?.opOffset ?? -1) > opOffset) i--;
    this.opEntries.splice(i, 0, entry);
  }

  /** Remembers a renewed copy of `original` stored at half offset `copy`. */
  addCopy(copy: number, original: number): void {
    if (copy >= this.halfProgress) this.copies.set(copy, original);
  }

  /** Every half copy below `next` is dealt with. */
  advanceHalf(next: number): void {
    if (next <= this.halfProgress) return;
    this.halfProgress = next;
    for (const copy of this.copies.keys()) if (copy < next) this.copies.delete(copy);
  }

  /** The smallest original a live copy refers to (see the module comment). */
  lowWater(): number {
    let low = this.halfProgress;
    for (const original of this.copies.values()) if (original < low) low = original;
    return low;
  }

  /** Forgets op records naming only finished-and-gone transactions; moves `opProgress` past them. */
  pruneOps(opMaxOffset: number): void {
    const low = this.lowWater();
    let needed: OpEntry | undefined;
    while (this.opHead < this.opEntries.length) {
      const entry = this.opEntries[this.opHead] as OpEntry;
      if (entry.offsets.some((o) => o >= low)) {
        needed = entry;
        break;
      }
      this.opHead++;
      this.unmarkFinished(entry.offsets);
      this.opProgress = Math.max(this.opProgress, entry.opOffset + 1);
    }
    if (this.opHead > 1024 || this.opHead === this.opEntries.length) {
      this.opEntries.splice(0, this.opHead);
      this.opHead = 0;
    }
    this.opProgress = Math.max(this.opProgress, needed ? needed.opOffset : opMaxOffset);
  }

  /** How many op records and renewed copies are remembered (stats, tests). */
  sizes(): { opEntries: number; copies: number; finished: number } {
    return { opEntries: this.opEntries.length - this.opHead, copies: this.copies.size, finished: this.finished.size };
  }

  /**
   * Writes both progress offsets as consumer offsets of CID_RMQ_SYS_TRANS (persisted with the others). A broker that
   * never saw a transaction writes nothing.
   */
  saveProgress(offsets: ConsumerOffsets, brokerAddr: string): void {
    for (const [topic, progress] of [
      [RMQ_SYS_TRANS_HALF_TOPIC, this.halfProgress],
      [RMQ_SYS_TRANS_OP_HALF_TOPIC, this.opProgress],
    ] as const) {
      if (progress === 0 && offsets.query(TRANSACTION_GROUP, topic, HALF_QUEUE_ID) < 0) continue;
      offsets.commit(brokerAddr, TRANSACTION_GROUP, topic, HALF_QUEUE_ID, progress);
    }
  }
}

/** One decoded record of a queue scan. */
export interface ScannedMessage {
  queueOffset: number;
  record: MessageRecord;
}

/**
 * Reads queue `queueId` of `topic` from `from` up to (not including) `to`, in order. Gaps (removed files, records
 * that no longer decode) are skipped; the scan ends early when the store has nothing more.
 */
export async function* scanQueue(
  store: MessageStore,
  topic: string,
  queueId: number,
  from: number,
  to: number,
  logger: Logger,
): AsyncGenerator<ScannedMessage> {
  let offset = Math.max(from, store.getMinOffsetInQueue(topic, queueId));
  while (offset < to) {
    const result = await store.getMessage(TRANSACTION_GROUP, topic, queueId, offset, SCAN_BATCH, SCAN_BYTES);
    if (result.status === 'FOUND') {
      for (let i = 0; i < result.messages.length; i++) {
        const queueOffset = result.queueOffsets[i] as number;
        if (queueOffset >= to) return;
        try {
          const { size: _size, ...record } = decodeRecord(result.messages[i] as Buffer);
          yield { queueOffset, record };
        } catch (err) {
          logger.warn({ err, topic, queueOffset }, 'unreadable transaction record skipped');
        }
      }
    }
    if (result.nextBeginOffset <= offset) return;
    offset = result.nextBeginOffset;
  }
}

/**
 * The state as the store and the committed offsets of CID_RMQ_SYS_TRANS left it: progress offsets, the op records
 * from `opProgress` on, and the renewed copies from `halfProgress` on.
 */
export async function loadTransactionState(
  store: MessageStore,
  offsets: ConsumerOffsets,
  logger: Logger,
): Promise<TransactionState> {
  const state = new TransactionState();
  const halfMin = store.getMinOffsetInQueue(RMQ_SYS_TRANS_HALF_TOPIC, HALF_QUEUE_ID);
  const opMin = store.getMinOffsetInQueue(RMQ_SYS_TRANS_OP_HALF_TOPIC, HALF_QUEUE_ID);
  state.halfProgress = Math.max(halfMin, offsets.query(TRANSACTION_GROUP, RMQ_SYS_TRANS_HALF_TOPIC, HALF_QUEUE_ID));
  state.opProgress = Math.max(opMin, offsets.query(TRANSACTION_GROUP, RMQ_SYS_TRANS_OP_HALF_TOPIC, HALF_QUEUE_ID));

  const opMax = store.getMaxOffsetInQueue(RMQ_SYS_TRANS_OP_HALF_TOPIC, HALF_QUEUE_ID);
  for await (const op of scanQueue(
    store,
    RMQ_SYS_TRANS_OP_HALF_TOPIC,
    HALF_QUEUE_ID,
    state.opProgress,
    opMax,
    logger,
  )) {
    const named = decodeOpBody(op.record.body);
    state.markFinished(named);
    state.addOpEntry(op.queueOffset, named);
  }
  const halfMax = store.getMaxOffsetInQueue(RMQ_SYS_TRANS_HALF_TOPIC, HALF_QUEUE_ID);
  for await (const half of scanQueue(
    store,
    RMQ_SYS_TRANS_HALF_TOPIC,
    HALF_QUEUE_ID,
    state.halfProgress,
    halfMax,
    logger,
  )) {
    const original = originalHalfOffset(decodeProperties(half.record.properties), half.queueOffset);
    if (original !== half.queueOffset) state.addCopy(half.queueOffset, original);
  }
  logger.info(
    { halfProgress: state.halfProgress, halfMax, opProgress: state.opProgress, opMax, ...state.sizes() },
    'transaction state loaded',
  );
  return state;
}
