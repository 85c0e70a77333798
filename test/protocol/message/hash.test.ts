import { describe, expect, it } from 'vitest';
import { javaStringHashCode, tagsHashCode } from '../../../src/protocol/message/hash.js';

describe('javaStringHashCode', () => {
  it('matches hand-computed s[0]*31^(n-1) + ... + s[n-1] values', () => {
    // 'TagA' = 84*31^3 + 97*31^2 + 103*31 + 65 = 2502444 + 93217 + 3193 + 65
    expect(javaStringHashCode('TagA')).toBe(2598919);
    expect(javaStringHashCode('TagB')).toBe(2598920);
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('a')).toBe(97);
  });

  it('wraps as a signed int32', () => {
    // well-known Java values: this one is exactly Integer.MIN_VALUE
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    expect(javaStringHashCode('hello world')).toBe(1794106052);
  });

  it('hashes UTF-16 code units, including both halves of a surrogate pair', () => {
    // 'a中' = 97*31 + 0x4E2D = 3007 + 20013
    expect(javaStringHashCode('a中')).toBe(23020);
    // U+1F600 = D83D DE00 → 0xD83D*31 + 0xDE00 = 1716067 + 56832
    expect(javaStringHashCode('😀')).toBe(1772899);
  });
});

describe('tagsHashCode', () => {
  it('is 0 without tags and the Java hash otherwise', () => {
    expect(tagsHashCode(undefined)).toBe(0);
    expect(tagsHashCode('')).toBe(0);
    expect(tagsHashCode('TagA')).toBe(2598919);
  });
});
