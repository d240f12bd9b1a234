/**
 * Writes market events as a raw Binance WebSocket recording in the hftbacktest collector layout:
 * one `<receive time ns> <json>` line per message, combined-stream envelopes for depth, trade,
 * bookTicker and markPrice, and the REST snapshot as a bare JSON line. Used to give `maker import`
 * and `maker data check` a recording on a machine with no data, and by tests.
 */
import type { MarketEvent } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';

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
      return env('trade', { e: 'trade', E: ms(e.tsExchangeUs), T: ms(e.tsExchangeUs), s: e.symbol, t: e.tradeId, p: inst.ticksToPrice(e.priceTicks), q: inst.lotsToQty(e.qtyLots), X: 'MARKET', m: e.buyerIsMaker });
    case 'aggTrade':
      return env('aggTrade', { e: 'aggTrade', E: ms(e.tsExchangeUs), a: e.aggTradeId, s: e.symbol, p: inst.ticksToPrice(e.priceTicks), q: inst.lotsToQty(e.qtyLots), f: e.firstTradeId, l: e.lastTradeId, T: ms(e.tsExchangeUs), m: e.buyerIsMaker });
    case 'bookTicker':
      return env('bookTicker', { e: 'bookTicker', u: e.updateId, s: e.symbol, b: inst.ticksToPrice(e.bidTicks), B: inst.lotsToQty(e.bidLots), a: inst.ticksToPrice(e.askTicks), A: inst.lotsToQty(e.askLots), T: ms(e.tsExchangeUs), E: ms(e.tsExchangeUs) });
    case 'markPrice':
      return env('markPrice@1s', { e: 'markPriceUpdate', E: ms(e.tsExchangeUs), s: e.symbol, p: e.markPrice, P: '', i: e.indexPrice, r: e.fundingRate, T: ms(e.nextFundingTimeUs) });
  }
}
