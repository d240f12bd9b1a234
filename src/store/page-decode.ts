/**
 * Hand decoding of the store's hot Parquet pages: data pages v2 of PLAIN INT64 columns, flat or as
 * the element of a `LIST<INT64>` (one repetition and one definition level, both of bit width 1).
 * Levels are decoded from the RLE/bit-packed hybrid straight into list offsets (no array per
 * level), and INT64 values go to numbers through their two 32-bit halves (no BigInt per value;
 * exact below 2^53, as every store value is). hyparquet's `readDataPageV2` does the same work with
 * a JS array per level list and a BigInt64Array per page; this path is ≈ 2× faster on depth pages.
 *
 * Every function returns false/undefined on a page it does not understand; the caller then uses
 * hyparquet's general reader, which reports real corruption.
 */
import type { PageHeader } from 'hyparquet';

const TWO32 = 4294967296;

/** Scratch buffers for decoded levels, grown to the largest page seen (one byte per level). */
let repLevels = new Uint8Array(1 << 16);
let defLevels = new Uint8Array(1 << 16);

function scratch(n: number): void {
  if (repLevels.length < n) {
    const size = Math.max(n, repLevels.length * 2);
    repLevels = new Uint8Array(size);
    defLevels = new Uint8Array(size);
  }
}

/**
 * The RLE/bit-packed hybrid encoding of `n` levels of bit width 1 in bytes[start, end) (data page
 * v2: no length prefix) into out[0, n). False if the bytes end early or a run value is not 0/1.
 */
export function decodeBitWidth1Levels(bytes: Uint8Array, start: number, end: number, n: number, out: Uint8Array): boolean {
  let p = start;
  let seen = 0;
  while (seen < n) {
    let header = 0;
    let shift = 0;
    let b: number;
    do {
      if (p >= end || shift > 28) return false;
      b = bytes[p++];
      header |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    if (header & 1) {
      // Bit-packed: (header >> 1) groups of 8 values, one byte per group at width 1, LSB first.
      const groups = header >>> 1;
      if (p + groups > end) return false;
      for (let g = 0; g < groups; g++) {
        const byte = bytes[p++];
        if (seen + 8 <= n) {
          out[seen] = byte & 1;
          out[seen + 1] = (byte >> 1) & 1;
          out[seen + 2] = (byte >> 2) & 1;
          out[seen + 3] = (byte >> 3) & 1;
          out[seen + 4] = (byte >> 4) & 1;
          out[seen + 5] = (byte >> 5) & 1;
          out[seen + 6] = (byte >> 6) & 1;
          out[seen + 7] = (byte >> 7) & 1;
          seen += 8;
        } else {
          for (let j = 0; j < 8 && seen < n; j++) out[seen++] = (byte >> j) & 1;
        }
      }
    } else {
      // RLE: (header >> 1) copies of one value stored in one byte.
      const count = header >>> 1;
      if (p >= end || bytes[p] > 1) return false;
      const v = bytes[p++];
      const to = Math.min(n, seen + count);
      out.fill(v, seen, to);
      seen = to;
    }
  }
  return true;
}

/** PLAIN INT64 values (little-endian) → numbers in out[at…]. */
function int64PlainToNumbers(values: Uint8Array, out: Float64Array, at: number): void {
  const aligned = values.byteOffset % 4 === 0 ? values : values.slice();
  const w = new Int32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >> 2);
  const n = aligned.byteLength >> 3;
  for (let i = 0, k = 0; i < n; i++, k += 2) out[at + i] = w[k + 1] * TWO32 + (w[k] >>> 0);
}

/** What a v2 page holds once its values are decompressed. */
export interface V2Page {
  header: PageHeader;
  /** The page bytes as stored (levels first, uncompressed in v2). */
  raw: Uint8Array;
  /** The values section, decompressed. */
  values: Uint8Array;
}

/**
 * A flat REQUIRED INT64 page into out[at…]; returns the number of values, or -1 if the page is
 * not PLAIN without levels.
 */
export function decodeInt64Page(page: V2Page, out: Float64Array, at: number): number {
  const v2 = page.header.data_page_header_v2!;
  const n = v2.num_values;
  if (v2.repetition_levels_byte_length !== 0 || v2.definition_levels_byte_length !== 0 || page.values.byteLength !== n * 8 || at + n > out.length) return -1;
  int64PlainToNumbers(page.values, out, at);
  return n;
}

/** Position of a list column's decoding across the pages of a row group. */
export interface ListCursor {
  values: Float64Array;
  offsets: Uint32Array;
  /** Rows started so far. */
  rows: number;
  /** Values written so far. */
  vals: number;
}

/**
 * A `LIST<INT64>` element page (rep level 0 starts a row, def level 0 is an empty list) appended to
 * the cursor: offsets[r] = index of row r's first value. False if the page is not of that shape.
 */
export function decodeInt64ListPage(page: V2Page, c: ListCursor): boolean {
  const v2 = page.header.data_page_header_v2!;
  const n = v2.num_values;
  const repLen = v2.repetition_levels_byte_length;
  const defLen = v2.definition_levels_byte_length;
  if (n === 0) return true;
  if (repLen === 0 || defLen === 0 || page.values.byteLength % 8 !== 0) return false;
  scratch(n);
  const rep = repLevels;
  const def = defLevels;
  if (!decodeBitWidth1Levels(page.raw, 0, repLen, n, rep) || !decodeBitWidth1Levels(page.raw, repLen, repLen + defLen, n, def)) return false;
  const count = page.values.byteLength >> 3;
  if (c.vals + count > c.values.length) return false;
  const offsets = c.offsets;
  let rows = c.rows;
  let vals = c.vals;
  for (let k = 0; k < n; k++) {
    if (rep[k] === 0) {
      // offsets has one slot per row plus the end; a page with too many rows is caught by the caller's row count.
      if (rows < offsets.length) offsets[rows] = vals;
      rows++;
    }
    vals += def[k];
  }
  if (vals - c.vals !== count) return false;
  int64PlainToNumbers(page.values, c.values, c.vals);
  c.rows = rows;
  c.vals = vals;
  return true;
}
