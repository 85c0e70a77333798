/**
 * CONSUMER_SEND_MSG_BACK (36), and the same retry/DLQ rule on the send path (reference §3.3, §6.5): a message a
 * consumer failed goes back to `%RETRY%<group>` with a delay level, or to `%DLQ%<group>` once it has used up its
 * retries.
 */
import { createResponse, type RemotingCommand } from '../../protocol/command.js';
import { ConsumerSendMsgBackRequestHeader } from '../../protocol/headers/retry.js';
import type { SendMessageRequestHeader } from '../../protocol/headers/send.js';
import { createOffsetMsgId } from '../../protocol/message/message-id.js';
import { decodeProperties, encodeProperties, MessageConst } from '../../protocol/message/properties.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { MessageToStore } from '../../store/message-store.js';
import type { RequestHandler } from '../../transport/dispatcher.js';
import type { BrokerContext, HandlerTable, SubscriptionGroupConfig } from '../context.js';
import { delayLevelsOf, toScheduledMessage } from '../delay-levels.js';
import {
  DLQ_QUEUE_NUMS,
  dlqTopicOf,
  effectiveMaxReconsumeTimes,
  retrySendGoesToDlq,
  sendBackTarget,
} from '../retry-policy.js';
import { isWriteable, PermName, RETRY_GROUP_TOPIC_PREFIX, retryTopicOf } from '../topic-validator.js';
import { republished } from '../republish.js';

/** A refusal: response code and remark. */
export interface SendBackRefusal {
  code: number;
  remark: string;
}

const RW = PermName.READ | PermName.WRITE;

/** The group's config (auto-created when allowed), or Java's SUBSCRIPTION_GROUP_NOT_EXIST refusal. */
async function findGroup(ctx: BrokerContext, group: string): Promise<SubscriptionGroupConfig | SendBackRefusal> {
  const config = await ctx.subscriptionGroups.getOrCreate(group);
  if (config) return config;
  return { code: ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, remark: `subscription group not exist, ${group}` };
}

/** `%DLQ%<group>` (created on demand: 1 queue, read/write), or why it cannot take messages. */
async function dlqTopic(ctx: BrokerContext, group: string): Promise<string | SendBackRefusal> {
  const topic = dlqTopicOf(group);
  const config = await ctx.topics.getOrCreateInternal(topic, DLQ_QUEUE_NUMS, RW);
  if (!isWriteable(config.perm)) {
    return { code: ResponseCode.NO_PERMISSION, remark: `the topic[${topic}] sending message is forbidden` };
  }
  return topic;
}

/** Marks a message's properties as a dead letter: no DELAY, DLQ_ORIGIN_TOPIC / DLQ_ORIGIN_MESSAGE_ID set. */
function markDeadLetter(props: Record<string, string>, originTopic: string, originMsgId: string): void {
  delete props[MessageConst.DELAY];
  props[MessageConst.DLQ_ORIGIN_TOPIC] = originTopic;
  if (originMsgId !== '') props[MessageConst.DLQ_ORIGIN_MESSAGE_ID] = originMsgId;
}

function refusal(request: RemotingCommand, r: SendBackRefusal): RemotingCommand {
  return createResponse(request, r.code, { remark: r.remark });
}

