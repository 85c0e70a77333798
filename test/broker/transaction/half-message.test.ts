/** Pure parts of transactions: half-message conversions, op bodies (golden bytes, fuzzing) and the bookkeeping. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkedMessage,
  checkTimesOf,
  committedMessage,
  decodeOpBody,
  encodeOpBody,
  immunityMsOf,
  isHalfMessageSend,
  opMessage,
  originalHalfOffset,
  parkHalfMessage,
  renewedHalfCopy,
} from '../../../src/broker/transaction/half-message.js';
import { TransactionState } from '../../../src/broker/transaction/transaction-state.js';
import { decodeProperties, encodeProperties } from '../../../src/protocol/message/properties.js';
import type { MessageRecord } from '../../../src/protocol/message/record.js';
import { MessageSysFlag } from '../../../src/protocol/message/sysflag.js';
import { ResponseCode } from '../../../src/protocol/response-code.js';
import type { MessageToStore } from '../../../src/store/message-store.js';

const host = { host: '127.0.0.1', port: 5000 };

function sent(
  props: Record<string, string>,
  sysFlag: number = MessageSysFlag.TRANSACTION_PREPARED_TYPE,
): MessageToStore {
  return {
    topic: 'Orders',
    queueId: 3,
    flag: 0,
    sysFlag: sysFlag | MessageSysFlag.COMPRESSED_FLAG,
    bornTimestamp: 1_700_000_000_000,
    bornHost: host,
    body: Buffer.from('body'),
    properties: encodeProperties(props),
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    tags: props.TAGS,
    uniqKey: props.UNIQ_KEY,
  };
}

function stored(msg: MessageToStore, queueOffset: number, physicalOffset: number): MessageRecord {
  return {
    topic: msg.topic,
    queueId: msg.queueId,
    flag: msg.flag,
    queueOffset,
    physicalOffset,
    sysFlag: msg.sysFlag,
    bornTimestamp: msg.bornTimestamp,
    bornHost: msg.bornHost,
    storeTimestamp: msg.bornTimestamp + 5,
    storeHost: host,
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    body: msg.body,
    properties: msg.properties,
    bodyCrc: 0,
  };
}

describe('op bodies', () => {
  it('encodes each half offset followed by a comma, in ASCII', () => {
    // "0," "12," "345," = 30 2c 31 32 2c 33 34 35 2c
    expect(encodeOpBody([0, 12, 345]).toString('hex')).toBe('302c31322c3334352c');
    expect(encodeOpBody([])).toEqual(Buffer.alloc(0));
  });

  it('decodes Java op bodies, skipping empty and non-numeric pieces', () => {
    expect(decodeOpBody(Buffer.from('302c31322c3334352c', 'hex'))).toEqual([0, 12, 345]);
    expect(decodeOpBody(Buffer.from('7,,x,-1,8'))).toEqual([7, 8]);
    expect(decodeOpBody(Buffer.from('99999999999999999999,'))).toEqual([]);
  });

  it('round-trips offsets and never throws on any bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { maxLength: 20 }), (offsets) => {
        expect(decodeOpBody(encodeOpBody(offsets))).toEqual(offsets);
      }),
      { numRuns: 100, seed: 9 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        for (const o of decodeOpBody(Buffer.from(bytes))) expect(Number.isSafeInteger(o) && o >= 0).toBe(true);
      }),
      { numRuns: 200, seed: 10 },
    );
  });

  it('op messages go to RMQ_SYS_TRANS_OP_HALF_TOPIC queue 0 with tag d', () => {
    const op = opMessage([4], host, 1);
    expect(op).toMatchObject({ topic: 'RMQ_SYS_TRANS_OP_HALF_TOPIC', queueId: 0, tags: 'd', sysFlag: 0 });
    expect(decodeProperties(op.properties)).toEqual({ TAGS: 'd' });
    expect(op.body.toString()).toBe('4,');
  });
});

describe('half message conversions', () => {
  const props = { TRAN_MSG: 'true', PGROUP: 'PG', UNIQ_KEY: 'U1', TAGS: 'T', KEYS: 'a b' };

  it('recognises TRAN_MSG=true only', () => {
    expect(isHalfMessageSend(encodeProperties(props))).toBe(true);
    expect(isHalfMessageSend(encodeProperties({ TRAN_MSG: 'false' }))).toBe(false);
    expect(isHalfMessageSend(encodeProperties({ XTRAN_MSG: 'true' }))).toBe(false);
    expect(isHalfMessageSend('')).toBe(false);
  });

  it('parks a half message in the half topic, queue 0, transaction bits cleared, real destination kept', () => {
    const half = parkHalfMessage({ rejectTransactionMessage: false }, 'b:1', sent(props));
    if ('code' in half) throw new Error('refused');
    expect(half).toMatchObject({
      topic: 'RMQ_SYS_TRANS_HALF_TOPIC',
      queueId: 0,
      sysFlag: MessageSysFlag.COMPRESSED_FLAG,
    });
    expect(decodeProperties(half.properties)).toEqual({
      ...props,
      REAL_TOPIC: 'Orders',
      REAL_QID: '3',
      __transactionId__: 'U1',
    });
    const plain = sent({ TAGS: 'T' }, 0);
    expect(parkHalfMessage({ rejectTransactionMessage: false }, 'b:1', plain)).toBe(plain);
    expect(parkHalfMessage({ rejectTransactionMessage: true }, 'b:1', sent(props))).toMatchObject({
      code: ResponseCode.NO_PERMISSION,
    });
  });

  it('rebuilds the committed message, a renewed copy, and the check body from the stored half message', () => {
    const parked = parkHalfMessage({ rejectTransactionMessage: false }, 'b:1', sent(props)) as MessageToStore;
    const half = stored(parked, 7, 4096);
    const committed = committedMessage(half);
    expect(committed).toMatchObject({
      topic: 'Orders',
      queueId: 3,
      sysFlag: MessageSysFlag.COMPRESSED_FLAG | MessageSysFlag.TRANSACTION_COMMIT_TYPE,
      preparedTransactionOffset: 4096,
      tags: 'T',
      keys: ['a', 'b'],
      uniqKey: 'U1',
    });
    expect(decodeProperties(committed?.properties ?? '').TRAN_MSG).toBeUndefined();

    const copy = renewedHalfCopy(half, 7, 3);
    expect(copy.topic).toBe('RMQ_SYS_TRANS_HALF_TOPIC');
    const copyProps = decodeProperties(copy.properties);
    expect(checkTimesOf(copyProps)).toBe(3);
    expect(originalHalfOffset(copyProps, 11)).toBe(7);
    expect(originalHalfOffset(decodeProperties(half.properties), 7)).toBe(7);

    const check = checkedMessage(half);
    expect(check).toMatchObject({ topic: 'Orders', queueId: 3, queueOffset: 7, physicalOffset: 4096 });
    expect((check?.sysFlag ?? 0) & MessageSysFlag.TRANSACTION_TYPE_MASK).toBe(MessageSysFlag.TRANSACTION_PREPARED_TYPE);

    const lost = stored(sent(props), 1, 2);
    expect(committedMessage(lost)).toBeUndefined();
    expect(checkedMessage(lost)).toBeUndefined();
  });

  it('reads check times and immunity leniently', () => {
    expect(checkTimesOf({ TRANSACTION_CHECK_TIMES: 'x' })).toBe(0);
    expect(checkTimesOf({})).toBe(0);
    expect(immunityMsOf({ CHECK_IMMUNITY_TIME_IN_SECONDS: '2.5' })).toBe(2500);
    expect(immunityMsOf({ CHECK_IMMUNITY_TIME_IN_SECONDS: '-1' })).toBeUndefined();
    expect(originalHalfOffset({ TRAN_PREPARED_QUEUE_OFFSET: 'nope' }, 5)).toBe(5);
  });
});

describe('TransactionState', () => {
  it('knows finished transactions by original or copy, and everything whose copies are all behind', () => {
    const state = new TransactionState();
    state.addCopy(5, 1); // transaction 1 renewed as copy 5
    state.advanceHalf(3);
    expect(state.lowWater()).toBe(1);
    expect(state.isFinished(5, 1)).toBe(false);
    expect(state.isFinished(0, 0)).toBe(true); // below the low-water mark: no live copy left
    state.markFinished([1, 5]);
    state.addOpEntry(0, [1, 5]);
    expect(state.isFinished(1, 1)).toBe(true);
    state.pruneOps(1);
    expect(state.opProgress).toBe(0); // copy 5 still ahead: the op record is kept
    state.advanceHalf(6);
    state.pruneOps(1);
    expect(state.opProgress).toBe(1);
    expect(state.sizes()).toEqual({ opEntries: 0, copies: 0, finished: 0 });
    expect(state.isFinished(5, 1)).toBe(true);
  });

  it('keeps op entries in op-offset order and stops pruning at the first one still needed', () => {
    const state = new TransactionState();
    state.advanceHalf(10);
    state.markFinished([20]);
    state.addOpEntry(3, [20]);
    state.markFinished([2]);
    state.addOpEntry(1, [2]);
    state.pruneOps(4);
    expect(state.opProgress).toBe(3);
    expect(state.sizes().opEntries).toBe(1);
    state.unmarkFinished([20]);
    expect(state.isFinished(20, 20)).toBe(false);
  });

  it('saves progress as CID_RMQ_SYS_TRANS offsets, and nothing for a broker that never saw a transaction', () => {
    const table = new Map<string, number>();
    const offsets = {
      query: (group: string, topic: string, queueId: number) => table.get(`${group}/${topic}/${queueId}`) ?? -1,
      commit: (_host: string, group: string, topic: string, queueId: number, offset: number) => {
        table.set(`${group}/${topic}/${queueId}`, offset);
      },
    };
    const state = new TransactionState();
    state.saveProgress(offsets, 'b:1');
    expect(table.size).toBe(0);
    state.advanceHalf(3);
    state.saveProgress(offsets, 'b:1');
    expect([...table]).toEqual([['CID_RMQ_SYS_TRANS/RMQ_SYS_TRANS_HALF_TOPIC/0', 3]]);
  });

  it('prunes long op histories in steps (seeded)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 5, maxLength: 5 }), (steps) => {
        const s = new TransactionState();
        let half = 0;
        for (let op = 0; op < 3000; op++) {
          s.markFinished([op]);
          s.addOpEntry(op, [op]);
        }
        for (const step of steps) {
          half += step;
          s.advanceHalf(half);
          s.pruneOps(3000);
          expect(s.opProgress).toBe(Math.min(half, 3000));
          expect(s.sizes().opEntries).toBe(3000 - Math.min(half, 3000));
          expect(s.isFinished(half, half)).toBe(half < 3000);
        }
      }),
      { numRuns: 20, seed: 11 },
    );
  });
});
