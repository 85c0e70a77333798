/**
 * The broker side of transactional messages (reference §6.6): resolves END_TRANSACTION against the stored half
 * message, writes op records, and runs the check-back pass every transactionCheckInterval. Bookkeeping lives in
 * {@link TransactionState}; the pass itself in check-pass.ts.
 */
import type { Logger } from '../../common/logger.js';
import { createRequest } from '../../protocol/command.js';
import {
  CheckTransactionStateRequestHeader,
  type EndTransactionRequestHeader,
  TransactionResolution,
} from '../../protocol/headers/transaction.js';
import { encodeMessageForCheck } from '../../protocol/message/encoded-message.js';
import type { HostAddress } from '../../protocol/message/host.js';
import { createOffsetMsgId } from '../../protocol/message/message-id.js';
import { decodeProperties, MessageConst } from '../../protocol/message/properties.js';
import type { MessageRecord } from '../../protocol/message/record.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { MessageStore, MessageToStore, PutResult } from '../../store/message-store.js';
import type { RemotingConnection } from '../../transport/connection.js';
import type { ConsumerOffsets, TopicConfigs } from '../context.js';
import { PermName } from '../topic-validator.js';
import { type CheckPassHost, type CheckPassStats, runCheckPass } from './check-pass.js';
import {
  checkedMessage,
  committedMessage,
  discardedHalfMessage,
  HALF_QUEUE_ID,
  opMessage,
  originalHalfOffset,
  RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC,
  RMQ_SYS_TRANS_HALF_TOPIC,
  RMQ_SYS_TRANS_OP_HALF_TOPIC,
  realDestination,
  renewedHalfCopy,
} from './half-message.js';
import { loadTransactionState, type TransactionState } from './transaction-state.js';

/** The config keys the service reads (BrokerConfig has them). */
export interface TransactionServiceConfig {
  brokerName: string;
  /** A SLAVE never checks back (its master does). */
  brokerRole: string;
  transactionTimeOut: number;
  transactionCheckInterval: number;
  transactionCheckMax: number;
}

/** What the service needs from the broker. */
export interface TransactionServiceOptions {
  config: TransactionServiceConfig;
  store: MessageStore;
  logger: Logger;
  now: () => number;
  storeHost: HostAddress;
  brokerAddr: string;
  consumerOffsets: ConsumerOffsets;
  topics: Pick<TopicConfigs, 'getOrCreateInternal'>;
  /** One live connection of a producer group (ProducerManager.anyConnection). */
  findProducer(group: string): RemotingConnection | undefined;
  /** Sends a one-way request on a client connection (RemotingServer.invokeOneway). */
  invokeOneway(connection: RemotingConnection, request: ReturnType<typeof createRequest>): Promise<void>;
  /** Longest time one check pass may take (ms). Default 60 000, as in Java. */
  maxPassMs?: number;
}

/** The answer to an END_TRANSACTION. */
export interface EndTransactionOutcome {
  code: number;
  remark?: string;
}

const OK = (remark?: string): EndTransactionOutcome => ({ code: ResponseCode.SUCCESS, remark });
const systemError = (remark: string): EndTransactionOutcome => ({ code: ResponseCode.SYSTEM_ERROR, remark });

function stored(result: PutResult): boolean {
  return result.status === 'PUT_OK' || result.status === 'FLUSH_DISK_TIMEOUT';
}

/** See the module comment. `start()` loads the state and arms the timer; `shutdown()` stops and saves progress. */
export class TransactionService implements CheckPassHost {
  private readonly options: TransactionServiceOptions;
  private readonly logger: Logger;
  private stateLoading: Promise<TransactionState> | undefined;
  private state: TransactionState | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<CheckPassStats> | undefined;
  private stopped = false;
  private opWritesInFlight = 0;
  private readonly ensuredTopics = new Set<string>();

