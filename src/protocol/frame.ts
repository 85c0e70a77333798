/**
 * The remoting frame (reference §1.1):
 *
 * ```
 * length:int32 (bytes after itself) | headerMeta:int32 = serializeType:u8 << 24 | headerLength:u24 | header | body
 * ```
 *
 * Pure: encodes and decodes Buffers. FrameSplitter cuts a byte stream into frames for the transport.
 */
import { ProtocolError } from '../common/errors.js';
import { MAX_FRAME_LENGTH, type RemotingCommand, SerializeType } from './command.js';
import { decodeBinaryHeaderAt, encodeBinaryHeaderScratch } from './header-binary.js';
import { decodeJsonHeaderAt, jsonHeaderText } from './header-json.js';

/** Bytes of the length prefix. */
export const LENGTH_PREFIX_BYTES = 4;
/** Bytes of the header-meta word (serialize type + 24-bit header length). */
export const HEADER_META_BYTES = 4;

function tooLarge(length: number, max: number): ProtocolError {
  return new ProtocolError('FRAME_TOO_LARGE', `frame of ${length} bytes exceeds the ${max}-byte limit`);
}

/**
 * The whole frame of `cmd`, length prefix included, in one allocation. The header is written as `cmd.serializeType`
 * says (JSON or ROCKETMQ binary), or as `serializeType` when given. Throws ProtocolError FRAME_TOO_LARGE when the frame (prefix excluded) would exceed
 * MAX_FRAME_LENGTH, and INVALID_HEADER_FIELD when a binary header cannot represent a field.
 */
export function encodeCommand(cmd: RemotingCommand, serializeType: SerializeType = cmd.serializeType): Buffer {
  return encodeFrame(cmd, serializeType, true);
}

/**
 * The frame of `cmd` up to the end of its header (length prefix, header-meta, header), with the length prefix
 * counting the body. Writing this and then `cmd.body` to a socket sends the same bytes as encodeCommand without
 * copying the body: worth it for large bodies (pull responses). Same errors as encodeCommand.
 */
export function encodeCommandHead(cmd: RemotingCommand, serializeType: SerializeType = cmd.serializeType): Buffer {
  return encodeFrame(cmd, serializeType, false);
}

function encodeFrame(cmd: RemotingCommand, serializeType: SerializeType, withBody: boolean): Buffer {
  const bodyLength = cmd.body ? cmd.body.length : 0;
  const allocatedBody = withBody ? bodyLength : 0;
  let frame: Buffer;
  let headerLength: number;
  const headerStart = LENGTH_PREFIX_BYTES + HEADER_META_BYTES;
  if (serializeType === SerializeType.ROCKETMQ) {
    const header = encodeBinaryHeaderScratch(cmd);
    headerLength = header.length;
    checkFrameLength(HEADER_META_BYTES + headerLength + bodyLength);
    frame = Buffer.allocUnsafe(headerStart + headerLength + allocatedBody);
    header.copy(frame, headerStart);
  } else if (serializeType === SerializeType.JSON) {
    const text = jsonHeaderText(cmd);
    headerLength = Buffer.byteLength(text, 'utf8');
    checkFrameLength(HEADER_META_BYTES + headerLength + bodyLength);
    frame = Buffer.allocUnsafe(headerStart + headerLength + allocatedBody);
    frame.write(text, headerStart, 'utf8');
  } else {
    throw new ProtocolError('INVALID_HEADER_FIELD', `unknown serialize type ${String(serializeType)}`);
  }
  frame.writeUInt32BE(HEADER_META_BYTES + headerLength + bodyLength, 0);
  frame.writeUInt32BE(((serializeType << 24) | headerLength) >>> 0, LENGTH_PREFIX_BYTES);
  if (withBody && cmd.body) cmd.body.copy(frame, headerStart + headerLength);
  return frame;
}

function checkFrameLength(length: number): void {
  if (length > MAX_FRAME_LENGTH) throw tooLarge(length, MAX_FRAME_LENGTH);
}

/**
 * Decodes one frame given WITHOUT its length prefix (it starts at header-meta). `serializeType` comes from the type
 * byte. The returned `body` is a view (subarray) of `frame`, not a copy: copy it if `frame`'s memory is reused; it is
 * undefined when the frame has no body. Throws ProtocolError: FRAME_MALFORMED when the frame is shorter than the meta
 * word or the header length runs past its end, HEADER_MALFORMED for an unknown serialize type or a bad header.
 */
