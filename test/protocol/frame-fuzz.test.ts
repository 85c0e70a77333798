import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/common/errors.js';
import { MAX_FRAME_LENGTH, type RemotingCommand, SerializeType } from '../../src/protocol/command.js';
import { parseJson } from '../../src/protocol/fastjson.js';
import { decodeCommand, encodeCommand, FrameSplitter } from '../../src/protocol/frame.js';

const RUNS = { numRuns: 300 };

/** Runs `fn`; passes if it returns or throws a ProtocolError (optionally with one of `codes`), fails otherwise. */
function returnsOrProtocolError(fn: () => unknown, codes?: readonly string[]): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    if (codes && !codes.includes(err.code)) throw err;
    return false;
  }
}

function throwsProtocolError(fn: () => unknown, code: string): void {
  expect(returnsOrProtocolError(fn, [code])).toBe(false);
}

/** Strings that survive UTF-8 (no lone surrogates). */
const text = fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => Buffer.from(s).toString() === s);
const commandArb: fc.Arbitrary<RemotingCommand> = fc.record({
  code: fc.integer({ min: -32768, max: 32767 }),
  language: fc.integer({ min: 0, max: 13 }),
  version: fc.integer({ min: 0, max: 479 }),
  opaque: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  flag: fc.integer({ min: 0, max: 3 }),
  remark: fc.option(
    text.filter((s) => s.length > 0),
    { nil: undefined },
  ),
  extFields: fc.option(
    fc.dictionary(
      text.filter((s) => s.length > 0 && s !== '__proto__'),
      text.filter((s) => s.length > 0),
      { maxKeys: 5 },
    ),
    {
      nil: undefined,
    },
  ),
  body: fc.option(
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((a) => Buffer.from(a)),
    { nil: undefined },
  ),
  serializeType: fc.constantFrom(SerializeType.JSON, SerializeType.ROCKETMQ),
});

describe('decodeCommand fuzz', () => {
  it('random bytes: decodes or throws a ProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        returnsOrProtocolError(() => decodeCommand(Buffer.from(bytes)));
      }),
      RUNS,
    );
  });

  it('random bytes behind a valid meta word of either type', () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 1), fc.uint8Array({ maxLength: 120 }), (type, bytes) => {
        const frame = Buffer.alloc(4 + bytes.length);
        frame.writeUInt32BE(((type << 24) | bytes.length) >>> 0, 0);
        frame.set(bytes, 4);
        returnsOrProtocolError(() => decodeCommand(frame));
      }),
      RUNS,
    );
  });

  it('round-trips arbitrary commands', () => {
    fc.assert(
      fc.property(commandArb, (cmd) => {
        const expected =
          cmd.serializeType === SerializeType.ROCKETMQ ? { ...cmd, extFields: nonEmpty(cmd.extFields) } : cmd;
        expect(decodeCommand(encodeCommand(cmd).subarray(4))).toEqual(expected);
      }),
      RUNS,
    );
  });

  it('truncated frames decode or throw a ProtocolError; cuts inside the header always throw', () => {
    fc.assert(
      fc.property(commandArb, fc.nat(), (cmd, cutSeed) => {
        const frame = encodeCommand(cmd).subarray(4);
        const cut = cutSeed % frame.length;
        const headerEnd = 4 + frame.readUIntBE(1, 3);
        const ok = returnsOrProtocolError(() => decodeCommand(frame.subarray(0, cut)));
        if (cut < headerEnd) expect(ok).toBe(false);
      }),
      RUNS,
    );
  });

  it('a header length past the frame end is FRAME_MALFORMED', () => {
    fc.assert(
      fc.property(commandArb, fc.integer({ min: 1, max: 0xffffff }), (cmd, extra) => {
        const frame = Buffer.from(encodeCommand(cmd).subarray(4));
        const headerLength = Math.min(0xffffff, frame.length - 4 + extra);
        frame.writeUIntBE(headerLength, 1, 3);
        throwsProtocolError(() => decodeCommand(frame), 'FRAME_MALFORMED');
      }),
      RUNS,
    );
  });

  it('binary ext lengths that overrun are HEADER_MALFORMED', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          text.filter((s) => s.length > 0),
          text.filter((s) => s.length > 0),
          { minKeys: 1, maxKeys: 4 },
        ),
        fc.constantFrom('area', 'key', 'value'),
        fc.integer({ min: 1, max: 0x7fff }),
        (extFields, which, extra) => {
          const cmd: RemotingCommand = {
            code: 310,
            language: 0,
            version: 479,
            opaque: 1,
            flag: 0,
            extFields,
            serializeType: SerializeType.ROCKETMQ,
          };
          const frame = Buffer.from(encodeCommand(cmd).subarray(4)); // no body: the header ends the frame
          const extLengthAt = 4 + 17; // meta + fixed fields + empty remark length
          const extLength = frame.readInt32BE(extLengthAt);
          if (which === 'area') frame.writeInt32BE(extLength + extra, extLengthAt);
          const keyLengthAt = extLengthAt + 4;
          const keyLength = frame.readInt16BE(keyLengthAt);
          if (which === 'key') frame.writeInt16BE(Math.min(0x7fff, extLength + extra), keyLengthAt);
          const valueLengthAt = keyLengthAt + 2 + keyLength;
          if (which === 'value') frame.writeInt32BE(extLength + extra, valueLengthAt);
          throwsProtocolError(() => decodeCommand(frame), 'HEADER_MALFORMED');
        },
      ),
      RUNS,
    );
  });

  it('invalid UTF-8 in a JSON header is HEADER_MALFORMED', () => {
    const invalid = fc.constantFrom([0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80]);
    fc.assert(
      fc.property(fc.string({ maxLength: 10 }), invalid, (prefix, bad) => {
        const header = Buffer.concat([
          Buffer.from(`{"code":1,"remark":"${prefix.replace(/["\\]/g, '')}`),
          Buffer.from(bad),
          Buffer.from('"}'),
        ]);
        const frame = Buffer.concat([Buffer.from([0, 0, 0, 0]), header]);
        frame.writeUIntBE(header.length, 1, 3);
        throwsProtocolError(() => decodeCommand(frame), 'HEADER_MALFORMED');
      }),
      RUNS,
    );
  });
});

