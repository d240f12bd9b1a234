/**
 * Raw Binance WebSocket recordings, one message per line:
 *
 * - hftbacktest collector: `<receive time> <json>`; the receive time is an integer in ns or µs (told
 *   by magnitude, converted to µs by integer division). A line without a `stream` envelope is the
 *   REST depth snapshot; its symbol is not in the payload, so it is the symbol of the file: the
 *   `symbol` option, else the only stream symbol seen so far, else the file name
 *   (`btcusdt_20240808.gz`), else the symbol of the previous file of the session.
 * - cryptofeed: `configuration: {…}` and `wss://… <-> <unix s>` header lines (skipped),
 *   `https://…/fapi/v1/depth?symbol=X&limit=N -> <unix s>: {REST json}` (snapshot of X) and
 *   `<unix s float>: {combined json}`. Receive seconds convert to µs from the decimal digits.
 *
 * Receive times must not step back within a file (see `receiveTimeToleranceUs`).
 *
 * Speed: `parseLineBytes` runs the common stream lines through the byte scanner in adapter/binance/market-fast.ts,
 * which yields the same events as JSON.parse + `parseBinanceMessage` and hands anything unusual
 * (and every error) to `parseLine`; the importer's `fastPaths: false` turns it off.
 */
import type { MarketEvent } from '../model/events.ts';
import { parseBinanceMessage, parseDepthSnapshot, parseStreamBytesFast, scanDecimalSecondsHead, scanReceiveDigits, scannedTo } from '../adapter/binance/index.ts';
import { decimalSecondsToUs, epochToUs, epochUnitOf, epochUnitOfLength, fieldError, type EpochUnit } from '../wire/index.ts';
import { symbolFromFileName } from './detect.ts';
import type { FileImportStats, LineParser } from './types.ts';
import type { ParseContext } from '../wire/index.ts';

function parseJson(text: string, ctx: ParseContext): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw fieldError(ctx, 'json', `not valid JSON (${(e as Error).message}): ${text.length > 60 ? `${text.slice(0, 60)}…` : text}`, 'E_INPUT_INCOMPLETE');
  }
}

function unitName(u: EpochUnit | null): FileImportStats['receiveTimeUnit'] {
  return u;
}

export class BinanceWsRecordingParser implements LineParser {
  readonly skipFirstLine = false;
  private readonly streamSymbols = new Set<string>();
  private readonly nameSymbol: string | undefined;
  private unit: EpochUnit | null = null;
  private lines = 0;
  private snapshotSymbolGuessed: string | null = null;
  private lastStreamSymbol = '';

  constructor(
    file: string,
    private readonly optionSymbol: string | undefined,
    private readonly previousFileSymbol: string | undefined,
  ) {
    this.nameSymbol = symbolFromFileName(file);
  }

  /** The symbol this file is about, once known (for the next file of the session). */
  fileSymbol(): string | undefined {
    if (this.optionSymbol) return this.optionSymbol;
    if (this.streamSymbols.size === 1) return [...this.streamSymbols][0];
    return this.snapshotSymbolGuessed ?? this.nameSymbol;
  }

  parseLine(line: string, ctx: ParseContext, out: MarketEvent[]): void {
    this.lines++;
    const sp = line.indexOf(' ');
    if (sp <= 0) throw fieldError(ctx, 'receive time', 'expected "<receive time> <json>"', 'E_INPUT_INCOMPLETE');
    const tsText = line.slice(0, sp);
    const tsReceiveUs = epochToUs(tsText, ctx, 'receive time');
    if (this.unit === null) this.unit = epochUnitOf(tsText);
    ctx.receiveTime(tsReceiveUs, 'receive time');
    const msg = parseJson(line.slice(sp + 1), ctx);
    const before = out.length;
    parseBinanceMessage(msg, tsReceiveUs, ctx, () => this.snapshotSymbol(ctx), out);
    if (out.length > before) this.sawStreamEvent(out[out.length - 1]);
  }

  /**
   * The fast path over the line's bytes (see `LineParser.parseLineBytes`). `ctx.receiveTime` may
   * run before the scanner declines the line: the check is idempotent, and `parseLine` makes it
   * again first.
   */
  parseLineBytes(bytes: Uint8Array, start: number, end: number, ctx: ParseContext, out: MarketEvent[]): boolean {
    const tsReceiveUs = scanReceiveDigits(bytes, start);
    if (tsReceiveUs < 0) return false;
    const json = scannedTo();
    ctx.receiveTime(tsReceiveUs, 'receive time');
    if (!parseStreamBytesFast(bytes, json, end, tsReceiveUs, ctx, out)) return false;
    this.lines++;
    if (this.unit === null) this.unit = epochUnitOfLength(json - 1 - start);
    this.sawStreamEvent(out[out.length - 1]);
    return true;
  }

  private sawStreamEvent(ev: MarketEvent): void {
    if (ev.type !== 'snapshot' && ev.symbol !== this.lastStreamSymbol) {
      this.streamSymbols.add(ev.symbol);
      this.lastStreamSymbol = ev.symbol;
    }
  }

