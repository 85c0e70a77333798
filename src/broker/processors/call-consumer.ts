/**
 * Admin requests the broker passes on to consumer clients (reference §2.1). GET_CONSUMER_RUNNING_INFO (307) and
 * CONSUME_MESSAGE_DIRECTLY (309) go to the one client named: the broker finds its connection from its heartbeats,
 * sends it the same header and body (309: with the stored record, looked up by the offset message id, as the body)
 * and answers with the client's response as it is — Java's AdminBrokerProcessor.callConsumer.
 * INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223) asks every client of the group (or the one named) for its offsets of a
 * topic with GET_CONSUMER_STATUS_FROM_CLIENT (221) and answers with them all — Java's Broker2Client.getConsumeStatus.
 */
import { createRequest, createResponse, type RemotingCommand } from '../../protocol/command.js';
import { parseJson, stringifyJsonBuffer } from '../../protocol/fastjson.js';
import {
  ConsumeMessageDirectlyResultRequestHeader,
  GetConsumerRunningInfoRequestHeader,
  GetConsumerStatusRequestHeader,
} from '../../protocol/headers/admin.js';
import { type MessageQueue, parseMessageQueueKey } from '../../protocol/headers/lock.js';
import { decodeOffsetMsgId } from '../../protocol/message/message-id.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestHandler } from '../../transport/dispatcher.js';
import type { ConsumerManager } from '../consumer-manager.js';
import type { BrokerContext, HandlerTable } from '../context.js';

/** How long the broker waits for the client's answer (Java's Broker2Client.callClient: 10 s). */
const CALL_CONSUMER_TIMEOUT_MS = 10_000;
/** How long each client may take to report its offsets (Java: 5 s). */
const CONSUMER_STATUS_TIMEOUT_MS = 5000;

export interface CallConsumerParts {
  ctx: BrokerContext;
  consumers: Pick<ConsumerManager, 'group'>;
}

async function callConsumer(
  parts: CallConsumerParts,
  request: RemotingCommand,
  group: string,
  clientId: string,
  extFields: Record<string, string>,
  body: Buffer | undefined,
): Promise<RemotingCommand> {
  const member = parts.consumers.group(group)?.members.get(clientId);
  if (member === undefined) {
    return createResponse(request, ResponseCode.SYSTEM_ERROR, {
      remark: `The Consumer <${group}> <${clientId}> not online`,
    });
  }
  const forwarded = createRequest(request.code, { extFields, body });
  try {
    const answer = await parts.ctx.server.invoke(member.connection, forwarded, CALL_CONSUMER_TIMEOUT_MS);
    return createResponse(request, answer.code, {
      ...(answer.remark === undefined ? {} : { remark: answer.remark }),
      ...(answer.extFields === undefined ? {} : { extFields: answer.extFields }),
      ...(answer.body === undefined ? {} : { body: answer.body }),
    });
  } catch (err) {
    const timedOut = (err as { code?: string }).code === 'REQUEST_TIMEOUT';
    const message = err instanceof Error ? err.message : String(err);
    return createResponse(request, timedOut ? ResponseCode.CONSUME_MSG_TIMEOUT : ResponseCode.SYSTEM_ERROR, {
      remark: timedOut
        ? `consumer <${group}> <${clientId}> Timeout: ${message}`
        : `invoke consumer <${group}> <${clientId}> Exception: ${message}`,
    });
  }
}

function getConsumerRunningInfo(parts: CallConsumerParts): RequestHandler {
  return (request) => {
    const h = GetConsumerRunningInfoRequestHeader.decode(request.extFields);
    return callConsumer(parts, request, h.consumerGroup, h.clientId, { ...request.extFields }, request.body);
  };
}

function consumeMessageDirectly(parts: CallConsumerParts): RequestHandler {
  return async (request) => {
    const h = ConsumeMessageDirectlyResultRequestHeader.decode(request.extFields);
    const record = h.msgId === undefined ? undefined : await storedRecord(parts, h.msgId);
    const extFields = { ...request.extFields, brokerName: parts.ctx.config.brokerName };
    return callConsumer(parts, request, h.consumerGroup, h.clientId ?? '', extFields, record);
  };
}

/** The stored record an offset message id names; undefined for any other id (the client then gets no body). */
async function storedRecord(parts: CallConsumerParts, msgId: string): Promise<Buffer | undefined> {
  try {
    return await parts.ctx.store.getRecordBytes(decodeOffsetMsgId(msgId).physicalOffset);
  } catch {
    return undefined;
  }
}

/** A GetConsumerStatusBody's `messageQueueTable` (MessageQueue keys as raw JSON), or an empty map. */
function offsetTableOf(body: Buffer | undefined): Map<MessageQueue, number> {
  const table = new Map<MessageQueue, number>();
  const doc = body === undefined || body.length === 0 ? undefined : parseJson(body);
  const raw = (doc as { messageQueueTable?: unknown } | undefined)?.messageQueueTable;
  if (typeof raw !== 'object' || raw === null) return table;
  for (const [key, offset] of Object.entries(raw)) {
    if (typeof offset !== 'number') continue;
    try {
      table.set(parseMessageQueueKey(key), offset);
    } catch {
      // not a MessageQueue key: skipped
    }
  }
  return table;
}

function getConsumerStatus(parts: CallConsumerParts): RequestHandler {
  return async (request) => {
    const h = GetConsumerStatusRequestHeader.decode(request.extFields);
    const members = [...(parts.consumers.group(h.group)?.members.values() ?? [])];
    if (members.length === 0) {
      return createResponse(request, ResponseCode.SYSTEM_ERROR, {
        remark: `No Any Consumer online in the consumer group: [${h.group}]`,
      });
    }
    // As Java: the header's clientAddr, when set, names one client by its client id.
    const asked = h.clientAddr ? members.filter((m) => m.clientId === h.clientAddr) : members;
    const consumerTable = new Map<string, Map<MessageQueue, number>>();
    await Promise.all(
      asked.map(async (member) => {
        const call = createRequest(RequestCode.GET_CONSUMER_STATUS_FROM_CLIENT, {
          extFields: GetConsumerStatusRequestHeader.encode({ topic: h.topic, group: h.group }),
        });
        try {
          const answer = await parts.ctx.server.invoke(member.connection, call, CONSUMER_STATUS_TIMEOUT_MS);
          if (answer.code === ResponseCode.SUCCESS) consumerTable.set(member.clientId, offsetTableOf(answer.body));
        } catch (err) {
          parts.ctx.logger.warn({ err, group: h.group, clientId: member.clientId }, 'consumer status not received');
        }
      }),
    );
    return createResponse(request, ResponseCode.SUCCESS, {
      body: stringifyJsonBuffer({ consumerTable }, { fastjson: true }),
    });
  };
}

/** GET_CONSUMER_RUNNING_INFO, CONSUME_MESSAGE_DIRECTLY and INVOKE_BROKER_TO_GET_CONSUMER_STATUS handlers. */
export function callConsumerHandlers(parts: CallConsumerParts): HandlerTable {
  return new Map<number, RequestHandler>([
    [RequestCode.GET_CONSUMER_RUNNING_INFO, getConsumerRunningInfo(parts)],
    [RequestCode.CONSUME_MESSAGE_DIRECTLY, consumeMessageDirectly(parts)],
    [RequestCode.INVOKE_BROKER_TO_GET_CONSUMER_STATUS, getConsumerStatus(parts)],
  ]);
}
