import { createResponse, type RemotingCommand } from '../protocol/command.js';
import { PullMessageRequestHeader, PullSysFlag } from '../protocol/headers/pull.js';
import { javaStringHashCode } from '../protocol/message/hash.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import type { GetMessageResult, MessageFilter } from '../store/message-store.js';
import type { RequestContext, RequestHandler } from '../transport/dispatcher.js';
import type { BrokerContext, HandlerTable, SubscriptionData } from './context.js';
import { expressionSubscription, type PullFilterResult, propertyPullFilter } from './pull-filter.js';
import type { PullHoldService } from './pull-hold.js';
import { isReadable } from './topic-validator.js';

/** `suggestWhichBrokerId` of the master. */
const MASTER_ID = 0;

/** Subscription expression type of tag filtering (the default when a request names none). */
export const EXPRESSION_TYPE_TAG = 'TAG';
const SUB_ALL = '*';

/**
 * A subscription built from a tag expression the way Java's FilterAPI does: `*` (or blank) subscribes to all,
 * otherwise tags separated by `||`, trimmed, with their Java hash codes. Undefined when nothing usable remains.
 */
export function buildTagSubscription(topic: string, subString: string | undefined, subVersion: number) {
  const expr = subString === undefined || subString.trim() === '' ? SUB_ALL : subString.trim();
  const data: SubscriptionData = {
    topic,
    subString: expr,
    expressionType: EXPRESSION_TYPE_TAG,
    tagsSet: [],
    codeSet: [],
    subVersion,
  };
  if (expr === SUB_ALL) return data;
  for (const tag of expr.split('||')) {
    const t = tag.trim();
    if (t === '') continue;
    data.tagsSet.push(t);
    data.codeSet.push(javaStringHashCode(t));
  }
  return data.tagsSet.length === 0 ? undefined : data;
}

/** Filters ConsumeQueue entries by tag hash code (Java's ExpressionMessageFilter for TAG). */
export function createTagFilter(sub: SubscriptionData): MessageFilter {
  if (sub.subString === SUB_ALL || sub.classFilterMode) return { isMatchedByConsumeQueue: () => true };
  const codes = new Set(sub.codeSet);
  return { isMatchedByConsumeQueue: (tagsCode) => codes.has(tagsCode) };
}

/** What one pull resolved to before reading the store: the filter, or an answer. */
type Prepared = { filter: MessageFilter } | { answer: RemotingCommand };

/**
 * PULL_MESSAGE (11) and LITE_PULL_MESSAGE (361), with long polling through `hold`: checks perms, group, topic,
 * queue and subscription, reads the store with a tag filter, answers with the stored records back to back and
 * nextBeginOffset / minOffset / maxOffset on every outcome, parks PULL_NOT_FOUND pulls that may be suspended, and
 * commits the piggy-backed offset.
 */
