/**
 * CRC-32 (IEEE 802.3, the one java.util.zip.CRC32 computes). Uses node:zlib's native `crc32` when the runtime has it
 * (Node ≥ 20.15 / 22.2), else a table-driven implementation. Pure compute.
 */
import * as zlib from 'node:zlib';

const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** Table-driven CRC-32 of `data` as an unsigned 32-bit number; the fallback when zlib has no crc32. */
export function crc32Portable(data: Uint8Array): number {
  let crc = -1;
  for (let i = 0; i < data.length; i++) crc = TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** True when node:zlib provides a native crc32. */
export const HAS_NATIVE_CRC32 = typeof nativeCrc32 === 'function';

/** CRC-32 of `data` as an unsigned 32-bit number. */
export const crc32: (data: Uint8Array) => number = HAS_NATIVE_CRC32
  ? (data) => nativeCrc32!(data) >>> 0
  : crc32Portable;