  constructor(options: TransactionServiceOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'transaction' });
  }

  /**
   * Loads the state from the store and committed offsets, then checks back every transactionCheckInterval (a master
   * only).
   */
  async start(): Promise<void> {
    this.stateLoading = loadTransactionState(this.options.store, this.options.consumerOffsets, this.logger);
    this.state = await this.stateLoading;
    if (this.options.config.brokerRole === 'SLAVE') return;
    this.timer = setInterval(() => void this.checkNow(), this.options.config.transactionCheckInterval);
    this.timer.unref();
  }

  /** Stops the timer, waits for a running pass and writes the progress offsets. Idempotent. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.pass?.catch(() => undefined);
    this.saveProgress();
  }

  /** The bookkeeping (tests and stats). */
  get transactionState(): TransactionState {
    if (!this.state) throw new Error('the transaction service is not started');
    return this.state;
  }

  /** Runs one check pass now, or joins the one running. */
  checkNow(): Promise<CheckPassStats> {
    if (this.pass) return this.pass;
    if (this.stopped || !this.state || this.options.config.brokerRole === 'SLAVE') {
      return Promise.resolve({ scanned: 0, checked: 0, renewed: 0, discarded: 0, skipped: 0 });
    }
    const state = this.state;
    if (this.options.store.getMaxOffsetInQueue(RMQ_SYS_TRANS_HALF_TOPIC, HALF_QUEUE_ID) > 0) {
      this.ensureTopic(RMQ_SYS_TRANS_HALF_TOPIC);
    }
    this.pass = runCheckPass(this, state, {
      store: this.options.store,
      logger: this.logger,
      now: this.options.now,
      transactionTimeOut: this.options.config.transactionTimeOut,
      transactionCheckMax: this.options.config.transactionCheckMax,
      maxPassMs: this.options.maxPassMs ?? 60_000,
      stopped: () => this.stopped,
    })
      .catch((err: unknown) => {
        this.logger.error({ err }, 'transaction check pass failed');
        return { scanned: 0, checked: 0, renewed: 0, discarded: 0, skipped: 0 };
      })
      .finally(() => {
        this.prune();
        this.saveProgress();
        this.pass = undefined;
      });
    return this.pass;
  }

  /** END_TRANSACTION: commit (publish once) or roll back a half message; UNKNOWN leaves it to the check-back. */
  async endTransaction(header: EndTransactionRequestHeader): Promise<EndTransactionOutcome> {
    const resolution = header.commitOrRollback;
    if (resolution === TransactionResolution.NOT_TYPE) return OK('transaction state unknown, checked back later');
    if (resolution !== TransactionResolution.COMMIT && resolution !== TransactionResolution.ROLLBACK) {
      return { code: ResponseCode.INVALID_PARAMETER, remark: `commitOrRollback ${resolution} is not 0, 8 or 12` };
    }
    const state = this.state ?? (await this.stateLoading);
    if (!state) return { code: ResponseCode.SERVICE_NOT_AVAILABLE, remark: 'transaction service not started' };
    if (!Number.isSafeInteger(header.commitLogOffset) || header.commitLogOffset < 0) {
      return systemError('Find prepared transaction message failed');
    }
    const half = await this.options.store.lookMessageByOffset(header.commitLogOffset);
    if (!half || half.topic !== RMQ_SYS_TRANS_HALF_TOPIC)
      return systemError('Find prepared transaction message failed');
    const props = decodeProperties(half.properties);
    if (props[MessageConst.PGROUP] !== header.producerGroup) return systemError('The producer group wrong');
    if (half.queueOffset !== header.tranStateTableOffset) {
      return systemError('The transaction state table offset wrong');
    }
    if (half.physicalOffset !== header.commitLogOffset) return systemError('The commit log offset wrong');

    const copy = half.queueOffset;
    const original = originalHalfOffset(props, copy);
    if (state.isFinished(copy, original)) return OK('the transaction already has an outcome');
    const named = original === copy ? [copy] : [original, copy];
    state.markFinished(named);
    if (resolution === TransactionResolution.COMMIT) {
      const message = committedMessage(half);
      const result = message ? await this.options.store.putMessage(message) : undefined;
      if (!result || !stored(result)) {
        state.unmarkFinished(named);
        const why = result ? `${result.status} ${result.remark ?? ''}`.trim() : 'no REAL_TOPIC/REAL_QID';
        this.logger.warn({ copy, original, why }, 'committed message not stored');
        return systemError(`the committed message could not be stored: ${why}`);
      }
    }
    await this.writeOp(named);
    this.logger.debug(
      { copy, original, resolution, fromCheck: header.fromTransactionCheck === true },
      'transaction ended',
    );
    return OK();
  }

  /** CheckPassHost: stores a renewed copy of `half`; the stored copy, or undefined when the put failed. */
  async renew(half: MessageRecord, original: number, checkTimes: number): Promise<MessageRecord | undefined> {
    this.ensureTopic(RMQ_SYS_TRANS_HALF_TOPIC);
    const result = await this.options.store.putMessage(renewedHalfCopy(half, original, checkTimes));
    if (!stored(result)) {
      this.logger.warn({ status: result.status, remark: result.remark }, 'half message not renewed');
      return undefined;
    }
    this.state?.addCopy(result.queueOffset, original);
    return this.options.store.lookMessageByOffset(result.physicalOffset);
  }

  /** CheckPassHost: moves `half` to TRANS_CHECK_MAX_TIME_TOPIC and marks its transaction finished. */
  async discard(half: MessageRecord, original: number): Promise<boolean> {
    this.ensureTopic(RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC);
    const result = await this.options.store.putMessage(discardedHalfMessage(half));
    if (!stored(result)) {
      this.logger.warn({ status: result.status, remark: result.remark }, 'half message not discarded');
      return false;
    }
    const named = original === half.queueOffset ? [original] : [original, half.queueOffset];
    this.state?.markFinished(named);
    await this.writeOp(named);
    const props = decodeProperties(half.properties);
    this.logger.warn(
      {
        original,
        copy: half.queueOffset,
        msgId: props[MessageConst.UNIQ_KEY],
        producerGroup: props[MessageConst.PGROUP],
        topic: props[MessageConst.REAL_TOPIC],
      },
      `half message checked ${this.options.config.transactionCheckMax} times without an outcome: discarded to ${RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC}`,
    );
    return true;
  }

  /** CheckPassHost: CHECK_TRANSACTION_STATE (one-way) to one live producer of the copy's PGROUP. */
  sendCheck(copy: MessageRecord): boolean {
    const props = decodeProperties(copy.properties);
    const group = props[MessageConst.PGROUP] ?? '';
    const connection = this.options.findProducer(group);
    const message = checkedMessage(copy);
    const real = realDestination(props);
    if (!connection || !message || !real) {
      this.logger.info({ group, copy: copy.queueOffset }, 'no live producer to check the transaction with');
      return false;
    }
    const uniqKey = props[MessageConst.UNIQ_KEY];
    const extFields = CheckTransactionStateRequestHeader.encode({
      topic: real.topic,
      tranStateTableOffset: copy.queueOffset,
      commitLogOffset: copy.physicalOffset,
      msgId: uniqKey,
      transactionId: props[MessageConst.TRANSACTION_ID] ?? uniqKey,
      offsetMsgId: createOffsetMsgId(this.options.storeHost, copy.physicalOffset),
      bname: this.options.config.brokerName,
    });
    const request = createRequest(RequestCode.CHECK_TRANSACTION_STATE, {
      extFields,
      body: encodeMessageForCheck(message),
      oneway: true,
    });
    this.options.invokeOneway(connection, request).catch((err: unknown) => {
      this.logger.info({ err, group }, 'CHECK_TRANSACTION_STATE not sent');
    });
    return true;
  }

  private async writeOp(named: readonly number[]): Promise<void> {
    this.ensureTopic(RMQ_SYS_TRANS_OP_HALF_TOPIC);
    this.opWritesInFlight++;
    try {
      const op: MessageToStore = opMessage(named, this.options.storeHost, this.options.now());
      const result = await this.options.store.putMessage(op);
      if (stored(result)) this.state?.addOpEntry(result.queueOffset, named);
      else this.logger.error({ named, status: result.status }, 'op record not stored: a restart may check it again');
    } finally {
      this.opWritesInFlight--;
    }
  }

  private prune(): void {
    if (!this.state) return;
    const opMax = this.options.store.getMaxOffsetInQueue(RMQ_SYS_TRANS_OP_HALF_TOPIC, HALF_QUEUE_ID);
    this.state.pruneOps(this.opWritesInFlight === 0 ? opMax : this.state.opProgress);
  }

  private saveProgress(): void {
    this.state?.saveProgress(this.options.consumerOffsets, this.options.brokerAddr);
  }

  /** Internal topics get a topic config on first use (as Java creates them), without waiting for registration. */
  private ensureTopic(topic: string): void {
    if (this.ensuredTopics.has(topic)) return;
    this.ensuredTopics.add(topic);
    this.options.topics.getOrCreateInternal(topic, 1, PermName.READ | PermName.WRITE).catch((err: unknown) => {
      this.ensuredTopics.delete(topic);
      this.logger.warn({ err, topic }, 'internal transaction topic not created');
    });
  }
}
