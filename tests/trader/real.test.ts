// The whole pipeline (GLFT) on the real BTCUSDT 2024-08-08 sample, through the importer, with a
// gateway that acks every command: quotes are produced, never cross the book they were made from,
// and every command is valid for Binance.
import { describe, expect, it } from 'vitest';
import { SimClock } from '../../src/core/clock.ts';
import { isValidClientOrderId } from '../../src/core/ids.ts';
import { importSources } from '../../src/importers/index.ts';
import type { ExecutionReport, VenueCommand } from '../../src/model/venue.ts';
import { TradingCore } from '../../src/trader/index.ts';
import { HBT_BTC, haveReal, realSpecs } from '../support/shared-data.ts';

describe('TradingCore on real BTCUSDT data', () => {
  it.skipIf(!haveReal)('quotes GLFT, post-only against the book it saw, with valid commands', async () => {
    const specs = realSpecs();
    const inst = specs.get('BTCUSDT');
    const session = importSources([HBT_BTC], { specs });
    let clock: SimClock | null = null;
    let core: TradingCore | null = null;
    const orders = new Map<string, { id: number; side: 'buy' | 'sell'; price: number; qty: number }>();
    let nextId = 1;
    let submits = 0;
    let crossing = 0;
    const problems: string[] = [];
    const check = (c: VenueCommand, bid: number, ask: number): void => {
      if (c.kind === 'submit') {
        submits++;
        const o = c.order;
        if (!isValidClientOrderId(o.clientOrderId)) problems.push(`bad id ${o.clientOrderId}`);
        if (o.type !== 'LIMIT' || o.timeInForce !== 'GTX' || o.reduceOnly) problems.push(`unexpected order ${JSON.stringify(o)}`);
        if (!Number.isSafeInteger(o.priceTicks) || o.priceTicks < inst.minPriceTicks || o.priceTicks > inst.maxPriceTicks) problems.push(`price ${o.priceTicks}`);
        if (!Number.isSafeInteger(o.qtyLots) || o.qtyLots < inst.minQtyLots || o.qtyLots > inst.maxQtyLots) problems.push(`qty ${o.qtyLots}`);
        if (!inst.meetsMinNotional(o.priceTicks, o.qtyLots)) problems.push(`notional ${o.priceTicks}×${o.qtyLots}`);
        if (o.side === 'buy' ? o.priceTicks >= ask : o.priceTicks <= bid) crossing++;
      } else if (c.kind === 'modify') {
        if (c.side === 'buy' ? c.priceTicks >= ask : c.priceTicks <= bid) crossing++;
        if (!orders.has(c.clientOrderId)) problems.push(`modify of unknown ${c.clientOrderId}`);
      } else if (!orders.has(c.clientOrderId)) problems.push(`cancel of unknown ${c.clientOrderId}`);
    };
    const ack = (c: VenueCommand, ts: number): ExecutionReport => {
      const base = { symbol: 'BTCUSDT', cumFilledLots: 0, lastFillLots: 0, lastFillPriceTicks: 0, tradeId: -1, liquidity: null, commission: '0', errorCode: 0, errorMessage: '', reduceOnly: false, tsExchangeUs: ts } as const;
      if (c.kind === 'submit') {
        const o = { id: nextId++, side: c.order.side, price: c.order.priceTicks, qty: c.order.qtyLots };
        orders.set(c.order.clientOrderId, o);
        return { ...base, clientOrderId: c.order.clientOrderId, orderId: o.id, execType: 'NEW', status: 'NEW', side: o.side, priceTicks: o.price, origQtyLots: o.qty };
      }
      if (c.kind === 'query') throw new Error('nothing here makes an outcome unknown: no query expected');
      const o = orders.get(c.clientOrderId)!;
      if (c.kind === 'cancel') {
        orders.delete(c.clientOrderId);
        return { ...base, clientOrderId: c.clientOrderId, orderId: o.id, execType: 'CANCELED', status: 'CANCELED', side: o.side, priceTicks: o.price, origQtyLots: o.qty };
      }
      o.price = c.priceTicks;
      o.qty = c.qtyLots;
      return { ...base, clientOrderId: c.clientOrderId, orderId: o.id, execType: 'AMENDMENT', status: 'NEW', side: o.side, priceTicks: o.price, origQtyLots: o.qty };
    };
    for await (const batch of session.events) {
      for (const e of batch) {
        if (clock === null) {
          clock = new SimClock(e.tsReceiveUs);
          core = new TradingCore({
            clock,
            instruments: [inst],
            config: { strategy: { kind: 'glft', gammaPerTick: 0.05, sizeLots: 2, maxPositionLots: 20, levels: 2, requoteToleranceTicks: 1 }, risk: { maxPositionLots: 20 } },
            initialBalance: [{ asset: 'USDT', amount: '100000' }],
          });
        }
        const c = core as TradingCore;
        for (let t = c.nextTimerUs(); t <= e.tsReceiveUs; t = c.nextTimerUs()) {
          clock.advanceTo(t);
          c.onTimer(t);
          for (const cmd of c.drainCommands()) {
            check(cmd, c.book('BTCUSDT').bestBidTicks(), c.book('BTCUSDT').bestAskTicks());
            c.onVenueEvent({ kind: 'report', report: ack(cmd, t) });
          }
        }
        clock.advanceTo(e.tsReceiveUs);
        c.onMarketEvent(e);
        for (let cmds = c.drainCommands(); cmds.length > 0; cmds = c.drainCommands()) {
          for (const cmd of cmds) {
            check(cmd, c.book('BTCUSDT').bestBidTicks(), c.book('BTCUSDT').bestAskTicks());
            c.onVenueEvent({ kind: 'report', report: ack(cmd, e.tsReceiveUs) });
          }
        }
      }
    }
    const c = core as TradingCore;
    expect(problems).toEqual([]);
    expect(crossing).toBe(0);
    // GLFT needs σ (10 s) and the intensity fit (60 s) before it quotes; the sample is 345 s long.
    expect(submits).toBeGreaterThan(2);
    expect(c.counters.decisions).toBeGreaterThan(1000);
    // What rests at the end is what the OMS thinks rests.
    expect([...c.oms.openOrders('BTCUSDT').keys()].sort()).toEqual([...orders.keys()].sort());
    expect(orders.size).toBeGreaterThan(0);
  }, 60_000);
});
