// The hand decoder of bit-width-1 RLE/bit-packed hybrid levels (src/store/page-decode.ts) against
// hyparquet's general decoder, on arbitrary mixes of RLE and bit-packed runs.
import fc from 'fast-check';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import { describe, expect, it } from 'vitest';
import { decodeBitWidth1Levels } from '../../src/store/page-decode.ts';

type Run = { rle: true; value: 0 | 1; count: number } | { rle: false; bits: number[] };

function varint(v: number, out: number[]): void {
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

/** Encodes runs as the hybrid format at bit width 1; returns the bytes and the levels they hold. */
function encode(runs: Run[]): { bytes: Uint8Array; levels: number[] } {
  const out: number[] = [];
  const levels: number[] = [];
  for (const r of runs) {
    if (r.rle) {
      varint(r.count << 1, out);
      out.push(r.value);
      for (let i = 0; i < r.count; i++) levels.push(r.value);
    } else {
      const groups = Math.ceil(r.bits.length / 8);
      varint((groups << 1) | 1, out);
      for (let g = 0; g < groups; g++) {
        let byte = 0;
        for (let j = 0; j < 8; j++) byte |= (r.bits[g * 8 + j] ?? 0) << j;
        out.push(byte);
      }
      // Padding bits of the last group are levels too, unless the caller stops before them.
      for (let i = 0; i < groups * 8; i++) levels.push(r.bits[i] ?? 0);
    }
  }
  return { bytes: Uint8Array.from(out), levels };
}

const run: fc.Arbitrary<Run> = fc.oneof(
  fc.record({ rle: fc.constant(true as const), value: fc.constantFrom(0 as const, 1 as const), count: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ rle: fc.constant(false as const), bits: fc.array(fc.constantFrom(0, 1), { minLength: 1, maxLength: 80 }) }),
);

describe('decodeBitWidth1Levels', () => {
  it('equals hyparquet readRleBitPackedHybrid for any runs and any level count up to the encoded one', () => {
    fc.assert(
      fc.property(fc.array(run, { minLength: 1, maxLength: 20 }), fc.double({ min: 0, max: 1, noNaN: true }), (runs, cut) => {
        const { bytes, levels } = encode(runs);
        const n = Math.max(1, Math.floor(levels.length * cut));
        const mine = new Uint8Array(n);
        // Decoding from an offset inside a larger buffer, as the reader does with a page.
        const padded = new Uint8Array(bytes.length + 5);
        padded.set(bytes, 3);
        expect(decodeBitWidth1Levels(padded, 3, 3 + bytes.length, n, mine)).toBe(true);
        const theirs = new Array<number>(n);
        readRleBitPackedHybrid({ view: new DataView(bytes.buffer), offset: 0 }, 1, theirs, bytes.length);
        // hyparquet's RLE writes a whole run even past the end of its (growable) output array.
        expect(Array.from(mine)).toEqual(theirs.slice(0, n));
        expect(Array.from(mine)).toEqual(levels.slice(0, n));
      }),
      { numRuns: 300, examples: [[[{ rle: true, value: 0, count: 2 }], 0]] },
    );
  });

  it('refuses truncated input and RLE values other than 0/1 instead of reading past the end', () => {
    const { bytes, levels } = encode([{ rle: false, bits: [1, 0, 1, 1, 0, 0, 1, 0, 1] }, { rle: true, value: 1, count: 5 }]);
    expect(decodeBitWidth1Levels(bytes, 0, bytes.length - 1, levels.length, new Uint8Array(levels.length))).toBe(false);
    expect(decodeBitWidth1Levels(bytes, 0, bytes.length, levels.length + 1, new Uint8Array(levels.length + 1))).toBe(false);
    expect(decodeBitWidth1Levels(Uint8Array.from([4, 2]), 0, 2, 2, new Uint8Array(2))).toBe(false);
    expect(decodeBitWidth1Levels(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), 0, 6, 1, new Uint8Array(1))).toBe(false);
  });
});
