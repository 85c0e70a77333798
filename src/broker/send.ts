import { ProtocolError } from '../common/errors.js';
import { createResponse, type RemotingCommand } from '../protocol/command.js';
import {
  decodeSendMessageV2,
  MSG_REGION_EXT_KEY,
  SendMessageRequestHeader,
  TRACE_ON_EXT_KEY,
} from '../protocol/headers/send.js';
import { decodeBatch } from '../protocol/message/batch.js';
import { type HostAddress, parseHostAddress } from '../protocol/message/host.js';
import {
  decodeProperties,
  encodeProperties,
  splitKeys,
  MessageConst,
  NAME_VALUE_SEPARATOR,
  PROPERTY_SEPARATOR,
} from '../protocol/message/properties.js';
import { MessageSysFlag, transactionType } from '../protocol/message/sysflag.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import type { MessageToStore, PutResult } from '../store/message-store.js';
import type { RemotingConnection } from '../transport/connection.js';
import type { RequestContext, RequestHandler } from '../transport/dispatcher.js';
import type { BrokerContext, HandlerTable, TopicConfig } from './context.js';
import { delayLevelsOf, toScheduledMessage } from './delay-levels.js';
import { applyRetrySendRule } from './processors/send-back.js';
import { timerRulesOf } from './timer/timer-config.js';
import { toTimerMessage } from './timer/timer-message.js';
import { isRetryTopic, isSendForbiddenTopic, isWriteable, PermName, topicNameProblem } from './topic-validator.js';
import { parkHalfMessage } from './transaction/half-message.js';

/** The part of the topic table the send path needs (TopicConfigManager implements it). */
export interface SendTopics {
  get(topic: string): TopicConfig | undefined;
  createTopicInSendMessageMethod(
    topic: string,
    defaultTopic: string,
    clientQueueNums: number,
    topicSysFlag: number,
  ): TopicConfig | undefined;
  getOrCreateInternal(topic: string, queueNums: number, perm: number): Promise<TopicConfig>;
}

/** Remark of a send refused by a slave (reference §1.9). */
export const REJECT_REQUEST_REMARK = '[REJECTREQUEST]system busy, start flow control for a while';

/** Properties strings longer than this (Java's Short.MAX_VALUE) are refused. */
const MAX_PROPERTIES_LENGTH = 32767;

const CLUSTER_PROPERTY = 'CLUSTER';

/** The parsed peer address of each connection: the born host of every message sent on it. */
const bornHosts = new WeakMap<RemotingConnection, HostAddress>();

function bornHostOf(connection: RemotingConnection): HostAddress {
  let host = bornHosts.get(connection);
  if (host === undefined) {
    host = parseHostAddress(connection.remoteAddress) ?? { host: '127.0.0.1', port: 0 };
    bornHosts.set(connection, host);
  }
  return host;
}

/** A refusal: the response code and its remark. */
interface Refusal {
  code: number;
  remark: string;
}

/**
 * SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320): checks the topic (name, forbidden system
 * topics, auto-creation from the template, perms, queue id), appends through the store and answers with the offset
 * message id, queue and offset plus the MSG_REGION / TRACE_ON ext fields Java clients require.
 */
