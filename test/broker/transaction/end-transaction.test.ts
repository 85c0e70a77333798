/**
 * Half messages and END_TRANSACTION (37) over a real socket against the BrokerController: raw sends with TRAN_MSG,
 * raw END_TRANSACTION requests (good and bad), raw pulls of the real, half and op topics.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRequest, type RemotingCommand } from '../../../src/protocol/command.js';
import { EndTransactionRequestHeader, TransactionResolution } from '../../../src/protocol/headers/transaction.js';
import { decodeOffsetMsgId } from '../../../src/protocol/message/message-id.js';
import { decodeProperties } from '../../../src/protocol/message/properties.js';
import { decodeRecords, type MessageRecord } from '../../../src/protocol/message/record.js';
import { MessageSysFlag, transactionType } from '../../../src/protocol/message/sysflag.js';
import { RequestCode } from '../../../src/protocol/request-code.js';
import { ResponseCode } from '../../../src/protocol/response-code.js';
import { pullRequest, sendRequest, startTestBroker, type TestBroker } from '../broker-harness.js';

const HALF = 'RMQ_SYS_TRANS_HALF_TOPIC';
const OP = 'RMQ_SYS_TRANS_OP_HALF_TOPIC';

let b: TestBroker;
let seq = 0;

beforeEach(async () => {
  b = await startTestBroker({ transactionCheckInterval: 3_600_000 });
});
afterEach(async () => {
  await b.close();
});

/** Sends a half message the way a Java TransactionProducer does; returns the send response fields. */
async function sendHalf(topic: string, body: string, group = 'TXG'): Promise<Record<string, string>> {
  const uniq = `UNIQ${++seq}`;
  const res = await b.invoke(
    sendRequest(topic, body, {
      producerGroup: group,
      sysFlag: MessageSysFlag.TRANSACTION_PREPARED_TYPE,
      queueId: 1,
      props: { TRAN_MSG: 'true', PGROUP: group, UNIQ_KEY: uniq, TAGS: 'T' },
    }),
  );
  expect(res.code).toBe(ResponseCode.SUCCESS);
  return res.extFields ?? {};
}

function endRequest(
  sent: Record<string, string>,
  resolution: number,
  overrides: Partial<EndTransactionRequestHeader> = {},
): RemotingCommand {
  return createRequest(RequestCode.END_TRANSACTION, {
    extFields: EndTransactionRequestHeader.encode({
      producerGroup: 'TXG',
      tranStateTableOffset: Number(sent.queueOffset),
      commitLogOffset: decodeOffsetMsgId(sent.msgId ?? '').physicalOffset,
      commitOrRollback: resolution,
      fromTransactionCheck: false,
      msgId: sent.transactionId ?? '',
      transactionId: sent.transactionId,
      ...overrides,
    }),
  });
}

async function pull(topic: string, queueId: number, offset = 0): Promise<MessageRecord[]> {
  const res = await b.invoke(pullRequest(topic, queueId, offset));
  return res.code === ResponseCode.SUCCESS ? decodeRecords(res.body ?? Buffer.alloc(0)) : [];
}

describe('half messages', () => {
  it('parks a TRAN_MSG send in RMQ_SYS_TRANS_HALF_TOPIC queue 0 with the real topic and queue, invisible on the real topic', async () => {
    const sent = await sendHalf('TxTopic', 'half-1');
    expect(sent.queueOffset).toBe('0');
    expect(await pull('TxTopic', 1)).toEqual([]);
    // the half topic gets a topic config lazily (first check pass); read it from the store
    const stored = await b.broker.context.store.getMessage('CID_RMQ_SYS_TRANS', HALF, 0, 0, 32, 1 << 20);
    const [half] = decodeRecords(Buffer.concat(stored.messages));
    expect(half?.body.toString()).toBe('half-1');
    expect(transactionType(half?.sysFlag ?? -1)).toBe(MessageSysFlag.TRANSACTION_NOT_TYPE);
    const props = decodeProperties(half?.properties ?? '');
    expect(props).toMatchObject({
      REAL_TOPIC: 'TxTopic',
      REAL_QID: '1',
      TRAN_MSG: 'true',
      PGROUP: 'TXG',
      __transactionId__: sent.transactionId,
    });
  });

  it('refuses half messages with NO_PERMISSION when rejectTransactionMessage is set', async () => {
    await b.close();
    b = await startTestBroker({ rejectTransactionMessage: true });
    const res = await b.invoke(sendRequest('TxTopic', 'x', { props: { TRAN_MSG: 'true', PGROUP: 'TXG' } }));
    expect(res.code).toBe(ResponseCode.NO_PERMISSION);
    expect(res.remark).toContain('transaction');
  });
});