export function decodeCommand(frame: Buffer): RemotingCommand {
  if (frame.length < HEADER_META_BYTES) throw new ProtocolError('FRAME_MALFORMED', `frame of ${frame.length} bytes`);
  const type = frame[0]!;
  const headerLength = frame.readUIntBE(1, 3);
  const headerEnd = HEADER_META_BYTES + headerLength;
  if (headerEnd > frame.length) {
    throw new ProtocolError(
      'FRAME_MALFORMED',
      `header length ${headerLength} runs past the end of a ${frame.length}-byte frame`,
    );
  }
  let serializeType: SerializeType;
  let header: ReturnType<typeof decodeJsonHeaderAt>;
  if (type === SerializeType.ROCKETMQ) {
    serializeType = SerializeType.ROCKETMQ;
    header = decodeBinaryHeaderAt(frame, HEADER_META_BYTES, headerEnd);
  } else if (type === SerializeType.JSON) {
    serializeType = SerializeType.JSON;
    header = decodeJsonHeaderAt(frame, HEADER_META_BYTES, headerEnd);
  } else {
    throw new ProtocolError('HEADER_MALFORMED', `unknown serialize type ${type}`);
  }
  return {
    code: header.code,
    language: header.language,
    version: header.version,
    opaque: header.opaque,
    flag: header.flag,
    remark: header.remark,
    extFields: header.extFields,
    body: headerEnd < frame.length ? frame.subarray(headerEnd) : undefined,
    serializeType,
  };
}

/**
 * Cuts a TCP byte stream into frames. `push` each socket chunk; it returns the frames completed by it, each WITHOUT
 * the length prefix, ready for decodeCommand. Frames that lie whole inside one chunk are returned as views of that
 * chunk (no copy); a frame spread over several chunks is joined once, when its last byte arrives. Memory held is only
 * what has arrived: a claimed length is checked as soon as its 4 bytes are seen (< 4 ⇒ FRAME_MALFORMED,
 * > maxFrameLength ⇒ FRAME_TOO_LARGE) and never allocated up front. After an error the stream is unusable: close the
 * connection (as Java does).
 */
export class FrameSplitter {
  readonly #maxFrameLength: number;
  /** Chunks of the incomplete frame at the head of the stream. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Length prefix + frame length of the incomplete frame, once its prefix has arrived; -1 before. */
  #needed = -1;

  constructor(maxFrameLength: number = MAX_FRAME_LENGTH) {
    this.#maxFrameLength = maxFrameLength;
  }

  /** Bytes received but not yet returned as part of a frame. */
  get buffered(): number {
    return this.#pendingBytes;
  }

  /** Adds a chunk of the stream; returns the frames it completes (possibly none). */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length === 0) return [];
    if (this.#pendingBytes === 0) return this.#split(chunk);
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#needed < 0) {
      if (this.#pendingBytes < LENGTH_PREFIX_BYTES) return [];
      this.#needed = LENGTH_PREFIX_BYTES + this.#checkLength(this.#readPendingPrefix());
    }
    if (this.#pendingBytes < this.#needed) return [];
    const joined = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingBytes);
    return this.#split(joined);
  }

  /** Splits `data` (which starts at a frame boundary) and keeps its incomplete tail as the pending state. */
  #split(data: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let offset = 0;
    let needed = -1;
    while (data.length - offset >= LENGTH_PREFIX_BYTES) {
      const length = this.#checkLength(data.readUInt32BE(offset));
      if (data.length - offset - LENGTH_PREFIX_BYTES < length) {
        needed = LENGTH_PREFIX_BYTES + length;
        break;
      }
      frames.push(data.subarray(offset + LENGTH_PREFIX_BYTES, offset + LENGTH_PREFIX_BYTES + length));
      offset += LENGTH_PREFIX_BYTES + length;
    }
    if (offset < data.length) {
      this.#pending = [data.subarray(offset)];
      this.#pendingBytes = data.length - offset;
    } else {
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    this.#needed = needed;
    return frames;
  }

  /** The length prefix spread over the first pending chunks. */
  #readPendingPrefix(): number {
    let value = 0;
    let count = 0;
    for (const chunk of this.#pending) {
      for (let i = 0; i < chunk.length && count < LENGTH_PREFIX_BYTES; i++, count++) value = value * 256 + chunk[i]!;
      if (count === LENGTH_PREFIX_BYTES) break;
    }
    return value;
  }

  #checkLength(length: number): number {
    if (length < HEADER_META_BYTES) {
      this.#reset();
      throw new ProtocolError('FRAME_MALFORMED', `frame length ${length} is shorter than the header-meta word`);
    }
    if (length > this.#maxFrameLength) {
      this.#reset();
      throw tooLarge(length, this.#maxFrameLength);
    }
    return length;
  }

  #reset(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#needed = -1;
  }
}