export function createSendHandlers(
  ctx: BrokerContext,
  topics: SendTopics,
  /** Whether a consumer group holds a live orderly queue lock (its retries then go straight to the DLQ). */
  orderlyLocked?: (group: string) => boolean,
): HandlerTable {
  const extras = {
    region: ctx.config.regionId,
    traceOn: String(ctx.config.traceOn),
  };

  const handle = async (request: RemotingCommand, rc: RequestContext): Promise<RemotingCommand> => {
    const header =
      request.code === RequestCode.SEND_MESSAGE
        ? SendMessageRequestHeader.decode(request.extFields)
        : decodeSendMessageV2(request.extFields);
    const refuse = (r: Refusal) => createResponse(request, r.code, { remark: r.remark, extFields: regionFields() });
    const regionFields = (): Record<string, string> => ({
      [MSG_REGION_EXT_KEY]: extras.region,
      [TRACE_ON_EXT_KEY]: extras.traceOn,
    });

    if (ctx.config.brokerRole === 'SLAVE') {
      return createResponse(request, ResponseCode.SYSTEM_BUSY, { remark: REJECT_REQUEST_REMARK });
    }
    const checked = await checkTopic(ctx, topics, header, rc.remoteAddress);
    if ('code' in checked) return refuse(checked);
    const topicConfig = checked;
    let queueId = header.queueId;
    if (queueId < 0) queueId = Math.floor(Math.random() * topicConfig.writeQueueNums);

    const bornHost = bornHostOf(rc.connection);
    let sysFlag = header.sysFlag;
    if (topicConfig.topicFilterType === 'MULTI_TAG') sysFlag |= MessageSysFlag.MULTI_TAGS_FLAG;
    const body = request.body ?? Buffer.alloc(0);
    const isBatch = request.code === RequestCode.SEND_BATCH_MESSAGE || header.batch === true;

    if (isBatch) {
      if (isRetryTopic(header.topic)) {
        return refuse({ code: ResponseCode.MESSAGE_ILLEGAL, remark: 'batch request does not support retry group' });
      }
      // As Java's CommitLog.asyncPutMessages: a batch is never a transaction, nor delayed as a whole. (A DELAY
      // property of one item is stored as it is and not acted on, as there.)
      if (transactionType(sysFlag) !== MessageSysFlag.TRANSACTION_NOT_TYPE) {
        return refuse({ code: ResponseCode.MESSAGE_ILLEGAL, remark: 'batch messages cannot be transactional' });
      }
      if (Number(decodeProperties(header.properties ?? '')[MessageConst.DELAY] ?? 0) > 0) {
        return refuse({ code: ResponseCode.MESSAGE_ILLEGAL, remark: 'batch messages do not support delay levels' });
      }
      let items: ReturnType<typeof decodeBatch>;
      try {
        items = decodeBatch(body);
      } catch (err) {
        const remark = err instanceof ProtocolError ? err.message : 'malformed batch body';
        return refuse({ code: ResponseCode.MESSAGE_ILLEGAL, remark });
      }
      if (items.length === 0) return refuse({ code: ResponseCode.MESSAGE_ILLEGAL, remark: 'empty batch' });
      const messages: MessageToStore[] = [];
      for (const item of items) {
        const msg = toStore(ctx, header, queueId, sysFlag, bornHost, item.body, item.flag, item.properties);
        if ('code' in msg) return refuse(msg);
        messages.push(msg);
      }
      const results = await ctx.store.putMessages(messages);
      const failed = results.find((r) => r.status !== 'PUT_OK' && r.status !== 'FLUSH_DISK_TIMEOUT');
      const first = results[0]!;
      if (failed) return refuse(putFailure(failed));
      const code = results.some((r) => r.status === 'FLUSH_DISK_TIMEOUT')
        ? ResponseCode.FLUSH_DISK_TIMEOUT
        : ResponseCode.SUCCESS;
      const extFields = regionFields();
      extFields.msgId = results.map((r) => r.msgId).join(',');
      extFields.queueId = String(queueId);
      extFields.queueOffset = String(first.queueOffset);
      return createResponse(request, code, { extFields });
    }

    const built = toStore(ctx, header, queueId, sysFlag, bornHost, body, header.flag, header.properties ?? '');
    if ('code' in built) return refuse(built);
    // a client's own re-publish to %RETRY%<group> past the group's limit goes to the DLQ; DELAY parks it
    const routed = await applyRetrySendRule(ctx, header, request.version, built, orderlyLocked);
    if ('code' in routed) return refuse(routed);
    // transactions (src/broker/transaction): a TRAN_MSG=true send is parked as a half message, never delayed
    const parked = parkHalfMessage(ctx.config, ctx.brokerAddr, routed);
    if ('code' in parked) return refuse(parked);
    // timer messages (src/broker/timer): a future delivery time parks it in rmq_sys_wheel_timer; DELAY > 0 wins
    const timed = parked !== routed ? parked : toTimerMessage(routed, timerRulesOf(ctx.config), ctx.now());
    if ('code' in timed) return refuse(timed);
    const msg =
      parked !== routed ? parked : toScheduledMessage(timed, delayLevelsOf(ctx.config.messageDelayLevel), ctx.now());
    const result = await ctx.store.putMessage(msg);
    if (result.status !== 'PUT_OK' && result.status !== 'FLUSH_DISK_TIMEOUT') return refuse(putFailure(result));
    const extFields = regionFields();
    extFields.msgId = result.msgId;
    extFields.queueId = String(queueId);
    extFields.queueOffset = String(result.queueOffset);
    if (msg.uniqKey !== undefined) extFields.transactionId = msg.uniqKey;
    const code = result.status === 'PUT_OK' ? ResponseCode.SUCCESS : ResponseCode.FLUSH_DISK_TIMEOUT;
    return createResponse(request, code, { extFields });
  };

  const handler: RequestHandler = handle;
  return new Map([
    [RequestCode.SEND_MESSAGE, handler],
    [RequestCode.SEND_MESSAGE_V2, handler],
    [RequestCode.SEND_BATCH_MESSAGE, handler],
  ]);
}