/** A binary header has no way to say "empty extFields": it decodes as undefined. */
function nonEmpty(ext: Record<string, string> | undefined): Record<string, string> | undefined {
  return ext && Object.keys(ext).length > 0 ? ext : undefined;
}

describe('FrameSplitter fuzz', () => {
  it('random bytes in random chunks: frames or a ProtocolError, buffering only what arrived', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 20 }), (chunks) => {
        const splitter = new FrameSplitter(1024);
        let fed = 0;
        returnsOrProtocolError(() => {
          for (const chunk of chunks) {
            fed += chunk.length;
            for (const frame of splitter.push(Buffer.from(chunk))) returnsOrProtocolError(() => decodeCommand(frame));
            expect(splitter.buffered).toBeLessThanOrEqual(fed);
          }
        });
      }),
      RUNS,
    );
  });

  it('valid streams cut anywhere yield the same frames, also one byte at a time', () => {
    fc.assert(
      fc.property(
        fc.array(commandArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 97 })),
        (cmds, steps) => {
          const encoded = cmds.map((cmd) => encodeCommand(cmd));
          const stream = Buffer.concat(encoded);
          const expected = encoded.map((f) => f.subarray(4).toString('hex'));
          const splitter = new FrameSplitter();
          const out: string[] = [];
          let pos = 0;
          for (let i = 0; pos < stream.length; i++) {
            const step = steps.length > 0 ? steps[i % steps.length]! : 1;
            for (const frame of splitter.push(stream.subarray(pos, pos + step))) out.push(frame.toString('hex'));
            pos += step;
          }
          expect(out).toEqual(expected);
          expect(splitter.buffered).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a claimed length over 16 MiB is FRAME_TOO_LARGE as soon as the prefix is in, wherever it is split', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MAX_FRAME_LENGTH + 1, max: 0xffffffff }),
        fc.integer({ min: 1, max: 4 }),
        (length, cut) => {
          const prefix = Buffer.alloc(4);
          prefix.writeUInt32BE(length, 0);
          const splitter = new FrameSplitter();
          expect(returnsOrProtocolError(() => splitter.push(prefix.subarray(0, cut)))).toBe(cut < 4);
          if (cut < 4) throwsProtocolError(() => splitter.push(prefix.subarray(cut)), 'FRAME_TOO_LARGE');
          expect(splitter.buffered).toBe(0);
        },
      ),
      RUNS,
    );
  });
});

describe('parseJson fuzz', () => {
  it('random strings and bytes: a value or BODY_MALFORMED', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        returnsOrProtocolError(() => parseJson(s), ['BODY_MALFORMED']);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        returnsOrProtocolError(() => parseJson(Buffer.from(bytes)), ['BODY_MALFORMED']);
      }),
      RUNS,
    );
  });

  it('random strings over the JSON-like alphabet: a value or BODY_MALFORMED', () => {
    const jsonish = fc.string({
      unit: fc.constantFrom(...'{}[]:,"\'\\ 0123456789-.eEtrufalsnxL/*'.split('')),
      maxLength: 60,
    });
    fc.assert(
      fc.property(jsonish, (s) => {
        returnsOrProtocolError(() => parseJson(s), ['BODY_MALFORMED']);
      }),
      { numRuns: 1000 },
    );
  });

  it('reads standard JSON as JSON.parse does, also past the fast-path length', () => {
    fc.assert(
      fc.property(fc.json(), fc.boolean(), (json, pad) => {
        const input = pad ? `${json}${' '.repeat(1100)}` : json;
        expect(parseJson(input)).toEqual(JSON.parse(json));
      }),
      RUNS,
    );
  });

  it('unterminated JSON (any strict prefix of an object or array) is BODY_MALFORMED', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), fc.boolean(), (value, cutSeed, wrapInArray) => {
        const json = JSON.stringify(wrapInArray ? [value] : { v: value });
        const cut = cutSeed % json.length;
        throwsProtocolError(() => parseJson(json.slice(0, cut)), 'BODY_MALFORMED');
      }),
      RUNS,
    );
  });
});