export function createPullHandlers(ctx: BrokerContext, hold: PullHoldService): HandlerTable {
  const runPull = async (
    request: RemotingCommand,
    rc: RequestContext,
    allowSuspend: boolean,
  ): Promise<RemotingCommand | undefined> => {
    const header = PullMessageRequestHeader.decode(request.extFields);
    const prepared = await prepare(ctx, request, header, rc.remoteAddress);
    if ('answer' in prepared) return prepared.answer;

    const maxNums = Math.max(1, Math.min(header.maxMsgNums, ctx.config.maxTransferCountOnMessageInMemory));
    const maxBytes = Math.min(
      header.maxMsgBytes !== undefined && header.maxMsgBytes > 0 ? header.maxMsgBytes : Number.MAX_SAFE_INTEGER,
      ctx.config.maxTransferBytesOnMessageInMemory,
    );
    const result = await ctx.store.getMessage(
      header.consumerGroup,
      header.topic,
      header.queueId,
      header.queueOffset,
      maxNums,
      maxBytes,
      prepared.filter,
    );
    let code = pullCode(result, header.queueOffset);
    let suggest = MASTER_ID;
    if (ctx.config.brokerRole === 'SLAVE' && !ctx.config.slaveReadEnable) {
      code = ResponseCode.PULL_RETRY_IMMEDIATELY;
      suggest = MASTER_ID;
    }
    if (code === ResponseCode.PULL_OFFSET_MOVED) {
      ctx.logger.info(
        {
          group: header.consumerGroup,
          topic: header.topic,
          queueId: header.queueId,
          requestOffset: header.queueOffset,
          nextBeginOffset: result.nextBeginOffset,
          minOffset: result.minOffset,
          maxOffset: result.maxOffset,
          status: result.status,
        },
        'pull offset moved',
      );
    }

    const suspend = (header.sysFlag & PullSysFlag.SUSPEND) !== 0;
    if (
      allowSuspend &&
      (header.sysFlag & PullSysFlag.COMMIT_OFFSET) !== 0 &&
      ctx.config.brokerRole !== 'SLAVE' &&
      !ctx.consumers.isBroadcasting(header.consumerGroup)
    ) {
      ctx.consumerOffsets.commit(
        rc.remoteAddress,
        header.consumerGroup,
        header.topic,
        header.queueId,
        header.commitOffset,
      );
    }

    if (code === ResponseCode.PULL_NOT_FOUND && allowSuspend && suspend) {
      const holdMs = ctx.config.longPollingEnable ? header.suspendTimeoutMillis : ctx.config.shortPollingTimeMills;
      hold.hold({
        topic: header.topic,
        queueId: header.queueId,
        offset: header.queueOffset,
        filter: prepared.filter,
        deadline: ctx.now() + Math.max(0, holdMs),
        wake: () =>
          runPull(request, rc, false).then(
            (answer) => {
              if (answer) rc.reply(answer);
            },
            (err: unknown) => {
              ctx.logger.warn({ err, topic: header.topic }, 'held pull failed');
              rc.reply(createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: (err as Error).message }));
            },
          ),
      });
      return undefined;
    }

    const extFields: Record<string, string> = {
      suggestWhichBrokerId: String(suggest),
      nextBeginOffset: String(result.nextBeginOffset),
      minOffset: String(result.minOffset),
      maxOffset: String(result.maxOffset),
    };
    const topicConfig = ctx.topics.get(header.topic);
    if (topicConfig) extFields.topicSysFlag = String(topicConfig.topicSysFlag);
    const body = code === ResponseCode.SUCCESS ? joinRecords(result.messages, result.totalBytes) : undefined;
    return createResponse(request, code, { extFields, body });
  };

  const handler: RequestHandler = (request, rc) => runPull(request, rc, true);
  return new Map([
    [RequestCode.PULL_MESSAGE, handler],
    [RequestCode.LITE_PULL_MESSAGE, handler],
  ]);
}

