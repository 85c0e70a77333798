/**
 * The producer: sends messages to a topic's queues with retries on another broker, latency-based fault avoidance,
 * ordered sends by sharding key or selector, batches, compression and namespaces.
 */
import { errorFromResponse, RocketMQError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { createRequest, type RemotingCommand } from '../protocol/command.js';
import { encodeSendMessageV2, MSG_REGION_EXT_KEY, SendMessageResponseHeader } from '../protocol/headers/send.js';
import { encodeBatch } from '../protocol/message/batch.js';
import { COMPRESS_OVER, compressBody } from '../protocol/message/compression.js';
import { UniqueIdGenerator } from '../protocol/message/message-id.js';
import { encodeProperties, MessageConst } from '../protocol/message/properties.js';
import { MessageSysFlag } from '../protocol/message/sysflag.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import { ClientInstance, type ClientOptions } from './client-instance.js';
import { FaultAvoidance } from './fault-avoidance.js';
import { bodyBytes, type Message, messageProperties, type SendResult, type SendStatus } from './message.js';
import { withNamespace, withoutNamespace } from './namespace.js';
import { type QueueSelector, RoundRobinSelector, selectByShardingKey } from './queue-selector.js';
import { type MessageQueue, publishQueues, type TopicRouteData } from './route.js';

/** The auto-create template topic (Java's TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC). */
export const AUTO_CREATE_TOPIC_KEY = 'TBW102';
/** The producer group used when none is given. */
export const DEFAULT_PRODUCER_GROUP = 'DEFAULT_PRODUCER';
/** Largest message body (after compression) a default broker accepts: 4 MiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 4 * 1024 * 1024;

/** Options of a {@link Producer}. */
export interface ProducerOptions extends ClientOptions {
  /** Producer group. Default 'DEFAULT_PRODUCER'. */
  groupName?: string;
  /** Time budget of one send, retries included. Default 3000 ms. */
  sendMsgTimeoutMs?: number;
  /** Extra attempts on another broker after a retriable failure. Default 2 (3 attempts in all). */
  retryTimesWhenSendFailed?: number;
  /** Bodies of at least this many bytes are zlib-compressed (not in batches). Default 4096. */
  compressMsgBodyOverHowmuch?: number;
  /** zlib level. Default 5. */
  compressLevel?: number;
  /** Largest body accepted. Default 4 MiB. */
  maxMessageSize?: number;
  /** Queue count asked for a topic auto-created through TBW102. Default 4. */
  defaultTopicQueueNums?: number;
  /** The auto-create template topic. Default 'TBW102'. */
  createTopicKey?: string;
  /** Avoid slow and failing brokers (latency-based fault avoidance). Default true. */
  sendLatencyFaultEnable?: boolean;
  /** Share an existing client instance (it is then neither started nor shut down by this producer). */
  client?: ClientInstance;
}

/** Per-send options. */
export interface SendOptions {
  /** Pick the queue with this function (no retry on another queue, as ordered sends require). */
  selector?: QueueSelector;
  /** The value passed to `selector`. */
  arg?: unknown;
  /** Send to exactly this queue (topic given without namespace). */
  messageQueue?: MessageQueue;
  /** Time budget of this send. Default `sendMsgTimeoutMs`. */
  timeoutMs?: number;
  /** Abort the send: it rejects with `signal.reason`. A request already written may still be stored. */
  signal?: AbortSignal;
}

/** A message ready for the wire. */
interface PreparedSend {
  topic: string;
  body: Buffer;
  properties: string;
  sysFlag: number;
  flag: number;
  batch: boolean;
  /** UNIQ_KEY (comma-joined for a batch). */
  msgId: string;
}

/** Where a topic's messages may go. */
interface PublishInfo {
  queues: MessageQueue[];
  /** True when built from TBW102 because the topic does not exist yet. */
  fromDefaultTopic: boolean;
  fetchedAt: number;
}

const STATUS_BY_CODE = new Map<number, SendStatus>([
  [ResponseCode.SUCCESS, 'SEND_OK'],
  [ResponseCode.FLUSH_DISK_TIMEOUT, 'FLUSH_DISK_TIMEOUT'],
  [ResponseCode.FLUSH_SLAVE_TIMEOUT, 'FLUSH_SLAVE_TIMEOUT'],
  [ResponseCode.SLAVE_NOT_AVAILABLE, 'SLAVE_NOT_AVAILABLE'],
]);

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

/** `promise`, or a rejection with the abort reason as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined); // its outcome no longer matters
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function isRetriable(err: unknown): boolean {
  return err instanceof RocketMQError && err.retriable;
}

/**
 * A RocketMQ producer. `await producer.send(msg)` is RocketMQ's sync mode; sends issued without awaiting each other
 * run concurrently (the async mode).
 */
export class Producer {
  /** The client instance this producer sends through. */
  readonly client: ClientInstance;
  /** The producer group, with namespace. */
  readonly group: string;
  /** Latency-based broker avoidance state. */
  readonly faults: FaultAvoidance;

  protected readonly logger: Logger;
  private readonly ownsClient: boolean;
  private readonly options: Required<
    Pick<
      ProducerOptions,
      | 'sendMsgTimeoutMs'
      | 'retryTimesWhenSendFailed'
      | 'compressMsgBodyOverHowmuch'
      | 'compressLevel'
      | 'maxMessageSize'
      | 'defaultTopicQueueNums'
      | 'createTopicKey'
    >
  >;
  private readonly ids: UniqueIdGenerator;
  private readonly selector: RoundRobinSelector;
  /** Publish info of each cached route object (recomputed when the client replaces the route). */
  private readonly publishInfoByRoute = new WeakMap<TopicRouteData, PublishInfo>();
  /** Topics the NameServer does not know yet, sent through the TBW102 route. */
  private readonly templateRouted = new Map<string, PublishInfo>();
  private state: 'created' | 'running' | 'stopped' = 'created';

  constructor(options: ProducerOptions) {
    this.client = options.client ?? new ClientInstance(options);
    this.ownsClient = options.client === undefined;
    this.group = withNamespace(this.client.options.namespace, options.groupName ?? DEFAULT_PRODUCER_GROUP);
    this.logger = this.client.options.logger.child({ component: 'producer', group: this.group });
    this.options = {
      sendMsgTimeoutMs: options.sendMsgTimeoutMs ?? 3000,
      retryTimesWhenSendFailed: options.retryTimesWhenSendFailed ?? 2,
      compressMsgBodyOverHowmuch: options.compressMsgBodyOverHowmuch ?? COMPRESS_OVER,
      compressLevel: options.compressLevel ?? 5,
      maxMessageSize: options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
      defaultTopicQueueNums: options.defaultTopicQueueNums ?? 4,
      createTopicKey: options.createTopicKey ?? AUTO_CREATE_TOPIC_KEY,
    };
    this.faults = new FaultAvoidance({ enabled: options.sendLatencyFaultEnable ?? true });
    this.selector = new RoundRobinSelector(this.faults);
    let ids: UniqueIdGenerator;
    try {
      ids = new UniqueIdGenerator({ ip: this.client.options.clientIP });
    } catch {
      ids = new UniqueIdGenerator(); // a clientIP that is a host name: random IP bytes, as Java's fake IP
    }
    this.ids = ids;
  }

  /** Registers the group and starts the client (route polling, heartbeats). */
  async start(): Promise<void> {
    if (this.state === 'running') return;
    if (this.state === 'stopped') throw new RocketMQError('SERVICE_NOT_AVAILABLE', 'the producer was shut down');
    this.client.registerProducer(this.group);
    await this.client.start();
    this.state = 'running';
  }

  /** Unregisters the group from the brokers and, unless the client is shared, shuts the client down. */
  async shutdown(): Promise<void> {
    if (this.state === 'stopped') return;
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    if (!wasRunning) return;
    if (this.ownsClient) {
      await this.client.shutdown();
    } else {
      this.client.unregisterProducer(this.group);
    }
  }

  /**
   * Sends `message` and resolves once the broker stored it. The queue is chosen round robin (avoiding slow or failed
   * brokers), by `options.selector`, by `options.messageQueue`, or by `message.shardingKey`. Retriable failures are
   * retried on another broker (`retryTimesWhenSendFailed`), except when the queue was chosen for ordering.
   */
  async send(message: Message, options: SendOptions = {}): Promise<SendResult> {
    this.checkRunning();
    const prepared = this.prepare(message, false);
    return this.sendPrepared(prepared, message, options);
  }

  /** Sends `message` without waiting for the broker: resolves once it is written to the socket. No retries. */
  async sendOneway(message: Message, options: SendOptions = {}): Promise<void> {
    this.checkRunning();
    const prepared = this.prepare(message, false);
    const info = await this.publishInfoOf(prepared.topic, options.signal);
    const mq = this.fixedQueue(info, message, options) ?? this.selector.select(info.queues);
    const addr = await this.brokerAddress(mq.brokerName, prepared.topic);
    await abortable(this.client.invokeBrokerOneway(addr, this.sendRequest(prepared, mq, info)), options.signal);
  }

  /**
   * Sends `messages` as one batch (SEND_BATCH_MESSAGE): one topic, no delay or delivery time, stored as consecutive
   * offsets of one queue. The result's `msgId` and `offsetMsgId` are comma-joined lists.
   */
  async sendBatch(messages: readonly Message[], options: SendOptions = {}): Promise<SendResult> {
    this.checkRunning();
    if (messages.length === 0) throw new RocketMQError('INVALID_PARAMETER', 'the batch is empty');
    const topic = messages[0]?.topic as string;
    const ids: string[] = [];
    const items = messages.map((msg) => {
      if (msg.topic !== topic)
        throw new RocketMQError('INVALID_PARAMETER', 'every message of a batch must share its topic');
      if ((msg.delayLevel ?? 0) > 0 || msg.deliverTimeMs !== undefined) {
        throw new RocketMQError('INVALID_PARAMETER', 'batch messages cannot be delayed');
      }
      if (msg.topic.startsWith('%RETRY%'))
        throw new RocketMQError('INVALID_PARAMETER', 'retry topics cannot be batched');
      const body = this.checkBody(msg);
      const props = messageProperties(msg);
      const id = this.ids.next();
      props[MessageConst.UNIQ_KEY] = id;
      ids.push(id);
      return { flag: msg.flag ?? 0, body, properties: encodeProperties(props) };
    });
    const body = encodeBatch(items);
    if (body.length > this.options.maxMessageSize) {
      throw new RocketMQError(
        'MESSAGE_ILLEGAL',
        `the batch is ${body.length} bytes, over ${this.options.maxMessageSize}`,
      );
    }
    const first = messages[0] as Message;
    const prepared: PreparedSend = {
      topic: withNamespace(this.client.options.namespace, topic),
      body,
      properties: encodeProperties({ [MessageConst.WAIT]: first.waitStoreMsgOk === false ? 'false' : 'true' }),
      sysFlag: 0,
      flag: 0,
      batch: true,
      msgId: ids.join(','),
    };
    return this.sendPrepared(prepared, first, options);
  }

  /** The writable queues of `topic` (topic without namespace). */
  async fetchPublishQueues(topic: string): Promise<MessageQueue[]> {
    const info = await this.publishInfoOf(withNamespace(this.client.options.namespace, topic), undefined);
    return info.queues.map((q) => ({ ...q, topic: withoutNamespace(this.client.options.namespace, q.topic) }));
  }

  /** Prepares a single message: properties (with UNIQ_KEY), body (compressed when large), sysFlag. */
  protected prepare(message: Message, transactional: boolean): PreparedSend {
    const body = this.checkBody(message);
    const props = messageProperties(message);
    const msgId = this.ids.next();
    props[MessageConst.UNIQ_KEY] = msgId;
    let sysFlag = 0;
    let wireBody = body;
    if (body.length >= this.options.compressMsgBodyOverHowmuch) {
      wireBody = compressBody(body, this.options.compressLevel);
      sysFlag |= MessageSysFlag.COMPRESSED_FLAG | MessageSysFlag.COMPRESSION_ZLIB_TYPE;
    }
    if (transactional) {
      props[MessageConst.TRAN_MSG] = 'true';
      props[MessageConst.PGROUP] = this.group;
      delete props[MessageConst.DELAY];
      delete props[MessageConst.TIMER_DELIVER_MS];
      sysFlag |= MessageSysFlag.TRANSACTION_PREPARED_TYPE;
    }
    return {
      topic: withNamespace(this.client.options.namespace, message.topic),
      body: wireBody,
      properties: encodeProperties(props),
      sysFlag,
      flag: message.flag ?? 0,
      batch: false,
      msgId,
    };
  }

  /** Sends a prepared message with the retry policy; the common path of send, sendBatch and transactional sends. */
  protected async sendPrepared(prepared: PreparedSend, message: Message, options: SendOptions): Promise<SendResult> {
    if (options.signal?.aborted) throw abortReason(options.signal);
    const timeoutMs = options.timeoutMs ?? this.options.sendMsgTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    const info = this.cachedPublishInfo(prepared.topic) ?? (await this.publishInfoOf(prepared.topic, options.signal));
    const fixed = this.fixedQueue(info, message, options);
    const attempts = fixed === undefined ? 1 + Math.max(0, this.options.retryTimesWhenSendFailed) : 1;
    let lastBroker: string | undefined;
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (options.signal?.aborted) throw abortReason(options.signal);
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      const mq = fixed ?? this.selector.select(info.queues, lastBroker);
      const started = Date.now();
      try {
        const result = await this.sendToQueue(prepared, mq, info, remaining, options.signal);
        this.faults.record(mq.brokerName, Date.now() - started, false);
        return result;
      } catch (err) {
        if (options.signal?.aborted) throw err;
        this.faults.record(mq.brokerName, Date.now() - started, isRetriable(err));
        lastBroker = mq.brokerName;
        lastError = err;
        if (!isRetriable(err)) throw err;
        this.logger.debug({ err, broker: mq.brokerName, attempt }, 'send failed, retrying on another broker');
      }
    }
    if (lastError !== undefined) throw lastError;
    throw new RocketMQError('REQUEST_TIMEOUT', `sending to ${prepared.topic} timed out after ${timeoutMs} ms`);
  }

  private async sendToQueue(
    prepared: PreparedSend,
    mq: MessageQueue,
    info: PublishInfo,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<SendResult> {
    const addr =
      this.client.findBrokerAddress(mq.brokerName, true) ?? (await this.brokerAddress(mq.brokerName, prepared.topic));
    const request = this.sendRequest(prepared, mq, info);
    const response = await abortable(this.client.invokeBroker(addr, request, timeoutMs), signal);
    return this.toSendResult(response, prepared, mq);
  }

  private sendRequest(prepared: PreparedSend, mq: MessageQueue, info: PublishInfo): RemotingCommand {
    const extFields = encodeSendMessageV2({
      producerGroup: this.group,
      topic: prepared.topic,
      defaultTopic: this.options.createTopicKey,
      defaultTopicQueueNums: this.options.defaultTopicQueueNums,
      queueId: mq.queueId,
      sysFlag: prepared.sysFlag,
      bornTimestamp: Date.now(),
      flag: prepared.flag,
      properties: prepared.properties,
      reconsumeTimes: 0,
      unitMode: false,
      batch: prepared.batch,
      bname: info.fromDefaultTopic ? undefined : mq.brokerName,
    });
    const code = prepared.batch ? RequestCode.SEND_BATCH_MESSAGE : RequestCode.SEND_MESSAGE_V2;
    return createRequest(code, { extFields, body: prepared.body });
  }

  private toSendResult(response: RemotingCommand, prepared: PreparedSend, mq: MessageQueue): SendResult {
    const status = STATUS_BY_CODE.get(response.code);
    if (status === undefined) throw errorFromResponse(response.code, response.remark);
    const header = SendMessageResponseHeader.decode(response.extFields);
    const namespace = this.client.options.namespace;
    return {
      status,
      msgId: prepared.msgId,
      offsetMsgId: header.msgId,
      messageQueue: {
        topic: withoutNamespace(namespace, mq.topic),
        brokerName: mq.brokerName,
        queueId: header.queueId,
      },
      queueOffset: header.queueOffset,
      transactionId: header.transactionId,
      regionId: response.extFields?.[MSG_REGION_EXT_KEY],
    };
  }

  /** The queue imposed by the caller (explicit queue, selector, or sharding key), if any. */
  private fixedQueue(info: PublishInfo, message: Message, options: SendOptions): MessageQueue | undefined {
    const namespace = this.client.options.namespace;
    if (options.messageQueue !== undefined) {
      return { ...options.messageQueue, topic: withNamespace(namespace, options.messageQueue.topic) };
    }
    if (options.selector !== undefined) {
      const visible = info.queues.map((q) => ({ ...q, topic: withoutNamespace(namespace, q.topic) }));
      const chosen = options.selector(visible, message, options.arg);
      if (!visible.some((q) => q.brokerName === chosen?.brokerName && q.queueId === chosen.queueId)) {
        throw new RocketMQError('INVALID_PARAMETER', 'the selector returned a queue that is not one of the topic');
      }
      return { ...chosen, topic: withNamespace(namespace, chosen.topic) };
    }
    if (message.shardingKey !== undefined && message.shardingKey !== '') {
      return selectByShardingKey(info.queues, message.shardingKey);
    }
    return undefined;
  }

  /** The master address of `brokerName`, refreshing `topic`'s route once if it is unknown. */
  private async brokerAddress(brokerName: string, topic: string): Promise<string> {
    let addr = this.client.findBrokerAddress(brokerName, true);
    if (addr === undefined) {
      await this.client.getTopicRoute(topic, true).catch(() => undefined);
      addr = this.client.findBrokerAddress(brokerName, true);
    }
    if (addr === undefined) throw new RocketMQError('SERVICE_NOT_AVAILABLE', `the broker ${brokerName} has no master`);
    return addr;
  }

  /** Where `topic`'s messages may go, when its route is cached with writable queues (the usual case: no await). */
  private cachedPublishInfo(topic: string): PublishInfo | undefined {
    const cachedRoute = this.client.cachedTopicRoute(topic);
    if (cachedRoute === undefined) return undefined;
    let info = this.publishInfoByRoute.get(cachedRoute);
    if (info === undefined) {
      info = { queues: publishQueues(cachedRoute, topic), fromDefaultTopic: false, fetchedAt: 0 };
      this.publishInfoByRoute.set(cachedRoute, info);
    }
    return info.queues.length > 0 ? info : undefined;
  }

  /**
   * Where `topic`'s messages may go. A topic the NameServer does not know is sent through the TBW102 route (the broker
   * auto-creates it when allowed); its real route is tried again after the poll interval.
   */
  private async publishInfoOf(topic: string, signal: AbortSignal | undefined): Promise<PublishInfo> {
    const cached = this.cachedPublishInfo(topic);
    if (cached !== undefined) return cached;
    const now = Date.now();
    const viaTemplate = this.templateRouted.get(topic);
    if (viaTemplate !== undefined && now - viaTemplate.fetchedAt < this.client.options.pollNameServerIntervalMs) {
      return viaTemplate;
    }
    try {
      const route = await abortable(this.client.getTopicRoute(topic, true), signal);
      const queues = publishQueues(route, topic);
      if (queues.length === 0) throw new RocketMQError('SERVICE_NOT_AVAILABLE', `topic ${topic} has no writable queue`);
      this.publishInfoByRoute.set(route, { queues, fromDefaultTopic: false, fetchedAt: 0 });
      this.client.subscribeRouteTopic(topic);
      this.templateRouted.delete(topic);
      return { queues, fromDefaultTopic: false, fetchedAt: now };
    } catch (err) {
      if (!(err instanceof RocketMQError) || err.code !== 'TOPIC_NOT_EXIST') throw err;
    }
    const templateTopic = this.options.createTopicKey;
    const template = await abortable(this.client.getTopicRoute(templateTopic), signal).catch((err: unknown) => {
      throw new RocketMQError('TOPIC_NOT_EXIST', `no route info of topic ${topic}, nor of ${templateTopic}`, {
        cause: err,
      });
    });
    const queues: MessageQueue[] = [];
    for (const qd of template.queueDatas) {
      const count = Math.min(this.options.defaultTopicQueueNums, qd.readQueueNums);
      queues.push(...publishQueues({ ...template, queueDatas: [{ ...qd, writeQueueNums: count }] }, topic));
    }
    if (queues.length === 0) throw new RocketMQError('TOPIC_NOT_EXIST', `no route info of topic ${topic}`);
    const info = { queues, fromDefaultTopic: true, fetchedAt: now };
    this.templateRouted.set(topic, info);
    return info;
  }

  private checkBody(message: Message): Buffer {
    const body = bodyBytes(message.body);
    if (body.length === 0) throw new RocketMQError('INVALID_PARAMETER', 'the message body is empty');
    if (body.length > this.options.maxMessageSize) {
      throw new RocketMQError(
        'MESSAGE_ILLEGAL',
        `the body is ${body.length} bytes, over ${this.options.maxMessageSize}`,
      );
    }
    return body;
  }

  protected checkRunning(): void {
    if (this.state !== 'running') {
      throw new RocketMQError(
        'SERVICE_NOT_AVAILABLE',
        `the producer is ${this.state === 'created' ? 'not started' : 'shut down'}`,
      );
    }
  }
}
