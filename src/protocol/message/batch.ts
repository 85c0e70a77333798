/**
 * The batch send body (reference §5.6, SEND_BATCH_MESSAGE): items back to back, each
 * `int32 totalSize | int32 magic (0) | int32 bodyCRC (0) | int32 flag | int32 bodyLen | body | int16 propsLen | props`.
 */
import { isUtf8 } from 'node:buffer';
import { ProtocolError, RocketMQError } from '../../common/errors.js';

/** One message of a batch. */
export interface BatchItem {
  flag: number;
  body: Buffer;
  /** Properties string (reference §5.1), with the item's own UNIQ_KEY. */
  properties: string;
}

/** Item bytes besides body and properties. */
const ITEM_FIXED_SIZE = 22;

/** Encodes batch items. Properties over 32767 UTF-8 bytes ⇒ RocketMQError MESSAGE_ILLEGAL. */
export function encodeBatch(items: readonly BatchItem[]): Buffer {
  const propsLengths = items.map((item) => Buffer.byteLength(item.properties, 'utf8'));
  let total = 0;
  items.forEach((item, i) => {
    const propsLength = propsLengths[i]!;
    if (propsLength > 32767) throw new RocketMQError('MESSAGE_ILLEGAL', `properties too long: ${propsLength} bytes`);
    if (!Number.isInteger(item.flag) || item.flag < -0x80000000 || item.flag > 0x7fffffff) {
      throw new RocketMQError('INVALID_PARAMETER', `flag is not an int32: ${item.flag}`);
    }
    total += ITEM_FIXED_SIZE + item.body.length + propsLength;
  });
  const out = Buffer.allocUnsafe(total);
  let p = 0;
  items.forEach((item, i) => {
    const propsLength = propsLengths[i]!;
    p = out.writeInt32BE(ITEM_FIXED_SIZE + item.body.length + propsLength, p);
    p = out.writeInt32BE(0, p); // magic: unused in batch items
    p = out.writeInt32BE(0, p); // body CRC: computed by the broker
    p = out.writeInt32BE(item.flag, p);
    p = out.writeInt32BE(item.body.length, p);
    out.set(item.body, p);
    p += item.body.length;
    p = out.writeInt16BE(propsLength, p);
    p += out.write(item.properties, p, propsLength, 'utf8');
  });
  return out;
}

/**
 * Decodes a batch body into items (bodies are copies). Throws ProtocolError BODY_MALFORMED when an item overruns the
 * buffer, its totalSize disagrees with its fields, a length is negative, or properties are not valid UTF-8.
 */
export function decodeBatch(buf: Buffer): BatchItem[] {
  const items: BatchItem[] = [];
  let p = 0;
  while (p < buf.length) {
    if (p + 20 > buf.length) malformed(`truncated batch item header at ${p}`);
    const totalSize = buf.readInt32BE(p);
    const flag = buf.readInt32BE(p + 12);
    const bodyLength = buf.readInt32BE(p + 16);
    if (totalSize < ITEM_FIXED_SIZE || totalSize > buf.length - p)
      malformed(`batch item size ${totalSize} out of bounds`);
    const end = p + totalSize;
    if (bodyLength < 0 || bodyLength > totalSize - ITEM_FIXED_SIZE)
      malformed(`batch body length ${bodyLength} invalid`);
    const bodyStart = p + 20;
    const propsAt = bodyStart + bodyLength;
    const propsLength = buf.readInt16BE(propsAt);
    if (propsLength < 0 || propsAt + 2 + propsLength !== end) malformed('batch item size does not match its fields');
    const propsView = buf.subarray(propsAt + 2, end);
    if (!isUtf8(propsView)) malformed('batch item properties are not valid UTF-8');
    items.push({
      flag,
      body: Buffer.from(buf.subarray(bodyStart, propsAt)),
      properties: propsView.toString('utf8'),
    });
    p = end;
  }
  return items;
}

function malformed(message: string): never {
  throw new ProtocolError('BODY_MALFORMED', message);
}
