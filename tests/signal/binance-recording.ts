// A small loader for hftbacktest's raw Binance recordings (gzip text, `<local_ts> <json>` per line,
// combined-stream envelopes), enough for the signal tests: bookTicker and trade events only.
// The local timestamp is ns in newer files and µs in older ones; it is told apart by its length.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { InputError } from '../../src/core/errors.ts';
import type { BookTicker, Trade } from '../../src/model/events.ts';
import type { Instrument } from '../../src/model/instrument.ts';

export type RecordedEvent = BookTicker | Trade;

function localUs(stamp: string): number {
  // 19 digits = ns (beyond 2^53 as a number, so cut the string), 16 digits = µs.
  return stamp.length >= 19 ? Number(stamp.slice(0, stamp.length - 3)) : Number(stamp);
}

export function loadRecording(file: string, instrument: Instrument): RecordedEvent[] {
  const lines = gunzipSync(readFileSync(file)).toString('utf8').split('\n');
  const out: RecordedEvent[] = [];
  lines.forEach((line, i) => {
    if (line.length === 0) return;
    const space = line.indexOf(' ');
    if (space < 0) throw new InputError('expected "<timestamp> <json>"', { file, line: i + 1 });
    const tsReceiveUs = localUs(line.slice(0, space));
    const msg = JSON.parse(line.slice(space + 1)) as { stream?: string; data?: Record<string, unknown> };
    if (msg.stream === undefined || msg.data === undefined) return; // the REST snapshot
    const d = msg.data;
    if (msg.stream.endsWith('@bookTicker')) {
      out.push({
        type: 'bookTicker',
        symbol: String(d.s),
        tsExchangeUs: Number(d.E) * 1000,
        tsReceiveUs,
        updateId: Number(d.u),
        bidTicks: instrument.priceToTicks(String(d.b)),
        bidLots: instrument.qtyToLots(String(d.B)),
        askTicks: instrument.priceToTicks(String(d.a)),
        askLots: instrument.qtyToLots(String(d.A)),
      });
    } else if (msg.stream.endsWith('@trade')) {
      if (d.X !== undefined && d.X !== 'MARKET') return; // insurance-fund / ADL prints are not market flow
      out.push({
        type: 'trade',
        symbol: String(d.s),
        tsExchangeUs: Number(d.E) * 1000,
        tsReceiveUs,
        tradeId: Number(d.t),
        priceTicks: instrument.priceToTicks(String(d.p)),
        qtyLots: instrument.qtyToLots(String(d.q)),
        buyerIsMaker: d.m === true,
      });
    }
  });
  return out;
}
