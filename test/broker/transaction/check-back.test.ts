/**
 * The check-back pass against a real broker, driven by hand (`checkNow()`, injected clock), with a raw producer
 * connection: the CHECK_TRANSACTION_STATE it receives, renewed copies, and END_TRANSACTION for old and new copies of
 * one transaction publishing it once.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRequest, type RemotingCommand } from '../../../src/protocol/command.js';
import {
  CheckTransactionStateRequestHeader,
  EndTransactionRequestHeader,
  TransactionResolution,
} from '../../../src/protocol/headers/transaction.js';
import { decodeMessageForCheck } from '../../../src/protocol/message/encoded-message.js';
import { createOffsetMsgId, decodeOffsetMsgId } from '../../../src/protocol/message/message-id.js';
import { decodeProperties } from '../../../src/protocol/message/properties.js';
import { decodeRecords } from '../../../src/protocol/message/record.js';
import { MessageSysFlag, transactionType } from '../../../src/protocol/message/sysflag.js';
import { RequestCode } from '../../../src/protocol/request-code.js';
import { ResponseCode } from '../../../src/protocol/response-code.js';
import { pullRequest, sendRequest, startTestBroker, type TestBroker } from '../broker-harness.js';

let b: TestBroker;
let checks: RemotingCommand[];

/** Starts the broker (on `dir` when given) with a raw producer of group TXG connected that records checks. */
async function startWithProducer(dir?: string): Promise<void> {
  b = await startTestBroker({ transactionCheckInterval: 3_600_000, transactionTimeOut: 6000 }, dir);
  checks = [];
  b.client.registerHandler(RequestCode.CHECK_TRANSACTION_STATE, (request) => {
    checks.push(request);
    return undefined;
  });
  const heartbeat = JSON.stringify({
    clientID: 'raw-producer',
    producerDataSet: [{ groupName: 'TXG' }],
    consumerDataSet: [],
  });
  const res = await b.invoke(createRequest(RequestCode.HEART_BEAT, { body: Buffer.from(heartbeat) }));
  expect(res.code).toBe(ResponseCode.SUCCESS);
}

beforeEach(async () => {
  await startWithProducer();
});
afterEach(async () => {
  await b.close();
});

async function sendHalf(body: string, props: Record<string, string> = {}): Promise<Record<string, string>> {
  const res = await b.invoke(
    sendRequest('TxTopic', body, {
      producerGroup: 'TXG',
      sysFlag: MessageSysFlag.TRANSACTION_PREPARED_TYPE,
      queueId: 1,
      bornTimestamp: Date.now() - 60_000,
      props: { TRAN_MSG: 'true', PGROUP: 'TXG', UNIQ_KEY: `U-${body}`, ...props },
    }),
  );
  expect(res.code).toBe(ResponseCode.SUCCESS);
  return res.extFields ?? {};
}

/** Runs a check pass "later": the broker clock moves past the store times of everything sent so far. */
async function checkLater(): Promise<void> {
  b.clock.now = Date.now() + 1000;
  await b.broker.transactionService.checkNow();
}

function end(queueOffset: number, commitLogOffset: number, resolution: number): Promise<RemotingCommand> {
  return b.invoke(
    createRequest(RequestCode.END_TRANSACTION, {
      extFields: EndTransactionRequestHeader.encode({
        producerGroup: 'TXG',
        tranStateTableOffset: queueOffset,
        commitLogOffset,
        commitOrRollback: resolution,
        fromTransactionCheck: true,
        msgId: 'x',
      }),
    }),
  );
}

async function published(): Promise<string[]> {
  const res = await b.invoke(pullRequest('TxTopic', 1, 0));
  return res.code === ResponseCode.SUCCESS
    ? decodeRecords(res.body ?? Buffer.alloc(0)).map((r) => r.body.toString())
    : [];
}

