import { describe, expect, it } from 'vitest';
import { joinRecords } from '../../src/broker/pull.js';

describe('joinRecords (the body of a pull response)', () => {
  // Buffer.alloc is never a slice of Node's shared pool, so `.buffer` identifies this span alone.
  const span = Buffer.alloc(15);
  span.write('aaaabbbbbbcccdd');
  const views = [span.subarray(0, 4), span.subarray(4, 10), span.subarray(10, 13)];

  it('records lying end to end in one buffer become one view over them, not a copy', () => {
    const body = joinRecords(views, 13);
    expect(body.toString()).toBe('aaaabbbbbbccc');
    expect(body.buffer).toBe(span.buffer);
    expect(body.byteOffset).toBe(span.byteOffset);
    span[0] = 0x41;
    expect(body.toString()).toBe('Aaaabbbbbbccc');
    span[0] = 0x61;
  });

  it('copies when a record is not where the previous one ended, or comes from another buffer', () => {
    const gap = joinRecords([span.subarray(0, 4), span.subarray(5, 10)], 9);
    expect(gap.toString()).toBe('aaaabbbbb');
    expect(gap.buffer).not.toBe(span.buffer);
    const other = Buffer.from('zz');
    const mixed = joinRecords([span.subarray(0, 4), other], 6);
    expect(mixed.toString()).toBe('aaaazz');
    expect(mixed.buffer).not.toBe(span.buffer);
    const reordered = joinRecords([span.subarray(4, 10), span.subarray(0, 4)], 10);
    expect(reordered.toString()).toBe('bbbbbbaaaa');
  });

  it('one record is returned as it is; none gives an empty body', () => {
    expect(joinRecords([views[1]!], 6)).toBe(views[1]);
    expect(joinRecords([], 0).length).toBe(0);
  });
});