/** CONSUMER_SEND_MSG_BACK (36). */
export function createSendBackHandlers(ctx: BrokerContext): HandlerTable {
  const handler: RequestHandler = async (request) => {
    const h = ConsumerSendMsgBackRequestHeader.decode(request.extFields);
    const group = await findGroup(ctx, h.group);
    if ('code' in group) return refusal(request, group);
    if (!isWriteable(ctx.config.brokerPermission) || ctx.config.brokerRole === 'SLAVE') {
      return refusal(request, {
        code: ResponseCode.NO_PERMISSION,
        remark: `the broker[${ctx.brokerAddr}] sending message is forbidden`,
      });
    }
    if (group.retryQueueNums <= 0) return createResponse(request, ResponseCode.SUCCESS);

    let topic = retryTopicOf(h.group);
    let queueId = Math.floor(Math.random() * group.retryQueueNums);
    const retryConfig = await ctx.topics.getOrCreateInternal(topic, group.retryQueueNums, RW);
    if (!isWriteable(retryConfig.perm)) {
      return refusal(request, {
        code: ResponseCode.NO_PERMISSION,
        remark: `the topic[${topic}] sending message is forbidden`,
      });
    }
    const rec = await ctx.store.lookMessageByOffset(h.offset);
    if (!rec) {
      return refusal(request, {
        code: ResponseCode.SYSTEM_ERROR,
        remark: `look message by offset failed, ${h.offset}`,
      });
    }
    const props = decodeProperties(rec.properties);
    props[MessageConst.RETRY_TOPIC] ??= rec.topic;
    const originMsgId = props[MessageConst.ORIGIN_MESSAGE_ID] ?? createOffsetMsgId(rec.storeHost, rec.physicalOffset);
    props[MessageConst.ORIGIN_MESSAGE_ID] = originMsgId;

    const max = effectiveMaxReconsumeTimes(group.retryMaxTimes, request.version, h.maxReconsumeTimes);
    const target = sendBackTarget(rec.reconsumeTimes, max, h.delayLevel);
    if (target.kind === 'dlq') {
      const dlq = await dlqTopic(ctx, h.group);
      if (typeof dlq !== 'string') return refusal(request, dlq);
      topic = dlq;
      queueId = 0;
      markDeadLetter(props, props[MessageConst.RETRY_TOPIC]!, props[MessageConst.UNIQ_KEY] ?? originMsgId);
    } else {
      props[MessageConst.DELAY] = String(target.delayLevel);
    }
    const msg: MessageToStore = republished(rec, topic, queueId, props);
    msg.reconsumeTimes = rec.reconsumeTimes + 1;
    const put = await ctx.store.putMessage(
      toScheduledMessage(msg, delayLevelsOf(ctx.config.messageDelayLevel), ctx.now()),
    );
    if (put.status === 'PUT_OK' || put.status === 'FLUSH_DISK_TIMEOUT') {
      ctx.logger.debug({ group: h.group, topic, reconsumeTimes: msg.reconsumeTimes }, 'message sent back');
      return createResponse(request, ResponseCode.SUCCESS);
    }
    return refusal(request, { code: ResponseCode.SYSTEM_ERROR, remark: put.remark ?? put.status });
  };
  return new Map([[RequestCode.CONSUMER_SEND_MSG_BACK, handler]]);
}

/**
 * The send path's rule for messages a client re-publishes to `%RETRY%<group>` (the fallback when send-back fails):
 * the group must exist; past its retry limit (the header's when V3_4_9+), or while the group holds a live orderly
 * queue lock (`orderlyLocked`, Java's isLockAllExpired check), the message goes to `%DLQ%<group>` with DELAY
 * cleared. Other topics pass through unchanged.
 */
export async function applyRetrySendRule(
  ctx: BrokerContext,
  header: SendMessageRequestHeader,
  requestVersion: number,
  msg: MessageToStore,
  orderlyLocked?: (group: string) => boolean,
): Promise<MessageToStore | SendBackRefusal> {
  if (!msg.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) return msg;
  const groupName = msg.topic.slice(RETRY_GROUP_TOPIC_PREFIX.length);
  const group = await findGroup(ctx, groupName);
  if ('code' in group) return group;
  const max = effectiveMaxReconsumeTimes(group.retryMaxTimes, requestVersion, header.maxReconsumeTimes);
  if (!retrySendGoesToDlq(header.reconsumeTimes ?? 0, max) && !orderlyLocked?.(groupName)) return msg;
  const dlq = await dlqTopic(ctx, groupName);
  if (typeof dlq !== 'string') return dlq;
  const props = decodeProperties(msg.properties);
  markDeadLetter(
    props,
    props[MessageConst.RETRY_TOPIC] ?? msg.topic,
    props[MessageConst.ORIGIN_MESSAGE_ID] ?? props[MessageConst.UNIQ_KEY] ?? '',
  );
  return { ...msg, topic: dlq, queueId: 0, properties: encodeProperties(props) };
}