/** Java's msgCheck: the topic's config, auto-created when allowed, or why the send is refused. */
async function checkTopic(
  ctx: BrokerContext,
  topics: SendTopics,
  header: SendMessageRequestHeader,
  peer: string,
): Promise<TopicConfig | Refusal> {
  if (!isWriteable(ctx.config.brokerPermission)) {
    return { code: ResponseCode.NO_PERMISSION, remark: `the broker[${ctx.brokerAddr}] sending message is forbidden` };
  }
  const problem = topicNameProblem(header.topic);
  if (problem) return { code: ResponseCode.INVALID_PARAMETER, remark: problem };
  if (isSendForbiddenTopic(header.topic)) {
    return { code: ResponseCode.NO_PERMISSION, remark: `Sending message to topic[${header.topic}] is forbidden.` };
  }
  let config = topics.get(header.topic);
  if (!config) {
    const topicSysFlag = header.unitMode ? 1 : 0;
    config = topics.createTopicInSendMessageMethod(
      header.topic,
      header.defaultTopic,
      header.defaultTopicQueueNums,
      topicSysFlag,
    );
    if (!config && isRetryTopic(header.topic)) {
      config = await topics.getOrCreateInternal(header.topic, 1, PermName.READ | PermName.WRITE);
    }
    if (!config) {
      ctx.logger.debug({ topic: header.topic, peer }, 'send to a topic that does not exist');
      return {
        code: ResponseCode.TOPIC_NOT_EXIST,
        remark: `topic[${header.topic}] not exist, apply first please!`,
      };
    }
  }
  if (!isWriteable(config.perm)) {
    return { code: ResponseCode.NO_PERMISSION, remark: `the topic[${header.topic}] sending message is forbidden` };
  }
  const maxQueues = Math.max(config.readQueueNums, config.writeQueueNums);
  if (header.queueId >= maxQueues) {
    return {
      code: ResponseCode.INVALID_PARAMETER,
      remark: `request queueId[${header.queueId}] is illegal, topic[${header.topic}] has ${maxQueues} queues, producer: ${peer}`,
    };
  }
  return config;
}

/** The message as the store takes it: CLUSTER property added, tags/keys/UNIQ_KEY parsed once. */
function toStore(
  ctx: BrokerContext,
  header: SendMessageRequestHeader,
  queueId: number,
  sysFlag: number,
  bornHost: HostAddress,
  body: Buffer,
  flag: number,
  rawProperties: string,
): MessageToStore | Refusal {
  const props = decodeProperties(rawProperties);
  let properties: string;
  if (props[CLUSTER_PROPERTY] === undefined) {
    const sep = rawProperties === '' || rawProperties.endsWith(PROPERTY_SEPARATOR) ? '' : PROPERTY_SEPARATOR;
    properties = `${rawProperties}${sep}${CLUSTER_PROPERTY}${NAME_VALUE_SEPARATOR}${ctx.config.brokerClusterName}${PROPERTY_SEPARATOR}`;
  } else {
    props[CLUSTER_PROPERTY] = ctx.config.brokerClusterName;
    properties = encodeProperties(props);
  }
  if (properties.length > MAX_PROPERTIES_LENGTH) {
    return { code: ResponseCode.MESSAGE_ILLEGAL, remark: `message properties size too large: ${properties.length}` };
  }
  if (body.length > ctx.config.maxMessageSize) {
    return {
      code: ResponseCode.MESSAGE_ILLEGAL,
      remark: `the message body size over max value, MAX: ${ctx.config.maxMessageSize}`,
    };
  }
  return {
    topic: header.topic,
    queueId,
    flag,
    sysFlag,
    bornTimestamp: header.bornTimestamp,
    bornHost,
    body,
    properties,
    reconsumeTimes: header.reconsumeTimes ?? 0,
    preparedTransactionOffset: 0,
    tags: props[MessageConst.TAGS],
    keys: splitKeys(props[MessageConst.KEYS]),
    uniqKey: props[MessageConst.UNIQ_KEY],
  };
}

/** A failed PutResult as Java's handlePutMessageResult answers it. */
function putFailure(result: PutResult): Refusal {
  switch (result.status) {
    case 'CREATE_MAPPED_FILE_FAILED':
      return { code: ResponseCode.SYSTEM_ERROR, remark: 'create mapped file failed, server is busy or broken.' };
    case 'MESSAGE_ILLEGAL':
    case 'PROPERTIES_SIZE_EXCEEDED':
      return {
        code: ResponseCode.MESSAGE_ILLEGAL,
        remark: result.remark ?? 'the message is illegal, maybe msg body or properties length not matched.',
      };
    case 'SERVICE_NOT_AVAILABLE':
      return {
        code: ResponseCode.SERVICE_NOT_AVAILABLE,
        remark: `service not available now: ${result.remark ?? 'the message store is not writable'}`,
      };
    case 'OS_PAGE_CACHE_BUSY':
      return { code: ResponseCode.SYSTEM_BUSY, remark: '[PC_SYNCHRONIZED]broker busy, start flow control for a while' };
    default:
      return { code: ResponseCode.SYSTEM_ERROR, remark: result.remark ?? 'UNKNOWN_ERROR' };
  }
}
