// Small builders for OMS unit tests: one symbol, a simulated clock, every bus event recorded.
import { SimClock } from '../../src/core/index.ts';
import type { Intent, Quote } from '../../src/model/trading.ts';
import type { ExecutionReport } from '../../src/model/venue.ts';
import { OrderManager, type OmsConfig, type OmsEvents } from '../../src/oms/index.ts';
import { SYMBOL, makeReport } from './fake-exchange.ts';

export { SYMBOL, makeReport };

export function makeOms(config: Partial<OmsConfig> = {}, initialPositions?: Record<string, number>) {
  const clock = new SimClock(1_000_000);
  const oms = new OrderManager({ clock, config: { requestGraceUs: 2_000_000, queryIntervalUs: 500_000, ...config }, initialPositions });
  const events: { [K in keyof OmsEvents]: OmsEvents[K][] } = {
    'order.created': [],
    'order.adopted': [],
    'order.acked': [],
    'order.filled': [],
    'order.amended': [],
    'order.canceled': [],
    'order.rejected': [],
    'order.expired': [],
    'order.unknown': [],
    'order.transition': [],
    'order.anomaly': [],
  };
  for (const k of Object.keys(events) as (keyof OmsEvents)[]) oms.bus.on(k, (e) => (events[k] as unknown[]).push(e));
  let tradeId = 1000;
  const t = {
    clock,
    oms,
    events,
    advance(us: number) {
      clock.advanceTo(clock.nowUs() + us);
    },
    decide(quotes: Quote[], opts: Partial<Intent> = {}, ctx: Parameters<OrderManager['decide']>[1] = {}) {
      return oms.decide({ symbol: SYMBOL, tsUs: clock.nowUs(), quotes, cancelAll: false, flatten: false, reason: 'test', ...opts }, ctx);
    },
    /** Places one bid and returns its client id (state pending-new). */
    place(priceTicks = 100, qtyLots = 10, side: 'buy' | 'sell' = 'buy'): string {
      const cmds = t.decide([{ side, priceTicks, qtyLots, level: 0 }]);
      const c = cmds.find((x) => x.kind === 'submit');
      if (!c || c.kind !== 'submit') throw new Error('no submit');
      return c.order.clientOrderId;
    },
    report(id: string, p: Partial<ExecutionReport> & Pick<ExecutionReport, 'execType'>) {
      const v = oms.order(id);
      clock.advanceTo(clock.nowUs() + 1);
      oms.onExecutionReport(
        makeReport({
          clientOrderId: id,
          orderId: 7,
          side: v?.side ?? 'buy',
          priceTicks: v?.priceTicks ?? 100,
          origQtyLots: v?.qtyLots ?? 10,
          cumFilledLots: v?.filledLots ?? 0,
          tsExchangeUs: clock.nowUs(),
          status: 'NEW',
          ...p,
        }),
      );
    },
    ack(id: string) {
      t.report(id, { execType: 'NEW', status: 'NEW', cumFilledLots: 0 });
    },
    trade(id: string, cum: number, lastLots?: number, extra: Partial<ExecutionReport> = {}) {
      const v = oms.order(id)!;
      t.report(id, {
        execType: 'TRADE',
        status: cum >= v.qtyLots ? 'FILLED' : 'PARTIALLY_FILLED',
        cumFilledLots: cum,
        lastFillLots: lastLots ?? cum - v.filledLots,
        lastFillPriceTicks: v.priceTicks,
        tradeId: tradeId++,
        liquidity: 'maker',
        commission: '0.01',
        ...extra,
      });
    },
    state(id: string) {
      return oms.order(id)?.state;
    },
  };
  return t;
}

export type T = ReturnType<typeof makeOms>;

export const bid = (priceTicks: number, qtyLots = 10, level = 0): Quote => ({ side: 'buy', priceTicks, qtyLots, level });
export const ask = (priceTicks: number, qtyLots = 10, level = 0): Quote => ({ side: 'sell', priceTicks, qtyLots, level });
