/**
 * The transaction producer (reference §6.6): sends a half message, runs the local transaction, then commits or rolls
 * back with END_TRANSACTION; answers the broker's CHECK_TRANSACTION_STATE for transactions left unknown.
 */
import { RocketMQError } from '../common/errors.js';
import { createRequest } from '../protocol/command.js';
import {
  CheckTransactionStateRequestHeader,
  EndTransactionRequestHeader,
  TransactionResolution,
} from '../protocol/headers/transaction.js';
import { decodeMessageForCheck } from '../protocol/message/encoded-message.js';
import { type MessageExt, toMessageExt } from '../protocol/message/message.js';
import { decodeOffsetMsgId } from '../protocol/message/message-id.js';
import { MessageConst } from '../protocol/message/properties.js';
import { RequestCode } from '../protocol/request-code.js';
import type { RequestContext } from '../transport/dispatcher.js';
import type { Message, SendResult } from './message.js';
import { withoutNamespace } from './namespace.js';
import { AUTO_CREATE_TOPIC_KEY, Producer, type ProducerOptions, type SendOptions } from './producer.js';

/** The outcome of a local transaction: commit, roll back, or let the broker ask again later. */
export type LocalTransactionState = 'COMMIT' | 'ROLLBACK' | 'UNKNOWN';

/** The application's side of transactional messages. */
export interface TransactionListener {
  /** Runs the local transaction for the half message just stored. A throw counts as 'UNKNOWN'. */
  executeLocalTransaction(message: Message, arg: unknown): Promise<LocalTransactionState> | LocalTransactionState;
  /** Tells the broker the state of a transaction it is unsure of. A throw counts as 'UNKNOWN'. */
  checkLocalTransaction(message: MessageExt): Promise<LocalTransactionState> | LocalTransactionState;
}

/** Options of a {@link TransactionProducer}. */
export interface TransactionProducerOptions extends ProducerOptions, TransactionListener {}

/** The result of {@link TransactionProducer.sendMessageInTransaction}. */
export interface TransactionSendResult extends SendResult {
  /** What the local transaction decided (ROLLBACK when the half message was not stored SEND_OK). */
  localTransactionState: LocalTransactionState;
}

const RESOLUTION: Record<LocalTransactionState, number> = {
  COMMIT: TransactionResolution.COMMIT,
  ROLLBACK: TransactionResolution.ROLLBACK,
  UNKNOWN: TransactionResolution.NOT_TYPE,
};

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A producer of transactional messages. Only one TransactionProducer should use a client instance: it answers every
 * CHECK_TRANSACTION_STATE that reaches that instance for its group.
 */
export class TransactionProducer extends Producer {
  private readonly listener: TransactionListener;
  private readonly createTopicKey: string;

  constructor(options: TransactionProducerOptions) {
    super(options);
    this.createTopicKey = options.createTopicKey ?? AUTO_CREATE_TOPIC_KEY;
    this.listener = {
      executeLocalTransaction: options.executeLocalTransaction,
      checkLocalTransaction: options.checkLocalTransaction,
    };
    this.client.onBrokerRequest(RequestCode.CHECK_TRANSACTION_STATE, (request, ctx) => {
      void this.answerCheck(request.extFields, request.body, ctx);
      return undefined;
    });
  }

  /**
   * Starts like a Producer, then learns the brokers of the auto-create template topic (TBW102) and heartbeats them
   * at once, as Java producers do: a restarted producer must be known to the brokers holding its half messages
   * before it sends anything, or their check-backs find no producer of the group.
   */
  override async start(): Promise<void> {
    await super.start();
    this.client.subscribeRouteTopic(this.createTopicKey);
    try {
      await this.client.getTopicRoute(this.createTopicKey);
      await this.client.sendHeartbeatToAllBrokers();
    } catch (err) {
      this.logger.debug({ err, topic: this.createTopicKey }, 'no template route yet: brokers learn of us on send');
    }
  }

