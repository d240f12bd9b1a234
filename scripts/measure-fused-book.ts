/**
 * Measures what the book the simulated exchange matches against does to a scenario's run (issue 9):
 * post-only (GTX) orders accepted although they crossed the real-time best at their arrival, the
 * fills those orders got, and spread capture against the real-time mid and the depth-stream mid.
 *
 *   node --import tsx scripts/measure-fused-book.ts <scenario.yaml> <data.book> [key=value ...]
 *   e.g. node --import tsx scripts/measure-fused-book.ts scenarios/btcusdt-20240808-glft.yaml depth data.store=/tmp/store
 *
 * "Real-time best" is the last bookTicker at or before the exchange time (every change of the top
 * emits one); "depth mid" is the mid of the depth book alone (depth diffs and snapshots). Both are
 * kept here beside the exchange, which is wrapped, not changed: it gets every event it got before
 * (bookTickers are shown to this script even when the exchange's book source ignores them).
 * Spread capture of a fill: (mid − price) × qty for a buy, (price − mid) × qty for a sell, in the
 * quote asset, at the fill's exchange time; floats (a measurement, not the ledger).
 */
import { loadScenarioFile } from '../src/scenario/index.ts';
import { realParts, runScenario } from '../src/backtest/index.ts';
import { MarketBook } from '../src/marketdata/index.ts';
import type { MarketEvent } from '../src/model/events.ts';

const [file, book, ...sets] = process.argv.slice(2);
if (file === undefined || book === undefined) {
  process.stderr.write('usage: measure-fused-book.ts <scenario.yaml> <auto|depth|top-of-book> [key=value ...]\n');
  process.exit(2);
}
const scenario = loadScenarioFile(file, { set: [`data.book=${book}`, ...sets] });

const m = {
  gtxSubmitted: 0, gtxAccepted: 0, gtxRejected5022: 0, gtxAcceptedCrossingReal: 0,
  fills: 0, fillsOfCrossingGtx: 0, filledLots: 0,
  spreadCaptureRealMid: 0, spreadCaptureDepthMid: 0,
};
let realBid = NaN;
let realAsk = NaN;
const crossingAtArrival = new Map<string, boolean>();
const crossingOrders = new Set<string>();

await runScenario(scenario, (ctx) => {
  const parts = realParts(ctx);
  const sim = parts.sim;
  const inst = ctx.data.instruments[0];
  const tick = Number(inst.spec.tickSize);
  const step = Number(inst.spec.stepSize);
  const depth = new MarketBook(inst.symbol, 'depth');
  const accepts = sim.accepts.bind(sim);
  const onMarketEvent = sim.onMarketEvent.bind(sim);
  const onFlat = sim.onFlatDepthDiff.bind(sim);
  const send = sim.send.bind(sim);
  const drain = sim.drainEvents.bind(sim);
  sim.accepts = (type, symbol) => type === 'bookTicker' || type === 'depth' || type === 'snapshot' || accepts(type, symbol);
  sim.onMarketEvent = (e: MarketEvent) => {
    if (e.type === 'bookTicker') {
      realBid = e.bidTicks;
      realAsk = e.askTicks;
    } else if (e.type === 'depth') depth.applyDiff(e);
    else if (e.type === 'snapshot') depth.applySnapshot(e);
    if (accepts(e.type, e.symbol)) onMarketEvent(e);
  };
  sim.onFlatDepthDiff = (symbol, d) => {
    depth.applyFlatDiff(d);
    onFlat(symbol, d);
  };
  sim.send = (cmd, tsUs) => {
    if (cmd.kind === 'submit' && cmd.order.timeInForce === 'GTX') {
      m.gtxSubmitted++;
      const o = cmd.order;
      crossingAtArrival.set(o.clientOrderId, o.side === 'buy' ? o.priceTicks >= realAsk : o.priceTicks <= realBid);
    }
    send(cmd, tsUs);
  };
  sim.drainEvents = () => {
    const events = drain();
    for (const e of events) {
      if (e.kind !== 'report') continue;
      const r = e.report;
      const crossed = crossingAtArrival.get(r.clientOrderId);
      if (crossed !== undefined && (r.execType === 'NEW' || r.execType === 'REJECTED')) {
        crossingAtArrival.delete(r.clientOrderId);
        if (r.execType === 'NEW') {
          m.gtxAccepted++;
          if (crossed) {
            m.gtxAcceptedCrossingReal++;
            crossingOrders.add(r.clientOrderId);
          }
        } else if (r.errorCode === -5022) m.gtxRejected5022++;
      }
      if (r.execType === 'TRADE') {
        m.fills++;
        m.filledLots += r.lastFillLots;
        if (crossingOrders.has(r.clientOrderId)) m.fillsOfCrossingGtx++;
        const sign = r.side === 'buy' ? 1 : -1;
        const qty = r.lastFillLots * step;
        const realMid = ((realBid + realAsk) / 2) * tick;
        const d = depth.book;
        const depthMid = ((d.bestBidTicks() + d.bestAskTicks()) / 2) * tick;
        const price = r.lastFillPriceTicks * tick;
        m.spreadCaptureRealMid += sign * (realMid - price) * qty;
        m.spreadCaptureDepthMid += sign * (depthMid - price) * qty;
      }
    }
    return events;
  };
  return parts;
});
const round = (x: number) => Math.round(x * 1e4) / 1e4;
process.stdout.write(`${JSON.stringify({ scenario: file, book, ...m, spreadCaptureRealMid: round(m.spreadCaptureRealMid), spreadCaptureDepthMid: round(m.spreadCaptureDepthMid)})}\n`);
