import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/common/errors.js';
import {
  FLAG_ONEWAY,
  FLAG_RESPONSE,
  MAX_FRAME_LENGTH,
  type RemotingCommand,
  SerializeType,
} from '../../src/protocol/command.js';
import { decodeCommand, encodeCommand, encodeCommandHead, FrameSplitter } from '../../src/protocol/frame.js';

/** Joins hand-written hex strings and raw text into bytes. */
function bytes(...parts: (string | Buffer)[]): Buffer {
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'hex') : part)));
}

const text = (s: string): Buffer => Buffer.from(s, 'utf8');

function command(init: Partial<RemotingCommand>): RemotingCommand {
  return {
    code: 0,
    language: 0,
    version: 479,
    opaque: 42,
    flag: 0,
    remark: undefined,
    extFields: undefined,
    body: undefined,
    serializeType: SerializeType.JSON,
    ...init,
  };
}

function expectProtocolError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe(code);
    return;
  }
  expect.fail(`expected ProtocolError ${code}`);
}

// JSON header texts, written by hand from reference §1.3 (alphabetical properties, nulls omitted).
const SEND_JSON =
  '{"code":310,"extFields":{"a":"pg","b":"TopicTest","c":"TBW102"},"flag":0,"language":"JAVA","opaque":42,' +
  '"serializeTypeCurrentRPC":"JSON","version":479}'; // 150 bytes
const ERROR_RESPONSE_JSON =
  '{"code":1,"flag":1,"language":"JAVA","opaque":42,"remark":"boom","serializeTypeCurrentRPC":"JSON","version":479}'; // 112 bytes
const ONEWAY_JSON = '{"code":34,"flag":2,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON","version":479}'; // 96 bytes

const sendJsonFrame = bytes(
  '0000009a', // length = 4 (meta) + 150 (header) = 154, no body
  '00', // serialize type 0 = JSON
  '000096', // header length 150
  text(SEND_JSON),
);

const errorResponseJsonFrame = bytes(
  '00000076', // length = 4 + 112 + 2 (body) = 118
  '00000070', // JSON, header length 112
  text(ERROR_RESPONSE_JSON),
  '6f6b', // body "ok"
);

const onewayJsonFrame = bytes(
  '00000064', // length = 4 + 96 = 100
  '00000060', // JSON, header length 96
  text(ONEWAY_JSON),
);

const sendBinaryFrame = bytes(
  '00000031', // length = 4 (meta) + 40 (header) + 5 (body) = 49
  '01', // serialize type 1 = ROCKETMQ
  '000028', // header length 40 = 21 fixed + 2 remark + 17 ext area
  '0136', // code 310 (int16)
  '00', // language JAVA
  '01df', // version 479 (int16)
  '0000002a', // opaque 42
  '00000000', // flag 0 (request)
  '00000002', // remark length 2
  '6869', // remark "hi"
  '00000011', // ext area length 17
  '0001', // key length 1
  '61', // "a"
  '00000002', // value length 2
  '7067', // "pg"
  '0001', // key length 1
  '62', // "b"
  '00000001', // value length 1
  '54', // "T"
  '68656c6c6f', // body "hello"
);

const responseBinaryFrame = bytes(
  '00000019', // length = 4 + 21 = 25
  '01000015', // ROCKETMQ, header length 21
  '0000', // code 0 SUCCESS
  '00', // language JAVA
  '01df', // version 479
  '0000002a', // opaque 42
  '00000001', // flag 1 = response
  '00000000', // remark length 0 (null)
  '00000000', // ext area length 0
);