async function until(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

describe('check-back', () => {
  it('sends CHECK_TRANSACTION_STATE for a renewed copy: header offsets of the copy, body with the real topic restored', async () => {
    const sent = await sendHalf('check-me', { KEYS: 'k1' });
    await checkLater();
    await until('the check', () => checks.length === 1);
    const check = checks[0] as RemotingCommand;
    const header = CheckTransactionStateRequestHeader.decode(check.extFields);
    const copyOffset = header.commitLogOffset;
    expect(header).toMatchObject({
      topic: 'TxTopic',
      tranStateTableOffset: 1,
      msgId: 'U-check-me',
      transactionId: 'U-check-me',
      offsetMsgId: createOffsetMsgId(b.broker.context.storeHost, copyOffset),
      bname: 'broker-a',
    });
    expect(copyOffset).toBeGreaterThan(decodeOffsetMsgId(sent.msgId ?? '').physicalOffset);
    const message = decodeMessageForCheck(check.body ?? Buffer.alloc(0));
    expect(message).toMatchObject({ topic: 'TxTopic', queueId: 1, queueOffset: 1, physicalOffset: copyOffset });
    expect(transactionType(message.sysFlag)).toBe(MessageSysFlag.TRANSACTION_PREPARED_TYPE);
    expect(message.body.toString()).toBe('check-me');
    expect(decodeProperties(message.properties)).toMatchObject({
      TRANSACTION_CHECK_TIMES: '1',
      TRAN_PREPARED_QUEUE_OFFSET: '0',
      PGROUP: 'TXG',
      KEYS: 'k1',
    });
    // progress is kept as consumer offsets of CID_RMQ_SYS_TRANS
    expect(b.broker.context.consumerOffsets.query('CID_RMQ_SYS_TRANS', 'RMQ_SYS_TRANS_HALF_TOPIC', 0)).toBe(1);

    expect((await end(1, copyOffset, TransactionResolution.COMMIT)).code).toBe(ResponseCode.SUCCESS);
    expect(await published()).toEqual(['check-me']);
  });

  it('publishes a transaction once whichever copy is answered, in either order, also after the copies are pruned', async () => {
    const a = await sendHalf('a');
    const bSent = await sendHalf('b');
    await checkLater();
    await until('two checks', () => checks.length === 2);
    const copies = checks.map((c) => CheckTransactionStateRequestHeader.decode(c.extFields));
    const aOld = decodeOffsetMsgId(a.msgId ?? '').physicalOffset;
    const bOld = decodeOffsetMsgId(bSent.msgId ?? '').physicalOffset;
    // a: the late answer to the first copy wins, the copy's answer is a duplicate
    expect((await end(0, aOld, TransactionResolution.COMMIT)).remark).toBeUndefined();
    expect((await end(2, copies[0]?.commitLogOffset ?? -1, TransactionResolution.COMMIT)).remark).toContain('already');
    // b: the copy's answer wins, the late answer to the first copy is a duplicate
    expect((await end(3, copies[1]?.commitLogOffset ?? -1, TransactionResolution.COMMIT)).remark).toBeUndefined();
    expect((await end(1, bOld, TransactionResolution.COMMIT)).remark).toContain('already');
    expect((await published()).sort()).toEqual(['a', 'b']);

    // the next pass skips both copies; the op records are then forgotten and progress moves past them
    checks.length = 0;
    await checkLater();
    const state = b.broker.transactionService.transactionState;
    expect(state.halfProgress).toBe(4);
    expect(state.sizes()).toEqual({ opEntries: 0, copies: 0, finished: 0 });
    expect(state.opProgress).toBe(2);
    expect(checks).toEqual([]);
    for (const [offset, phy] of [
      [0, aOld],
      [1, bOld],
    ] as const) {
      expect((await end(offset, phy, TransactionResolution.COMMIT)).remark).toContain('already');
    }
    expect((await published()).sort()).toEqual(['a', 'b']);
  });

  it('leaves young half messages alone and renews, without checking, those inside CHECK_IMMUNITY_TIME_IN_SECONDS', async () => {
    await sendHalf('immune', { CHECK_IMMUNITY_TIME_IN_SECONDS: '3600' });
    const young = await b.invoke(
      sendRequest('TxTopic', 'young', {
        producerGroup: 'TXG',
        queueId: 1,
        props: { TRAN_MSG: 'true', PGROUP: 'TXG', UNIQ_KEY: 'U-young' },
      }),
    );
    expect(young.code).toBe(ResponseCode.SUCCESS);
    await checkLater();
    const state = b.broker.transactionService.transactionState;
    // the immune one was renewed (copy at 2), the young one (1) stops the pass
    expect(state.halfProgress).toBe(1);
    expect(state.sizes().copies).toBe(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(checks).toEqual([]);
    expect(await published()).toEqual([]);
  });

  it('after a crash that lost the progress offsets, publishes each transaction once and still resolves the open one', async () => {
    const a = await sendHalf('a');
    await sendHalf('b');
    await checkLater();
    await until('two checks', () => checks.length === 2);
    const aCopy = CheckTransactionStateRequestHeader.decode(checks[0]?.extFields);
    expect((await end(aCopy.tranStateTableOffset, aCopy.commitLogOffset, TransactionResolution.COMMIT)).code).toBe(
      ResponseCode.SUCCESS,
    );
    expect(a.queueOffset).toBe('0');
    // "crash": the store survives, the committed offsets of CID_RMQ_SYS_TRANS were never flushed
    const dir = b.dir;
    await b.close(true);
    await rm(join(dir, 'store', 'config', 'consumerOffset.json'), { force: true });
    await startWithProducer(dir);
    expect(b.broker.transactionService.transactionState.halfProgress).toBe(0);

    await checkLater();
    await until('checks for b', () => checks.length === 2);
    const headers = checks.map((c) => CheckTransactionStateRequestHeader.decode(c.extFields));
    // both the first copy of b and its renewed copy were renewed again: two copies of one transaction
    const originals = checks.map(
      (c) => decodeProperties(decodeMessageForCheck(c.body ?? Buffer.alloc(0)).properties).TRAN_PREPARED_QUEUE_OFFSET,
    );
    expect(originals).toEqual(['1', '1']);
    for (const h of headers) {
      await end(h.tranStateTableOffset, h.commitLogOffset, TransactionResolution.COMMIT);
    }
    expect((await published()).sort()).toEqual(['a', 'b']);
    await checkLater();
    expect(checks.length).toBe(2);
    expect((await published()).sort()).toEqual(['a', 'b']);
  });
});
