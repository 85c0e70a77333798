/**
 * Admin requests the broker passes on to one consumer client (reference §2.1): GET_CONSUMER_RUNNING_INFO (307) and
 * CONSUME_MESSAGE_DIRECTLY (309). The broker finds the client's connection from its heartbeats, sends it the same
 * header and body (309: with the stored record, looked up by the offset message id, as the body) and answers with
 * the client's response as it is — Java's AdminBrokerProcessor.callConsumer.
 */
import { createRequest, createResponse, type RemotingCommand } from '../../protocol/command.js';
import {
  ConsumeMessageDirectlyResultRequestHeader,
  GetConsumerRunningInfoRequestHeader,
} from '../../protocol/headers/admin.js';
import { decodeOffsetMsgId } from '../../protocol/message/message-id.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestHandler } from '../../transport/dispatcher.js';
import type { ConsumerManager } from '../consumer-manager.js';
import type { BrokerContext, HandlerTable } from '../context.js';

/** How long the broker waits for the client's answer (Java's Broker2Client.callClient: 10 s). */
const CALL_CONSUMER_TIMEOUT_MS = 10_000;

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

/** GET_CONSUMER_RUNNING_INFO and CONSUME_MESSAGE_DIRECTLY handlers. */
export function callConsumerHandlers(parts: CallConsumerParts): HandlerTable {
  return new Map<number, RequestHandler>([
    [RequestCode.GET_CONSUMER_RUNNING_INFO, getConsumerRunningInfo(parts)],
    [RequestCode.CONSUME_MESSAGE_DIRECTLY, consumeMessageDirectly(parts)],
  ]);
}
