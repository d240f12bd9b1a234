/**
 * Reading an input file as text lines, streaming: plain, gzip (node:zlib) or zip (fflate's
 * streaming `Unzip`, one entry per archive). Lines come in chunks (one array per block read) so
 * that a caller does not pay an `await` per line; memory stays bounded by the block size plus the
 * longest line. A trailing line without a newline is delivered at the end; `\r` is left for the
 * caller to strip.
 *
 * The end of a file: a last line without a newline is delivered (a file need not end with one),
 * and `ReadState.lastLineUnterminated` says so, so that a parser failing on it can tell a line cut
 * by a crashed writer from a bad line. A gzip stream that ends early (a recorder killed while
 * writing, a copy cut short) is not an error here: the lines before the cut are delivered, the
 * incomplete line at the cut is not, and `ReadState.endedEarly` describes it. Damage inside a
 * gzip or zip stream (data that does not decode) is an `InputError` naming the file, unless the
 * caller asked to `keepGoodPrefix`: then it ends the file like a cut, described as such. The
 * caller adds the line it had reached.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';
import { InputError } from '../core/errors.ts';
import type { Compression } from './types.ts';

const BLOCK_BYTES = 1 << 20;

/** Bytes of a file read so far, reported as they are read from disk (compressed size). */
export type BytesListener = (deltaBytes: number) => void;

/** How the end of a file went, filled in as it is read (see the header). */
export interface ReadState {
  /** Damage in the middle of a compressed stream ends the file like a cut instead of failing. */
  keepGoodPrefix?: boolean;
  /** Set when the last delivered line had no newline (it is then delivered last, alone). */
  lastLineUnterminated: boolean;
  /** Set when the stream ended before its end: why, and the bytes of the incomplete line dropped. */
  endedEarly: { kind: 'truncated' | 'corrupt'; message: string; bytesDropped: number } | null;
}

export function newReadState(keepGoodPrefix = false): ReadState {
  return { keepGoodPrefix, lastLineUnterminated: false, endedEarly: null };
}

export async function* readLineChunks(file: string, compression: Compression, onBytes?: BytesListener, state: ReadState = newReadState()): AsyncGenerator<string[]> {
  const raw = createReadStream(file, { highWaterMark: BLOCK_BYTES });
  try {
    if (compression === 'zip') yield* splitLines(unzipBlocks(file, raw, onBytes, state), state);
    else yield* splitLines(plainOrGunzipBlocks(file, raw, compression === 'gzip', onBytes, state), state);
  } finally {
    raw.destroy();
  }
}

/**
 * The same lines as `readLineChunks`, as raw bytes: every yielded buffer holds whole lines, each
 * ending with `\n` except possibly the file's last. A buffer is valid until the next one is
 * requested (it may be a view into the decompressor's output). Decoding a line with
 * `buffer.toString('utf8', start, end)` gives the string `readLineChunks` delivers for it: `\n` is
 * never part of a multi-byte sequence, so decoding per line equals decoding the whole text.
 */
export async function* readLineBlocks(file: string, compression: Compression, onBytes?: BytesListener, state: ReadState = newReadState()): AsyncGenerator<Buffer> {
  const raw = createReadStream(file, { highWaterMark: BLOCK_BYTES });
  try {
    const blocks = compression === 'zip' ? unzipBlocks(file, raw, onBytes, state) : plainOrGunzipBlocks(file, raw, compression === 'gzip', onBytes, state);
    let tail: Buffer | null = null;
    for await (const block of blocks) {
      const buf = Buffer.isBuffer(block) ? block : Buffer.from(block.buffer, block.byteOffset, block.byteLength);
      const first = buf.indexOf(10);
      if (first < 0) {
        tail = tail === null ? Buffer.from(buf) : Buffer.concat([tail, buf]);
        continue;
      }
      let start = 0;
      if (tail !== null) {
        yield Buffer.concat([tail, buf.subarray(0, first + 1)]);
        tail = null;
        start = first + 1;
      }
      const last = buf.lastIndexOf(10);
      if (last + 1 > start) yield buf.subarray(start, last + 1);
      // Copied: the decompressor may reuse the memory behind `buf`.
      if (last + 1 < buf.length) tail = Buffer.from(buf.subarray(last + 1));
    }
    if (tail !== null && tail.length > 0) {
      if (state.endedEarly !== null) state.endedEarly.bytesDropped = tail.length; // cut mid-line: never delivered
      else {
        state.lastLineUnterminated = true;
        yield tail;
      }
    }
  } finally {
    raw.destroy();
  }
}

async function* splitLines(blocks: AsyncIterable<Uint8Array>, state: ReadState): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let tail = '';
  for await (const block of blocks) {
    const text = tail + decoder.write(block as Buffer);
    const lines = text.split('\n');
    tail = lines.pop() as string;
    if (lines.length > 0) yield lines;
  }
  tail += decoder.end();
  if (tail.length > 0) {
    if (state.endedEarly !== null) state.endedEarly.bytesDropped = Buffer.byteLength(tail); // cut mid-line: never delivered
    else {
      state.lastLineUnterminated = true;
      yield [tail];
    }
  }
}

