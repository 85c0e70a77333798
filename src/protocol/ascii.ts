import { isAscii } from 'node:buffer';

/**
 * Whether bytes[start, end) are all ASCII. Decoders use it to take the cheap path for the usual text: ASCII needs no
 * UTF-8 validation and decodes as latin1. Short ranges are scanned by a loop, as a view for the native check costs
 * more than the loop; longer ones by one native call.
 */
export function isAsciiRange(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start <= 64) {
    let i = start;
    while (i < end && bytes[i]! < 0x80) i++;
    return i === end;
  }
  return isAscii(new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start));
}
