/**
 * Java `String.hashCode()` as RocketMQ uses it: tag hash codes in the ConsumeQueue and heartbeat `codeSet`
 * (reference §4.2, §5.7) and IndexFile key hashes (§5.8).
 */

/**
 * Java `String.hashCode()`: `s[0]*31^(n-1) + … + s[n-1]` over UTF-16 code units, wrapping as a signed int32.
 * A character outside the BMP counts as its two surrogate code units, exactly as in Java.
 */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) {
    h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  }
  return h;
}

/** The ConsumeQueue tagsCode of a message: the Java hash code of its TAGS property, 0 when it has none. */
export function tagsHashCode(tags: string | undefined): number {
  return tags === undefined || tags.length === 0 ? 0 : javaStringHashCode(tags);
}