async function* plainOrGunzipBlocks(file: string, raw: ReadStream, gunzip: boolean, onBytes: BytesListener | undefined, state: ReadState): AsyncGenerator<Uint8Array> {
  let reported = 0;
  const report = () => {
    if (onBytes && raw.bytesRead > reported) {
      onBytes(raw.bytesRead - reported);
      reported = raw.bytesRead;
    }
  };
  if (!gunzip) {
    try {
      for await (const block of raw) {
        report();
        yield block as Buffer;
      }
    } catch (e) {
      throw ioError(file, e);
    }
    report();
    return;
  }
  // Keeping the good prefix of damaged data: zlib discards the output it holds when it meets the
  // damage, so decode in small pieces then (at most 64 KiB before the damage are lost).
  const unzipped = createGunzip({ chunkSize: state.keepGoodPrefix ? 1 << 16 : BLOCK_BYTES });
  raw.on('error', (e) => unzipped.destroy(e));
  raw.pipe(unzipped);
  try {
    for await (const block of unzipped) {
      report();
      yield block as Buffer;
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'Z_BUF_ERROR') {
      // zlib's "unexpected end of file": the stream was cut; everything before the cut was delivered.
      state.endedEarly = { kind: 'truncated', message: `the gzip stream ends early (${err.message}): the file was cut short`, bytesDropped: 0 };
      report();
      return;
    }
    if (err.code?.startsWith('Z_')) {
      if (state.keepGoodPrefix) {
        state.endedEarly = { kind: 'corrupt', message: `the gzip data is damaged after this point (${err.message}); the rest of the file cannot be read`, bytesDropped: 0 };
        report();
        return;
      }
      throw new InputError(`gzip data is damaged (${err.message}); the lines before the damage can be kept with --skip-bad-lines`, { file, field: 'gzip data' }, 'E_INPUT', e);
    }
    throw ioError(file, e);
  } finally {
    unzipped.destroy();
  }
  report();
}

async function* unzipBlocks(file: string, raw: ReadStream, onBytes: BytesListener | undefined, state: ReadState): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  let entries = 0;
  let finished = false;
  let failure: unknown;
  const unzip = new Unzip((entry: UnzipFile) => {
    entries++;
    if (entries > 1) {
      failure = new InputError(`zip holds more than one file (second: "${entry.name}"); give one CSV per zip`, { file, field: 'zip entries' }, 'E_INPUT_FORMAT');
      return;
    }
    entry.ondata = (err, data, final) => {
      if (err) failure = new InputError(`zip entry "${entry.name}" is damaged (${err.message})`, { file, field: 'zip data' }, 'E_INPUT', err);
      else {
        if (data.length > 0) out.push(data);
        if (final) finished = true;
      }
    };
    try {
      entry.start();
    } catch (e) {
      failure = new InputError(`zip entry "${entry.name}" uses an unsupported compression (${(e as Error).message})`, { file, field: 'zip data' }, 'E_INPUT_FORMAT', e);
    }
  });
  unzip.register(UnzipInflate);
  try {
    for await (const block of raw) {
      onBytes?.((block as Buffer).length);
      try {
        unzip.push(block as Buffer, false);
      } catch (e) {
        throw new InputError(`zip data is damaged (${(e as Error).message})`, { file, field: 'zip data' }, 'E_INPUT', e);
      }
      if (failure) throw failure;
      while (out.length > 0) yield out.shift() as Uint8Array;
    }
    try {
      unzip.push(new Uint8Array(0), true);
    } catch (e) {
      throw new InputError(`zip data is damaged or truncated (${(e as Error).message})`, { file, field: 'zip data' }, 'E_INPUT', e);
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw ioError(file, e);
  }
  if (failure) throw failure;
  while (out.length > 0) yield out.shift() as Uint8Array;
  if (entries === 0) throw new InputError('zip archive holds no file', { file }, 'E_INPUT_EMPTY');
  if (!finished) {
    // The archive was cut inside its entry: what decoded before the cut was delivered.
    state.endedEarly = { kind: 'truncated', message: 'the zip entry ends early: the archive was cut short', bytesDropped: 0 };
  }
}

function ioError(file: string, e: unknown): InputError {
  return new InputError(`cannot read: ${(e as Error).message}`, { file }, 'E_INPUT', e);
}

/** The first `maxLines` lines of a file (for format sniffing and symbol/spec pre-scans). */
export async function readFirstLines(file: string, compression: Compression, maxLines: number): Promise<string[]> {
  const lines: string[] = [];
  // Damage further on is the import's to report; sniffing needs only the first lines.
  for await (const chunk of readLineChunks(file, compression, undefined, newReadState(true))) {
    for (const l of chunk) {
      lines.push(l);
      if (lines.length >= maxLines) return lines;
    }
  }
  return lines;
}
