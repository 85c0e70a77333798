import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type LocalTransactionState,
  TransactionProducer,
  type TransactionProducerOptions,
} from '../../src/client/transaction-producer.js';
import { createRequest, type RemotingCommand } from '../../src/protocol/command.js';
import {
  CheckTransactionStateRequestHeader,
  EndTransactionRequestHeader,
} from '../../src/protocol/headers/transaction.js';
import { encodeMessageForCheck } from '../../src/protocol/message/encoded-message.js';
import type { MessageExt } from '../../src/protocol/message/message.js';
import { decodeProperties, encodeProperties } from '../../src/protocol/message/properties.js';
import { MessageSysFlag } from '../../src/protocol/message/sysflag.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { startTestNamesrv, type TestNamesrv } from '../namesrv/helpers.js';
import { FakeBroker } from './fake-broker.js';

let ns: TestNamesrv;
let broker: FakeBroker;
let producer: TransactionProducer | undefined;

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

async function startProducer(
  listener: Pick<TransactionProducerOptions, 'executeLocalTransaction' | 'checkLocalTransaction'>,
): Promise<TransactionProducer> {
  producer = new TransactionProducer({
    namesrvAddr: ns.addr,
    groupName: 'tx-group',
    clientIP: '127.0.0.1',
    ...listener,
  });
  await producer.start();
  return producer;
}

const endRequests = (): Array<{ request: RemotingCommand; header: EndTransactionRequestHeader }> =>
  broker.oneways.map((request) => ({ request, header: EndTransactionRequestHeader.decode(request.extFields) }));

beforeEach(async () => {
  ns = await startTestNamesrv();
  broker = new FakeBroker({ brokerName: 'broker-a', namesrvAddr: ns.addr, topics: { TxTopic: 2 } });
  await broker.start();
});

afterEach(async () => {
  await producer?.shutdown();
  producer = undefined;
  await broker.close();
  await ns.close();
});

describe('TransactionProducer', () => {
  it('sends a half message, runs the local transaction and commits with END_TRANSACTION', async () => {
    const seen: unknown[] = [];
    const tx = await startProducer({
      executeLocalTransaction: (msg, arg) => {
        seen.push([msg.body, arg]);
        return 'COMMIT';
      },
      checkLocalTransaction: () => 'UNKNOWN',
    });
    const result = await tx.sendMessageInTransaction({ topic: 'TxTopic', body: 'order-1' }, { orderId: 1 });
    expect(result.localTransactionState).toBe('COMMIT');
    expect(seen).toEqual([['order-1', { orderId: 1 }]]);

    const half = broker.sends[0];
    expect((half?.header.sysFlag ?? 0) & MessageSysFlag.TRANSACTION_TYPE_MASK).toBe(
      MessageSysFlag.TRANSACTION_PREPARED_TYPE,
    );
    expect(decodeProperties(half?.header.properties ?? '')).toMatchObject({ TRAN_MSG: 'true', PGROUP: 'tx-group' });

    await until(() => broker.oneways.length === 1, 'END_TRANSACTION');
    const [end] = endRequests();
    expect(end?.header).toMatchObject({
      producerGroup: 'tx-group',
      tranStateTableOffset: half?.queueOffset,
      commitLogOffset: half?.physicalOffset,
      commitOrRollback: 8,
      fromTransactionCheck: false,
      msgId: result.msgId,
    });
  });

  it('rolls back on ROLLBACK and reports UNKNOWN (0) with a remark when the local transaction throws', async () => {
    let outcome: LocalTransactionState | Error = 'ROLLBACK';
    const tx = await startProducer({
      executeLocalTransaction: () => {
        if (outcome instanceof Error) throw outcome;
        return outcome;
      },
      checkLocalTransaction: () => 'COMMIT',
    });
    await tx.sendMessageInTransaction({ topic: 'TxTopic', body: 'a' });
    outcome = new Error('db down');
    const unknown = await tx.sendMessageInTransaction({ topic: 'TxTopic', body: 'b' });
    expect(unknown.localTransactionState).toBe('UNKNOWN');
    await until(() => broker.oneways.length === 2, 'two END_TRANSACTIONs');
    const ends = endRequests();
    expect(ends.map((e) => e.header.commitOrRollback).sort()).toEqual([0, 12]);
    expect(ends.find((e) => e.header.commitOrRollback === 0)?.request.remark).toContain('db down');
  });

  it('rejects delayed transactional messages', async () => {
    const tx = await startProducer({ executeLocalTransaction: () => 'COMMIT', checkLocalTransaction: () => 'COMMIT' });
    await expect(tx.sendMessageInTransaction({ topic: 'TxTopic', body: 'x', delayLevel: 2 })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER',
    });
  });

  it('answers CHECK_TRANSACTION_STATE with END_TRANSACTION fromTransactionCheck=true on the same connection', async () => {
    const checked: MessageExt[] = [];
    const tx = await startProducer({
      executeLocalTransaction: () => 'UNKNOWN',
      checkLocalTransaction: (msg) => {
        checked.push(msg);
        return 'COMMIT';
      },
    });
    const result = await tx.sendMessageInTransaction({ topic: 'TxTopic', body: 'pending', tags: 'T' });
    await until(() => broker.oneways.length === 1 && broker.heartbeats.length > 0, 'END_TRANSACTION and a heartbeat');
    const half = broker.sends[0]!;
    // the broker's check: the half message in §5.5 layout with the real topic restored
    const body = encodeMessageForCheck({
      topic: 'TxTopic',
      queueId: 0,
      flag: 0,
      queueOffset: half.queueOffset,
      physicalOffset: half.physicalOffset,
      sysFlag: MessageSysFlag.TRANSACTION_PREPARED_TYPE,
      bornTimestamp: 1_700_000_000_000,
      bornHost: { host: '127.0.0.1', port: 5555 },
      storeTimestamp: 1_700_000_000_001,
      storeHost: { host: '127.0.0.1', port: broker.port },
      reconsumeTimes: 0,
      preparedTransactionOffset: 0,
      body: Buffer.from('pending'),
      properties: encodeProperties(decodeProperties(half.header.properties ?? '')),
    });
    const extFields = CheckTransactionStateRequestHeader.encode({
      topic: 'TxTopic',
      tranStateTableOffset: half.queueOffset,
      commitLogOffset: half.physicalOffset,
      msgId: result.msgId,
      transactionId: result.msgId,
      offsetMsgId: result.offsetMsgId,
    });
    const ctx = broker.lastContext!;
    await broker.server.invokeOneway(
      ctx.connection,
      createRequest(RequestCode.CHECK_TRANSACTION_STATE, { extFields, body, oneway: true }),
    );
    await until(() => broker.oneways.length === 2, 'the check answer');
    expect(checked[0]).toMatchObject({ topic: 'TxTopic', tags: 'T', msgId: result.msgId });
    expect(checked[0]?.body.toString()).toBe('pending');
    const answer = endRequests()[1];
    expect(answer?.header).toMatchObject({
      producerGroup: 'tx-group',
      tranStateTableOffset: half.queueOffset,
      commitLogOffset: half.physicalOffset,
      commitOrRollback: 8,
      fromTransactionCheck: true,
      msgId: result.msgId,
      transactionId: result.msgId,
    });
  });
});