describe('END_TRANSACTION', () => {
  it('COMMIT publishes the real message once (COMMIT type, preparedTransactionOffset, no TRAN_MSG) and writes an op record', async () => {
    const sent = await sendHalf('TxTopic', 'commit-me');
    const halfOffset = decodeOffsetMsgId(sent.msgId ?? '').physicalOffset;
    const res = await b.invoke(endRequest(sent, TransactionResolution.COMMIT));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    const again = await b.invoke(endRequest(sent, TransactionResolution.COMMIT, { fromTransactionCheck: true }));
    expect(again.code).toBe(ResponseCode.SUCCESS);
    expect(again.remark).toContain('already');

    const published = await pull('TxTopic', 1);
    expect(published.map((m) => m.body.toString())).toEqual(['commit-me']);
    const [msg] = published;
    expect(transactionType(msg?.sysFlag ?? -1)).toBe(MessageSysFlag.TRANSACTION_COMMIT_TYPE);
    expect(msg?.preparedTransactionOffset).toBe(halfOffset);
    const props = decodeProperties(msg?.properties ?? '');
    expect(props.TRAN_MSG).toBeUndefined();
    expect(props.UNIQ_KEY).toBe(sent.transactionId);
    expect(props.TAGS).toBe('T');

    const ops = await pull(OP, 0);
    expect(ops.map((o) => o.body.toString('latin1'))).toEqual(['0,']);
    expect(decodeProperties(ops[0]?.properties ?? '').TAGS).toBe('d');
  });

  it('ROLLBACK discards the half message: nothing on the real topic, an op record, a later COMMIT is a no-op', async () => {
    await sendHalf('TxTopic', 'first');
    const sent = await sendHalf('TxTopic', 'roll-me-back');
    expect((await b.invoke(endRequest(sent, TransactionResolution.ROLLBACK))).code).toBe(ResponseCode.SUCCESS);
    expect((await b.invoke(endRequest(sent, TransactionResolution.COMMIT))).remark).toContain('already');
    expect(await pull('TxTopic', 1)).toEqual([]);
    const ops = await pull(OP, 0);
    expect(ops.map((o) => o.body.toString('latin1'))).toEqual(['1,']);
  });

  it('UNKNOWN (0) changes nothing', async () => {
    const sent = await sendHalf('TxTopic', 'unknown');
    const res = await b.invoke(endRequest(sent, TransactionResolution.NOT_TYPE));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(await pull('TxTopic', 1)).toEqual([]);
    expect(await pull(OP, 0)).toEqual([]);
    expect((await b.invoke(endRequest(sent, TransactionResolution.COMMIT))).code).toBe(ResponseCode.SUCCESS);
    expect((await pull('TxTopic', 1)).length).toBe(1);
  });

  it('concurrent duplicate COMMITs publish once', async () => {
    const sent = await sendHalf('TxTopic', 'dup');
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => b.invoke(endRequest(sent, TransactionResolution.COMMIT))),
    );
    expect(answers.every((a) => a.code === ResponseCode.SUCCESS)).toBe(true);
    expect((await pull('TxTopic', 1)).map((m) => m.body.toString())).toEqual(['dup']);
  });

  it('answers SYSTEM_ERROR for a wrong producer group, wrong offsets, or a non-half record, and publishes nothing', async () => {
    const plain = await b.invoke(sendRequest('Plain', 'not a half message'));
    const sent = await sendHalf('TxTopic', 'guarded');
    const phy = decodeOffsetMsgId(sent.msgId ?? '').physicalOffset;
    const cases: Partial<EndTransactionRequestHeader>[] = [
      { producerGroup: 'OTHER' },
      { tranStateTableOffset: 7 },
      { commitLogOffset: phy + 1 },
      { commitLogOffset: 10_000_000 },
      { commitLogOffset: -5 },
      { commitLogOffset: decodeOffsetMsgId(plain.extFields?.msgId ?? '').physicalOffset, tranStateTableOffset: 0 },
    ];
    for (const overrides of cases) {
      const res = await b.invoke(endRequest(sent, TransactionResolution.COMMIT, overrides));
      expect(res.code, JSON.stringify(overrides)).toBe(ResponseCode.SYSTEM_ERROR);
    }
    expect(await pull('TxTopic', 1)).toEqual([]);
    expect((await b.invoke(endRequest(sent, TransactionResolution.COMMIT))).code).toBe(ResponseCode.SUCCESS);
  });

  it('rejects a bad commitOrRollback and missing or malformed header fields with a typed error response', async () => {
    const sent = await sendHalf('TxTopic', 'bad');
    expect((await b.invoke(endRequest(sent, 5))).code).toBe(ResponseCode.INVALID_PARAMETER);
    const ext = EndTransactionRequestHeader.encode({
      producerGroup: 'TXG',
      tranStateTableOffset: 0,
      commitLogOffset: 0,
      commitOrRollback: 8,
      msgId: 'x',
    });
    for (const broken of [
      { ...ext, producerGroup: undefined },
      { ...ext, commitLogOffset: 'abc' },
      { ...ext, commitOrRollback: '' },
      {},
    ]) {
      const clean = Object.fromEntries(Object.entries(broken).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >;
      const res = await b.invoke(createRequest(RequestCode.END_TRANSACTION, { extFields: clean }));
      expect(res.code).not.toBe(ResponseCode.SUCCESS);
      expect(res.remark).toBeTruthy();
    }
    expect(await pull('TxTopic', 1)).toEqual([]);
  });

  it('answers random header fields and publishes only for a well-formed COMMIT, at most once (fuzz)', async () => {
    const sent = await sendHalf('TxTopic', 'fuzzed');
    const phy = String(decodeOffsetMsgId(sent.msgId ?? '').physicalOffset);
    let couldCommit = false;
    const field = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('0', '8', '12', phy, '-1', '1e3', 'TXG'));
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            producerGroup: field,
            tranStateTableOffset: field,
            commitLogOffset: field,
            commitOrRollback: field,
            fromTransactionCheck: field,
            msgId: field,
          },
          { requiredKeys: [] },
        ),
        async (extFields) => {
          const res = await b.invoke(createRequest(RequestCode.END_TRANSACTION, { extFields }));
          expect(Number.isInteger(res.code)).toBe(true);
          couldCommit ||=
            extFields.producerGroup === 'TXG' &&
            extFields.commitLogOffset === phy &&
            extFields.tranStateTableOffset === '0' &&
            extFields.commitOrRollback === '8';
          expect((await pull('TxTopic', 1)).length).toBeLessThanOrEqual(couldCommit ? 1 : 0);
        },
      ),
      { numRuns: 40, seed: 37 },
    );
  });

  it('a slave answers SLAVE_NOT_AVAILABLE and runs no check pass', async () => {
    await b.close();
    b = await startTestBroker({ brokerRole: 'SLAVE', brokerId: 1 });
    const res = await b.invoke(
      endRequest({ queueOffset: '0', msgId: '7F00000100002A9F0000000000000000' }, TransactionResolution.COMMIT),
    );
    expect(res.code).toBe(ResponseCode.SLAVE_NOT_AVAILABLE);
    // and it never checks back (its master does)
    expect((await b.broker.transactionService.checkNow()).scanned).toBe(0);
  });
});