describe('encodeCommand / decodeCommand golden bytes', () => {
  it('JSON request with extFields (SEND_MESSAGE_V2)', () => {
    const cmd = command({ code: 310, extFields: { a: 'pg', b: 'TopicTest', c: 'TBW102' } });
    expect(encodeCommand(cmd).toString('hex')).toBe(sendJsonFrame.toString('hex'));
    expect(decodeCommand(sendJsonFrame.subarray(4))).toEqual(cmd);
  });

  it('JSON response with a remark and a body', () => {
    const cmd = command({ code: 1, flag: FLAG_RESPONSE, remark: 'boom', body: text('ok') });
    expect(encodeCommand(cmd).toString('hex')).toBe(errorResponseJsonFrame.toString('hex'));
    const decoded = decodeCommand(errorResponseJsonFrame.subarray(4));
    expect(decoded).toEqual(cmd);
    expect(decoded.body?.toString()).toBe('ok');
  });

  it('JSON one-way request', () => {
    const cmd = command({ code: 34, opaque: 7, flag: FLAG_ONEWAY });
    expect(encodeCommand(cmd).toString('hex')).toBe(onewayJsonFrame.toString('hex'));
    expect(decodeCommand(onewayJsonFrame.subarray(4)).flag & FLAG_ONEWAY).toBe(FLAG_ONEWAY);
  });

  it('binary request with remark, ext fields and body', () => {
    const cmd = command({
      code: 310,
      remark: 'hi',
      extFields: { a: 'pg', b: 'T' },
      body: text('hello'),
      serializeType: SerializeType.ROCKETMQ,
    });
    expect(encodeCommand(cmd).toString('hex')).toBe(sendBinaryFrame.toString('hex'));
    expect(decodeCommand(sendBinaryFrame.subarray(4))).toEqual(cmd);
  });

  it('binary response without remark, ext fields or body', () => {
    const cmd = command({ flag: FLAG_RESPONSE, serializeType: SerializeType.ROCKETMQ });
    expect(encodeCommand(cmd).toString('hex')).toBe(responseBinaryFrame.toString('hex'));
    const decoded = decodeCommand(responseBinaryFrame.subarray(4));
    expect(decoded).toEqual(cmd);
    expect(decoded.body).toBeUndefined();
    expect(decoded.remark).toBeUndefined();
  });

  it('an empty body is written as nothing and decodes as undefined', () => {
    const withEmpty = encodeCommand(command({ code: 34, opaque: 7, flag: FLAG_ONEWAY, body: Buffer.alloc(0) }));
    expect(withEmpty.toString('hex')).toBe(onewayJsonFrame.toString('hex'));
    expect(decodeCommand(withEmpty.subarray(4)).body).toBeUndefined();
  });

  it('encodeCommandHead + body are the bytes of encodeCommand', () => {
    const cmd = command({
      code: 310,
      remark: 'hi',
      extFields: { a: 'pg', b: 'T' },
      body: text('hello'),
      serializeType: SerializeType.ROCKETMQ,
    });
    const head = encodeCommandHead(cmd);
    expect(head.length).toBe(sendBinaryFrame.length - 5);
    expect(Buffer.concat([head, cmd.body!]).toString('hex')).toBe(sendBinaryFrame.toString('hex'));
    const json = command({ code: 1, flag: FLAG_RESPONSE, remark: 'boom', body: text('ok') });
    expect(Buffer.concat([encodeCommandHead(json), json.body!]).toString('hex')).toBe(
      errorResponseJsonFrame.toString('hex'),
    );
    expectProtocolError(() => encodeCommandHead(command({ body: Buffer.alloc(MAX_FRAME_LENGTH) })), 'FRAME_TOO_LARGE');
  });

  it('the decoded body is a view of the frame', () => {
    const frame = Buffer.from(sendBinaryFrame.subarray(4));
    const decoded = decodeCommand(frame);
    frame[frame.length - 1] = 0x21;
    expect(decoded.body?.toString()).toBe('hell!');
  });
});

describe('encodeCommand limits', () => {
  it('throws FRAME_TOO_LARGE when the frame would exceed MAX_FRAME_LENGTH', () => {
    const body = Buffer.alloc(MAX_FRAME_LENGTH);
    expectProtocolError(() => encodeCommand(command({ code: 310, body })), 'FRAME_TOO_LARGE');
    expectProtocolError(
      () => encodeCommand(command({ code: 310, body, serializeType: SerializeType.ROCKETMQ })),
      'FRAME_TOO_LARGE',
    );
  });

  it('accepts a frame of exactly MAX_FRAME_LENGTH', () => {
    const headerLength = 21; // binary header, no remark, no ext
    const body = Buffer.alloc(MAX_FRAME_LENGTH - 4 - headerLength);
    const frame = encodeCommand(command({ body, serializeType: SerializeType.ROCKETMQ }));
    expect(frame.readUInt32BE(0)).toBe(MAX_FRAME_LENGTH);
    expect(frame.length).toBe(MAX_FRAME_LENGTH + 4);
  });

  it('refuses a binary code outside int16 instead of truncating it', () => {
    expectProtocolError(
      () => encodeCommand(command({ code: 200050, serializeType: SerializeType.ROCKETMQ })),
      'INVALID_HEADER_FIELD',
    );
  });
});

describe('decodeCommand rejects malformed frames', () => {
  it('a frame shorter than header-meta', () => {
    expectProtocolError(() => decodeCommand(bytes('000000')), 'FRAME_MALFORMED');
  });

  it('a header length past the end of the frame', () => {
    expectProtocolError(() => decodeCommand(bytes('01000016', '00'.repeat(21))), 'FRAME_MALFORMED');
  });

  it('an unknown serialize type', () => {
    expectProtocolError(() => decodeCommand(bytes('02000000')), 'HEADER_MALFORMED');
  });

  it('a JSON header that is not an object', () => {
    expectProtocolError(() => decodeCommand(bytes('00000002', text('[]'))), 'HEADER_MALFORMED');
  });
});

