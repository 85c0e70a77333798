/** Test helpers for the consumer tests: records and messages built by hand. */
import { type MessageExt, toMessageExt } from '../../../src/protocol/message/message.js';
import { encodeProperties } from '../../../src/protocol/message/properties.js';
import { decodeRecords, encodeRecord } from '../../../src/protocol/message/record.js';

const HOST = { host: '127.0.0.1', port: 10911 };

/** A stored record as a broker would return it in a pull body. */
export function recordBytes(
  topic: string,
  queueId: number,
  queueOffset: number,
  body: string,
  props: Record<string, string> = {},
): Buffer {
  return encodeRecord({
    topic,
    queueId,
    flag: 0,
    queueOffset,
    physicalOffset: 1000 + queueOffset * 100,
    sysFlag: 0,
    bornTimestamp: 1_700_000_000_000,
    bornHost: HOST,
    storeTimestamp: 1_700_000_000_001,
    storeHost: HOST,
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    body: Buffer.from(body),
    properties: encodeProperties(props),
  });
}

/** A received message of queue `topic`/`queueId` at `queueOffset`. */
export function message(queueOffset: number, body = `m${queueOffset}`, topic = 'T', queueId = 0): MessageExt {
  return toMessageExt(decodeRecords(recordBytes(topic, queueId, queueOffset, body))[0]!);
}
