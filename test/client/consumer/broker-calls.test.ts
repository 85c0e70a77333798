/**
 * What the consumer sends for queue locks and how it answers an offset reset, observed on the wire: the test puts
 * recording handlers for LOCK_BATCH_MQ / UNLOCK_BATCH_MQ in place of the broker's real ones (those are covered with
 * the real lock manager in test/broker/orderly/), or calls the consumer from the broker's own connections.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRequest, createResponse, type RemotingCommand } from '../../../src/protocol/command.js';
import { parseJson, stringifyJsonBuffer } from '../../../src/protocol/fastjson.js';
import type { LockBatchRequestBody, MessageQueue } from '../../../src/protocol/headers/lock.js';
import { RequestCode } from '../../../src/protocol/request-code.js';
import { startCluster, type TestCluster, waitFor } from './cluster.js';

/** Recording LOCK_BATCH_MQ / UNLOCK_BATCH_MQ handlers answering as the broker's lock manager does (no expiry). */
function installLockStandIn(cluster: TestCluster) {
  const owners = new Map<string, string>();
  const calls: { code: number; clientId: string; queues: number[] }[] = [];
  const key = (group: string, mq: MessageQueue) => `${group}/${mq.topic}/${mq.brokerName}/${mq.queueId}`;
  cluster.broker.broker.server.registerHandler(RequestCode.LOCK_BATCH_MQ, (req) => {
    const body = parseJson(req.body!) as LockBatchRequestBody;
    calls.push({ code: req.code, clientId: body.clientId, queues: body.mqSet.map((q) => q.queueId) });
    const ok = body.mqSet.filter((mq) => {
      const owner = owners.get(key(body.consumerGroup, mq));
      if (owner !== undefined && owner !== body.clientId) return false;
      owners.set(key(body.consumerGroup, mq), body.clientId);
      return true;
    });
    return createResponse(req, 0, { body: stringifyJsonBuffer({ lockOKMQSet: ok }) });
  });
  cluster.broker.broker.server.registerHandler(RequestCode.UNLOCK_BATCH_MQ, (req) => {
    const body = parseJson(req.body!) as LockBatchRequestBody;
    calls.push({ code: req.code, clientId: body.clientId, queues: body.mqSet.map((q) => q.queueId) });
    for (const mq of body.mqSet) {
      if (owners.get(key(body.consumerGroup, mq)) === body.clientId) owners.delete(key(body.consumerGroup, mq));
    }
    return createResponse(req, 0);
  });
  return { owners, calls };
}

describe('consumer calls whose broker side is stood in', () => {
  let cluster: TestCluster;
  beforeEach(async () => {
    cluster = await startCluster();
  });
  afterEach(async () => {
    await cluster.close();
  });

  it('orderly CLUSTERING: locks its queues, keeps per-queue order, renews the locks and unlocks at shutdown', async () => {
    const locks = installLockStandIn(cluster);
    await cluster.createTopic('OrdC', 2);
    const producer = await cluster.producer();
    for (let i = 0; i < 10; i++) {
      await producer.send(
        { topic: 'OrdC', body: `o${i}` },
        { messageQueue: { topic: 'OrdC', brokerName: 'broker-a', queueId: i % 2 } },
      );
    }
    const byQueue = new Map<number, number[]>();
    const consumer = cluster.consumer({ consumerGroup: 'OrdCG', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe('OrdC').onMessageOrderly((msg) => {
      byQueue.set(msg.queueId, [...(byQueue.get(msg.queueId) ?? []), msg.queueOffset]);
    });
    await consumer.start();
    await waitFor(() => (byQueue.get(0)?.length ?? 0) + (byQueue.get(1)?.length ?? 0) === 10, 10_000, 'all 10');
    expect(byQueue.get(0)).toEqual([0, 1, 2, 3, 4]);
    expect(byQueue.get(1)).toEqual([0, 1, 2, 3, 4]);
    await waitFor(() => locks.calls.filter((c) => c.code === RequestCode.LOCK_BATCH_MQ).length >= 3, 5000, 'renewals');
    expect(locks.owners.size).toBe(3); // OrdC 0 and 1, %RETRY%OrdCG 0
    await consumer.shutdown();
    expect(locks.calls.at(-1)?.code).toBe(RequestCode.UNLOCK_BATCH_MQ);
    expect(locks.owners.size).toBe(0);
  });

  it('orderly CLUSTERING: a queue locked by another client is not consumed', async () => {
    const locks = installLockStandIn(cluster);
    await cluster.createTopic('OrdL', 1);
    locks.owners.set('OrdLG/OrdL/broker-a/0', 'someone-else');
    const producer = await cluster.producer();
    await producer.send({ topic: 'OrdL', body: 'x' });
    const seen: string[] = [];
    const consumer = cluster.consumer({ consumerGroup: 'OrdLG', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe('OrdL').onMessageOrderly((msg) => {
      seen.push(msg.body.toString());
    });
    await consumer.start();
    await new Promise((r) => setTimeout(r, 700));
    expect(seen).toEqual([]);
    expect(consumer.assignedQueues().some((q) => q.topic === 'OrdL')).toBe(false);
    locks.owners.delete('OrdLG/OrdL/broker-a/0');
    await waitFor(() => seen.length === 1, 5000, 'consumed once the lock is free');
  });

  it('RESET_CONSUMER_CLIENT_OFFSET moves a running consumer back to the given offsets', async () => {
    await cluster.createTopic('Reset', 1);
    const producer = await cluster.producer();
    for (let i = 0; i < 5; i++) await producer.send({ topic: 'Reset', body: `r${i}` });
    const seen: number[] = [];
    const consumer = cluster.consumer({ consumerGroup: 'ResetG', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe('Reset').onMessage((msg) => {
      seen.push(msg.queueOffset);
    });
    await consumer.start();
    await waitFor(() => seen.length === 5, 10_000, 'first pass');
    // the broker asks every connected client (as INVOKE_BROKER_TO_RESET_OFFSET would) to reset to offset 2
    const body = Buffer.from('{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"Reset"}:2}}');
    const answers: RemotingCommand[] = [];
    for (const conn of cluster.broker.broker.server.connections) {
      const request = createRequest(RequestCode.RESET_CONSUMER_CLIENT_OFFSET, {
        extFields: { topic: 'Reset', group: 'ResetG', timestamp: '0', isForce: 'true' },
        body,
      });
      answers.push(await cluster.broker.broker.server.invoke(conn, request, 3000).catch((e) => e));
    }
    expect(answers.some((a) => a.code === 0)).toBe(true);
    await waitFor(() => seen.length === 8, 10_000, 'offsets 2..4 again');
    expect(seen).toEqual([0, 1, 2, 3, 4, 2, 3, 4]);
  });
});
