/**
 * Writes market events as a raw Binance WebSocket recording in the hftbacktest collector layout:
 * one `<receive time ns> <json>` line per message, combined-stream envelopes for depth, trade,
 * bookTicker and markPrice, and the REST snapshot as a bare JSON line. Used to give `maker import`
 * and `maker data check` a recording on a machine with no data (`maker data synth`), and by tests.
 *
 * `writeRecordingFile` never replaces or removes anything it did not create: the output must not
 * exist; the bytes go to a hidden `.<name>.partial-<pid>` next to it (created exclusively), which
 * is linked into place only when complete (so a file that appeared meanwhile is not replaced
 * either). Any failure (a full disk, a read-only file system, ...) removes the partial file and the
 * directories it created, and is an E_IO error naming the output file and the real cause; so does
 * an abort (`signal`: SIGINT / SIGTERM), an E_INTERRUPTED error.
 */
import { createWriteStream, linkSync, lstatSync, mkdirSync, renameSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { once } from 'node:events';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { IoError, ioError, MakerError } from '../core/errors.ts';
import type { MarketEvent } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import type { SyntheticConfig } from './config.ts';
import { generateSynthetic } from './generator.ts';

const ms = (us: number) => Math.floor(us / 1000);

function levels(inst: Instrument, ticks: number[], lots: number[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < ticks.length; i++) out.push([inst.ticksToPrice(ticks[i]), inst.lotsToQty(lots[i])]);
  return out;
}

/** One recording line for an event (no trailing newline). */
export function recordingLine(e: MarketEvent, inst: Instrument): string {
  const sym = e.symbol.toLowerCase();
  const recvNs = `${e.tsReceiveUs}000`;
  const env = (stream: string, data: object) => `${recvNs} ${JSON.stringify({ stream: `${sym}@${stream}`, data })}`;
  switch (e.type) {
    case 'snapshot':
      return `${recvNs} ${JSON.stringify({ lastUpdateId: e.lastUpdateId, E: ms(e.tsExchangeUs), T: ms(e.tsTransactUs), bids: levels(inst, e.bidTicks, e.bidLots), asks: levels(inst, e.askTicks, e.askLots) })}`;
    case 'depth':
      return env('depth@0ms', {
        e: 'depthUpdate', E: ms(e.tsExchangeUs), T: ms(e.tsTransactUs), s: e.symbol, U: e.firstUpdateId, u: e.finalUpdateId, pu: e.prevFinalUpdateId,
        b: levels(inst, e.bidTicks, e.bidLots), a: levels(inst, e.askTicks, e.askLots),
      });
    case 'trade':
      return env('trade', { e: 'trade', E: ms(e.tsExchangeUs), T: ms(e.tsTransactUs), s: e.symbol, t: e.tradeId, p: inst.ticksToPrice(e.priceTicks), q: inst.lotsToQty(e.qtyLots), X: 'MARKET', m: e.buyerIsMaker });
    case 'aggTrade':
      return env('aggTrade', { e: 'aggTrade', E: ms(e.tsExchangeUs), a: e.aggTradeId, s: e.symbol, p: inst.ticksToPrice(e.priceTicks), q: inst.lotsToQty(e.qtyLots), f: e.firstTradeId, l: e.lastTradeId, T: ms(e.tsTransactUs), m: e.buyerIsMaker });
    case 'bookTicker':
      return env('bookTicker', { e: 'bookTicker', u: e.updateId, s: e.symbol, b: inst.ticksToPrice(e.bidTicks), B: inst.lotsToQty(e.bidLots), a: inst.ticksToPrice(e.askTicks), A: inst.lotsToQty(e.askLots), T: ms(e.tsTransactUs), E: ms(e.tsExchangeUs) });
    case 'markPrice':
      return env('markPrice@1s', { e: 'markPriceUpdate', E: ms(e.tsExchangeUs), s: e.symbol, p: e.markPrice, P: '', i: e.indexPrice, r: e.fundingRate, T: ms(e.nextFundingTimeUs) });
    case 'forceOrder': // the generator makes none; written as Binance sends it for completeness
      return env('forceOrder', {
        e: 'forceOrder', E: ms(e.tsExchangeUs),
        o: { s: e.symbol, S: e.side === 'buy' ? 'BUY' : 'SELL', o: e.orderType, f: e.timeInForce, q: inst.lotsToQty(e.origQtyLots), p: inst.ticksToPrice(e.priceTicks), ap: e.avgPrice, X: e.status, l: inst.lotsToQty(e.lastFilledQtyLots), z: inst.lotsToQty(e.filledQtyLots), T: ms(e.tsTransactUs) },
      });
  }
}

/**
 * The synthetic market of `cfg` as recording text, one chunk per generator batch. As in real
 * recordings, the REST snapshot lands after the stream has started: it is written after the first
 * three stream messages, so the file also names its symbol before the snapshot.
 */
export function* syntheticRecordingChunks(cfg: SyntheticConfig, inst: Instrument): Generator<string> {
  let snapshot: MarketEvent | undefined;
  let streamed = 0;
  for (const batch of generateSynthetic(cfg, inst)) {
    const out: string[] = [];
    for (const e of batch) {
      if (e.type === 'snapshot' && streamed === 0) snapshot = e;
      else {
        out.push(recordingLine(e, inst));
        if (++streamed === 3 && snapshot !== undefined) out.push(recordingLine({ ...snapshot, tsReceiveUs: e.tsReceiveUs }, inst));
      }
    }
    yield `${out.join('\n')}\n`;
  }
}

export interface WriteRecordingOptions {
  /** Gzip the file (default: when its name ends in .gz). */
  gzip?: boolean;
  /** Test hook: runs before each chunk goes to the file; a throw there acts as a failed write (e.g. ENOSPC). */
  beforeChunk?: (index: number, partialPath: string) => void;
  /**
   * Stops the write (`maker data synth` on SIGINT / SIGTERM, the signal's name as the reason): the
   * partial file and the directories created go, and the error is E_INTERRUPTED, exit 130 / 143.
   */
  signal?: AbortSignal;
}

const NOTHING_LEFT = 'nothing was written, and nothing of it is left behind';

/** Writes `chunks` to the new file `path` (see the header: never replaces, no residue on failure). */
export async function writeRecordingFile(path: string, chunks: Iterable<string>, opts: WriteRecordingOptions = {}): Promise<void> {
  const where = { file: path };
  if (exists(path)) throw new IoError(`already exists; maker never replaces a file: remove it yourself or choose another name (${NOTHING_LEFT})`, where);
  const dir = dirname(path);
  const partial = join(dir, `.${basename(path)}.partial-${process.pid}`);
  const gzip = opts.gzip ?? path.endsWith('.gz');
  let createdTop: string | undefined;
  let opened = false;
  let published = false;
  let doing = `create the directory ${dir}`;
  try {
    createdTop = mkdirSync(dir, { recursive: true });
    doing = `write ${basename(path)}`;
    const out = createWriteStream(partial, { flags: 'wx', flush: true }); // wx: never one that was there
    await once(out, 'open');
    opened = true;
    const hook = opts.beforeChunk;
    const source = Readable.from(
      hook === undefined
        ? chunks
        : (function* () {
            let i = 0;
            for (const c of chunks) {
              hook(i++, partial);
              yield c;
            }
          })(),
    );
    const signal = opts.signal ?? new AbortController().signal;
    if (gzip) await pipeline(source, createGzip(), out, { signal });
    else await pipeline(source, out, { signal });
    doing = `move the finished file into place as ${basename(path)}`;
    publishNew(partial, path);
    published = true;
  } catch (e) {
    if (opts.signal?.aborted === true) {
      const reason = String(opts.signal.reason);
      throw new MakerError('E_INTERRUPTED', `stopped by ${reason} before it was complete; ${NOTHING_LEFT}`, { location: where, exitCode: reason === 'SIGTERM' ? 143 : 130 });
    }
    throw ioError(e, doing, where, NOTHING_LEFT);
  } finally {
    if (!published) {
      if (opened) rmSync(partial, { force: true });
      removeCreatedDirs(dir, createdTop);
    }
  }
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw e;
  }
}

/** Gives `partial` the name `path` unless something is there by now (a hard link fails on EEXIST). */
function publishNew(partial: string, path: string): void {
  try {
    linkSync(partial, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new IoError(`appeared while it was being written; maker never replaces a file (${NOTHING_LEFT})`, { file: path });
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    // A file system without hard links: check, then rename.
    if (exists(path)) throw new IoError(`appeared while it was being written; maker never replaces a file (${NOTHING_LEFT})`, { file: path });
    renameSync(partial, path);
    return;
  }
  try {
    unlinkSync(partial);
  } catch {
    // the file is in place; a leftover second name of it is all that remains
  }
}

/** Removes `dir` and its ancestors up to `top` (what `mkdirSync(dir, { recursive })` created), while empty. */
function removeCreatedDirs(dir: string, top: string | undefined): void {
  if (top === undefined) return;
  for (let p = resolve(dir); ; p = dirname(p)) {
    try {
      rmdirSync(p); // only ever removes an empty directory
    } catch {
      return;
    }
    if (p === resolve(top) || dirname(p) === p) return;
  }
}