  /**
   * Sends `message` as a half message (invisible to consumers), runs `executeLocalTransaction(message, arg)`, and
   * tells the broker to commit or roll back (END_TRANSACTION, one-way). An 'UNKNOWN' outcome leaves the broker to ask
   * `checkLocalTransaction` later. Delay and delivery time are not allowed on transactional messages.
   */
  async sendMessageInTransaction(
    message: Message,
    arg?: unknown,
    options: SendOptions = {},
  ): Promise<TransactionSendResult> {
    this.checkRunning();
    if ((message.delayLevel ?? 0) > 0 || message.deliverTimeMs !== undefined) {
      throw new RocketMQError('INVALID_PARAMETER', 'transactional messages cannot be delayed');
    }
    if (options.selector !== undefined || message.shardingKey !== undefined) {
      // Java allows no queue choice for half messages either: the broker parks them in its half topic
      throw new RocketMQError('INVALID_PARAMETER', 'transactional messages cannot choose their queue');
    }
    const prepared = this.prepare(message, true);
    const sendResult = await this.sendPrepared(prepared, message, options);
    let state: LocalTransactionState = 'ROLLBACK';
    let failure: unknown;
    if (sendResult.status === 'SEND_OK') {
      try {
        state = await this.listener.executeLocalTransaction(message, arg);
      } catch (err) {
        failure = err;
        state = 'UNKNOWN';
        this.logger.warn(
          { err, msgId: sendResult.msgId },
          'executeLocalTransaction failed, the broker will check back',
        );
      }
    }
    try {
      await this.endTransaction(sendResult, state, failure);
    } catch (err) {
      // The broker checks the half message back later: the outcome is not lost.
      this.logger.warn({ err, msgId: sendResult.msgId }, 'END_TRANSACTION could not be sent');
    }
    return { ...sendResult, localTransactionState: state };
  }

  private async endTransaction(result: SendResult, state: LocalTransactionState, failure: unknown): Promise<void> {
    const addr = this.client.findBrokerAddress(result.messageQueue.brokerName, true);
    if (addr === undefined) {
      throw new RocketMQError('SERVICE_NOT_AVAILABLE', `the broker ${result.messageQueue.brokerName} has no master`);
    }
    const extFields = EndTransactionRequestHeader.encode({
      topic: result.messageQueue.topic,
      producerGroup: this.group,
      tranStateTableOffset: result.queueOffset,
      commitLogOffset: decodeOffsetMsgId(result.offsetMsgId).physicalOffset,
      commitOrRollback: RESOLUTION[state],
      fromTransactionCheck: false,
      msgId: result.msgId,
      transactionId: result.transactionId ?? result.msgId,
    });
    const remark = failure === undefined ? undefined : `executeLocalTransactionBranch exception: ${describe(failure)}`;
    await this.client.invokeBrokerOneway(addr, createRequest(RequestCode.END_TRANSACTION, { extFields, remark }));
  }

  /** Answers a CHECK_TRANSACTION_STATE on the connection it came from with END_TRANSACTION(fromTransactionCheck). */
  private async answerCheck(
    ext: Record<string, string> | undefined,
    body: Buffer | undefined,
    ctx: RequestContext,
  ): Promise<void> {
    try {
      const header = CheckTransactionStateRequestHeader.decode(ext);
      const message = toMessageExt(decodeMessageForCheck(body ?? Buffer.alloc(0)));
      const group = message.properties[MessageConst.PGROUP];
      if (group !== undefined && group !== this.group) {
        this.logger.warn({ group }, 'transaction check for another producer group, ignored');
        return;
      }
      message.topic = withoutNamespace(this.client.options.namespace, message.topic);
      const uniqKey = message.properties[MessageConst.UNIQ_KEY] ?? header.msgId ?? message.msgId;
      let state: LocalTransactionState;
      let failure: unknown;
      try {
        state = await this.listener.checkLocalTransaction(message);
      } catch (err) {
        failure = err;
        state = 'UNKNOWN';
      }
      const extFields = EndTransactionRequestHeader.encode({
        topic: header.topic,
        producerGroup: this.group,
        tranStateTableOffset: header.tranStateTableOffset,
        commitLogOffset: header.commitLogOffset,
        commitOrRollback: RESOLUTION[state],
        fromTransactionCheck: true,
        msgId: uniqKey,
        transactionId: header.transactionId ?? uniqKey,
      });
      const remark = failure === undefined ? undefined : `checkLocalTransactionState exception: ${describe(failure)}`;
      ctx.connection.oneway(createRequest(RequestCode.END_TRANSACTION, { extFields, remark, oneway: true }));
    } catch (err) {
      this.logger.warn({ err, peer: ctx.remoteAddress }, 'cannot answer a transaction check');
    }
  }
}