  private snapshotSymbol(ctx: ParseContext): string {
    if (this.optionSymbol) return this.optionSymbol;
    const seen = [...this.streamSymbols];
    let sym: string | undefined;
    if (seen.length === 1) {
      sym = seen[0];
      if (this.nameSymbol && this.nameSymbol !== sym) {
        throw fieldError(ctx, 'lastUpdateId', `cannot attribute the depth snapshot: the file name says ${this.nameSymbol} but its streams are ${sym}; pass the symbol explicitly`);
      }
    } else if (seen.length === 0) sym = this.nameSymbol ?? this.previousFileSymbol;
    else if (this.nameSymbol && this.streamSymbols.has(this.nameSymbol)) sym = this.nameSymbol;
    if (!sym) {
      const why = seen.length > 1 ? `the file carries several symbols (${seen.sort().join(', ')})` : 'no stream message precedes it and the file name names no symbol';
      throw fieldError(ctx, 'lastUpdateId', `cannot attribute the depth snapshot to a symbol: ${why}; pass the symbol explicitly`);
    }
    this.snapshotSymbolGuessed ??= sym;
    return sym;
  }

  finish(ctx: ParseContext): void {
    if (this.snapshotSymbolGuessed && this.streamSymbols.size > 1) {
      ctx.warn('W_SNAPSHOT_SYMBOL', `depth snapshot attributed to ${this.snapshotSymbolGuessed}, but the file also carries ${[...this.streamSymbols].sort().join(', ')}`, this.snapshotSymbolGuessed);
    }
  }

  receiveTimeUnit(): FileImportStats['receiveTimeUnit'] {
    return unitName(this.unit);
  }

  dataLines(): number {
    return this.lines;
  }
}

const SNAPSHOT_URL = /\/fapi\/v1\/depth\?(?:.*&)?symbol=([A-Za-z0-9_]+)/;

export class CryptofeedParser implements LineParser {
  readonly skipFirstLine = false;
  private lines = 0;

  parseLine(line: string, ctx: ParseContext, out: MarketEvent[]): void {
    const c0 = line.charCodeAt(0);
    if (c0 >= 48 && c0 <= 57) {
      // `<unix s>: {json}`
      this.lines++;
      const colon = line.indexOf(': ');
      if (colon <= 0) throw fieldError(ctx, 'receive time', 'expected "<unix seconds>: <json>"');
      const tsReceiveUs = decimalSecondsToUs(line.slice(0, colon), ctx, 'receive time');
      ctx.receiveTime(tsReceiveUs, 'receive time');
      const msg = parseJson(line.slice(colon + 2), ctx);
      parseBinanceMessage(msg, tsReceiveUs, ctx, () => {
        throw fieldError(ctx, 'lastUpdateId', 'a depth snapshot without its request URL: cannot tell its symbol');
      }, out);
      return;
    }
    if (line.startsWith('configuration:') || line.startsWith('wss://')) return;
    if (line.startsWith('https://')) {
      this.lines++;
      const arrow = line.indexOf(' -> ');
      if (arrow < 0) throw fieldError(ctx, 'url', 'expected "<url> -> <unix seconds>: <json>"');
      const url = line.slice(0, arrow);
      const rest = line.slice(arrow + 4);
      const colon = rest.indexOf(': ');
      if (colon <= 0) throw fieldError(ctx, 'receive time', 'expected "<url> -> <unix seconds>: <json>"');
      const tsReceiveUs = decimalSecondsToUs(rest.slice(0, colon), ctx, 'receive time');
      ctx.receiveTime(tsReceiveUs, 'receive time');
      const m = SNAPSHOT_URL.exec(url);
      if (!m) {
        // Another REST reply (e.g. exchangeInfo): not market data we map.
        ctx.skipStream(`rest:${url.replace(/\?.*$/, '')}`);
        return;
      }
      const msg = parseJson(rest.slice(colon + 2), ctx);
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw fieldError(ctx, 'json', 'expected a JSON object');
      out.push(parseDepthSnapshot(msg as Record<string, unknown>, m[1].toUpperCase(), tsReceiveUs, ctx, ''));
      return;
    }
    throw fieldError(ctx, 'line', `unrecognised cryptofeed line: ${line.length > 60 ? `${line.slice(0, 60)}…` : line}`);
  }

  /** The fast path for `<unix s>: {stream json}` lines; as in BinanceWsRecordingParser.parseLineBytes. */
  parseLineBytes(bytes: Uint8Array, start: number, end: number, ctx: ParseContext, out: MarketEvent[]): boolean {
    const tsReceiveUs = scanDecimalSecondsHead(bytes, start);
    if (tsReceiveUs < 0) return false;
    ctx.receiveTime(tsReceiveUs, 'receive time');
    if (!parseStreamBytesFast(bytes, scannedTo(), end, tsReceiveUs, ctx, out)) return false;
    this.lines++;
    return true;
  }

  finish(): void {}

  receiveTimeUnit(): FileImportStats['receiveTimeUnit'] {
    return this.lines > 0 ? 's' : null;
  }

  dataLines(): number {
    return this.lines;
  }
}
