/**
 * Queue lock processors for orderly consumption (reference §4.6, §6.7): LOCK_BATCH_MQ (41), UNLOCK_BATCH_MQ (42).
 */
import { ProtocolError } from '../../common/errors.js';
import { createResponse } from '../../protocol/command.js';
import { parseJson, stringifyJsonBuffer } from '../../protocol/fastjson.js';
import type { LockBatchRequestBody, MessageQueue } from '../../protocol/headers/lock.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestHandler } from '../../transport/dispatcher.js';
import type { HandlerTable } from '../context.js';
import type { RebalanceLockManager } from '../rebalance-lock-manager.js';

function malformed(what: string): ProtocolError {
  return new ProtocolError('BODY_MALFORMED', `LockBatchRequestBody: ${what}`);
}

function messageQueueOf(value: unknown): MessageQueue {
  if (typeof value !== 'object' || value === null) throw malformed('an mqSet entry is not an object');
  const q = value as Record<string, unknown>;
  const queueId = typeof q.queueId === 'string' && q.queueId.trim() !== '' ? Number(q.queueId) : q.queueId;
  if (typeof q.topic !== 'string' || q.topic === '') throw malformed('an mqSet entry has no topic');
  if (typeof q.brokerName !== 'string') throw malformed('an mqSet entry has no brokerName');
  if (typeof queueId !== 'number' || !Number.isInteger(queueId) || queueId < 0) {
    throw malformed('an mqSet entry has no valid queueId');
  }
  return { topic: q.topic, brokerName: q.brokerName, queueId };
}

/**
 * Reads a LockBatchRequestBody / UnlockBatchRequestBody (same shape); throws ProtocolError BODY_MALFORMED when the
 * body is missing, not JSON, or lacks consumerGroup, clientId or a well-formed mqSet.
 */
export function parseLockBatchBody(body: Buffer | undefined): LockBatchRequestBody {
  if (body === undefined || body.length === 0) throw malformed('empty body');
  const json = parseJson(body);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw malformed('not an object');
  const b = json as Record<string, unknown>;
  if (typeof b.consumerGroup !== 'string' || b.consumerGroup === '') throw malformed('no consumerGroup');
  if (typeof b.clientId !== 'string' || b.clientId === '') throw malformed('no clientId');
  if (b.mqSet !== undefined && b.mqSet !== null && !Array.isArray(b.mqSet)) throw malformed('mqSet is not an array');
  const mqSet = Array.isArray(b.mqSet) ? b.mqSet.map(messageQueueOf) : [];
  return { consumerGroup: b.consumerGroup, clientId: b.clientId, mqSet, onlyThisBroker: b.onlyThisBroker === true };
}

function lockBatchMq(locks: RebalanceLockManager): RequestHandler {
  return (request) => {
    const body = parseLockBatchBody(request.body);
    const lockOKMQSet = locks.tryLockBatch(body.consumerGroup, body.mqSet, body.clientId);
    return createResponse(request, ResponseCode.SUCCESS, { body: stringifyJsonBuffer({ lockOKMQSet }) });
  };
}

function unlockBatchMq(locks: RebalanceLockManager): RequestHandler {
  return (request) => {
    const body = parseLockBatchBody(request.body);
    locks.unlockBatch(body.consumerGroup, body.mqSet, body.clientId);
    return createResponse(request, ResponseCode.SUCCESS);
  };
}

/** LOCK_BATCH_MQ and UNLOCK_BATCH_MQ handlers over one lock table. */
export function lockHandlers(locks: RebalanceLockManager): HandlerTable {
  return new Map<number, RequestHandler>([
    [RequestCode.LOCK_BATCH_MQ, lockBatchMq(locks)],
    [RequestCode.UNLOCK_BATCH_MQ, unlockBatchMq(locks)],
  ]);
}