/** Java's checks before reading: broker and topic perms, group, queue id, subscription. */
async function prepare(
  ctx: BrokerContext,
  request: RemotingCommand,
  header: PullMessageRequestHeader,
  peer: string,
): Promise<Prepared> {
  const answer = (code: number, remark: string): Prepared => ({ answer: createResponse(request, code, { remark }) });
  const filterAnswer = (r: PullFilterResult): Prepared => ('filter' in r ? r : answer(r.code, r.remark));
  if (!isReadable(ctx.config.brokerPermission)) {
    return answer(ResponseCode.NO_PERMISSION, `the broker[${ctx.brokerAddr}] pulling message is forbidden`);
  }
  const group = await ctx.subscriptionGroups.getOrCreate(header.consumerGroup);
  if (!group) {
    return answer(
      ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST,
      `subscription group [${header.consumerGroup}] does not exist`,
    );
  }
  if (!group.consumeEnable) {
    return answer(ResponseCode.NO_PERMISSION, `subscription group no permission, ${header.consumerGroup}`);
  }
  const topicConfig = ctx.topics.get(header.topic);
  if (!topicConfig) {
    return answer(ResponseCode.TOPIC_NOT_EXIST, `topic[${header.topic}] not exist, apply first please!`);
  }
  if (!isReadable(topicConfig.perm)) {
    return answer(ResponseCode.NO_PERMISSION, `the topic[${header.topic}] pulling message is forbidden`);
  }
  if (header.queueId < 0 || header.queueId >= topicConfig.readQueueNums) {
    return answer(
      ResponseCode.SYSTEM_ERROR,
      `queueId[${header.queueId}] is illegal, topic:[${header.topic}] topicConfig.readQueueNums:[${topicConfig.readQueueNums}] consumer:[${peer}]`,
    );
  }

  let sub: SubscriptionData | undefined;
  if ((header.sysFlag & PullSysFlag.SUBSCRIPTION) !== 0) {
    const type = header.expressionType || EXPRESSION_TYPE_TAG;
    if (type !== EXPRESSION_TYPE_TAG) {
      const sql = expressionSubscription(header.topic, type, header.subscription, header.subVersion);
      return filterAnswer(propertyPullFilter(sql, true, ctx.config.enablePropertyFilter));
    }
    sub = buildTagSubscription(header.topic, header.subscription, header.subVersion);
    if (!sub) return answer(ResponseCode.SUBSCRIPTION_PARSE_FAILED, "parse the consumer's subscription failed");
  } else {
    sub = ctx.consumers.findSubscription(header.consumerGroup, header.topic);
    if (!sub) return answer(ResponseCode.SUBSCRIPTION_NOT_EXIST, "the consumer's subscription not exist");
    if (!group.consumeBroadcastEnable && ctx.consumers.isBroadcasting(header.consumerGroup)) {
      return answer(
        ResponseCode.NO_PERMISSION,
        `the consumer group[${header.consumerGroup}] can not consume by broadcast way`,
      );
    }
    if (sub.subVersion < header.subVersion) {
      return answer(ResponseCode.SUBSCRIPTION_NOT_LATEST, "the consumer's subscription not latest");
    }
    if (sub.expressionType && sub.expressionType !== EXPRESSION_TYPE_TAG) {
      return filterAnswer(propertyPullFilter(sub, false, ctx.config.enablePropertyFilter));
    }
  }
  return { filter: createTagFilter(sub) };
}

/**
 * The records of a pull back to back, as one Buffer. Records read together from the store usually are views of one
 * buffer (one positional read of their span, or one in-memory chunk) lying end to end: then the answer is a view
 * over them all, not a copy. Why: copying some 36 KB per pull (and allocating it) was a visible share of the
 * broker's CPU and garbage while draining a backlog. Correct because the bytes are the same bytes in the same order;
 * whenever any record is not exactly where the previous one ended, they are copied as before.
 */
export function joinRecords(records: readonly Buffer[], totalBytes: number): Buffer {
  const first = records[0];
  if (first === undefined) return Buffer.alloc(0);
  if (records.length === 1) return first;
  let end = first.byteOffset + first.length;
  for (let i = 1; i < records.length; i++) {
    const r = records[i]!;
    if (r.buffer !== first.buffer || r.byteOffset !== end) return Buffer.concat(records, totalBytes);
    end += r.length;
  }
  return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
}

/** The response code of a store result (Java's PullMessageProcessor mapping). */
export function pullCode(result: GetMessageResult, requestOffset: number): number {
  switch (result.status) {
    case 'FOUND':
      return ResponseCode.SUCCESS;
    case 'MESSAGE_WAS_REMOVING':
    case 'NO_MATCHED_MESSAGE':
      return ResponseCode.PULL_RETRY_IMMEDIATELY;
    case 'NO_MATCHED_LOGIC_QUEUE':
    case 'NO_MESSAGE_IN_QUEUE':
      return requestOffset !== 0 ? ResponseCode.PULL_OFFSET_MOVED : ResponseCode.PULL_NOT_FOUND;
    case 'OFFSET_FOUND_NULL':
    case 'OFFSET_OVERFLOW_ONE':
      return ResponseCode.PULL_NOT_FOUND;
    case 'OFFSET_OVERFLOW_BADLY':
    case 'OFFSET_TOO_SMALL':
      return ResponseCode.PULL_OFFSET_MOVED;
    default:
      return ResponseCode.SYSTEM_ERROR;
  }
}