describe('FrameSplitter', () => {
  const frames = [sendJsonFrame, errorResponseJsonFrame, sendBinaryFrame, responseBinaryFrame];
  const stream = Buffer.concat(frames);
  const withoutPrefix = frames.map((frame) => frame.subarray(4).toString('hex'));

  it('returns every whole frame of one chunk, without prefix', () => {
    const splitter = new FrameSplitter();
    expect(splitter.push(stream).map((f) => f.toString('hex'))).toEqual(withoutPrefix);
    expect(splitter.buffered).toBe(0);
  });

  it('reassembles frames fed one byte at a time', () => {
    const splitter = new FrameSplitter();
    const out: string[] = [];
    for (let i = 0; i < stream.length; i++) {
      for (const frame of splitter.push(stream.subarray(i, i + 1))) out.push(frame.toString('hex'));
    }
    expect(out).toEqual(withoutPrefix);
    expect(splitter.buffered).toBe(0);
  });

  it('reassembles frames across arbitrary chunk boundaries and reports buffered bytes', () => {
    for (const cut of [1, 3, 4, 5, 100, 154, 158, 159, 200, stream.length - 1]) {
      const splitter = new FrameSplitter();
      const first = splitter.push(stream.subarray(0, cut));
      expect(splitter.buffered).toBe(cut - first.reduce((sum, f) => sum + f.length + 4, 0));
      const rest = splitter.push(stream.subarray(cut));
      expect([...first, ...rest].map((f) => f.toString('hex'))).toEqual(withoutPrefix);
      expect(splitter.buffered).toBe(0);
    }
  });

  it('decodes what it returns', () => {
    const decoded = new FrameSplitter().push(stream).map(decodeCommand);
    expect(decoded.map((c) => c.code)).toEqual([310, 1, 310, 0]);
  });

  it('rejects a length below 4 as soon as the prefix is complete', () => {
    const splitter = new FrameSplitter();
    expect(splitter.push(bytes('0000'))).toEqual([]);
    expectProtocolError(() => splitter.push(bytes('0003')), 'FRAME_MALFORMED');
  });

  it('rejects a claimed length over the limit without waiting for (or allocating) it', () => {
    expectProtocolError(() => new FrameSplitter().push(bytes('01000001')), 'FRAME_TOO_LARGE');
    expectProtocolError(() => new FrameSplitter(100).push(bytes('00000065')), 'FRAME_TOO_LARGE');
    expectProtocolError(() => new FrameSplitter().push(bytes('ffffffff')), 'FRAME_TOO_LARGE');
    const splitter = new FrameSplitter(100);
    expect(splitter.push(bytes('00000064', '00'))).toEqual([]);
    expect(splitter.buffered).toBe(5);
  });

  it('rejects an oversize frame that follows a good one in the same chunk', () => {
    expectProtocolError(() => new FrameSplitter().push(bytes(responseBinaryFrame, '7fffffff')), 'FRAME_TOO_LARGE');
  });
});

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomCommand(random: () => number, serializeType: SerializeType): RemotingCommand {
  const int = (max: number) => Math.floor(random() * max);
  const alphabet = 'abcXYZ09_%@:;, "\\\n\té€😀';
  const str = (maxLength: number, minLength = 1) => {
    const chars = Array.from(alphabet);
    let s = '';
    const length = minLength + int(maxLength - minLength + 1);
    for (let i = 0; i < length; i++) s += chars[int(chars.length)];
    return s;
  };
  const extCount = int(6);
  let extFields: Record<string, string> | undefined;
  if (extCount > 0) {
    extFields = {};
    for (let i = 0; i < extCount; i++) extFields[str(8)] = str(40);
  }
  return {
    code: int(32768),
    language: int(14),
    version: int(480),
    opaque: int(0x7fffffff),
    flag: int(4),
    remark: random() < 0.4 ? str(60) : undefined,
    extFields,
    body: random() < 0.6 ? Buffer.from(Array.from({ length: 1 + int(300) }, () => int(256))) : undefined,
    serializeType,
  };
}

describe('seeded round trips', () => {
  for (const serializeType of [SerializeType.JSON, SerializeType.ROCKETMQ]) {
    it(`serialize type ${serializeType}: decode(encode(cmd)) equals cmd, via the splitter too`, () => {
      const random = prng(0x5eed + serializeType);
      const commands = Array.from({ length: 300 }, () => randomCommand(random, serializeType));
      const encoded = commands.map((cmd) => encodeCommand(cmd));
      for (let i = 0; i < commands.length; i++) {
        expect(encoded[i]!.readUInt32BE(0)).toBe(encoded[i]!.length - 4);
        expect(decodeCommand(encoded[i]!.subarray(4))).toEqual(commands[i]);
      }
      const stream = Buffer.concat(encoded);
      const splitter = new FrameSplitter();
      const out: RemotingCommand[] = [];
      for (let pos = 0; pos < stream.length;) {
        const step = 1 + Math.floor(random() * 700);
        for (const frame of splitter.push(stream.subarray(pos, pos + step))) out.push(decodeCommand(frame));
        pos += step;
      }
      expect(out).toEqual(commands);
    });
  }
});
