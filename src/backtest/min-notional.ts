/**
 * MIN_NOTIONAL at the start of a run: a strategy whose orders can never meet a symbol's
 * MIN_NOTIONAL would run to the end with every order rejected -4164 (or none sent) and look like a
 * quiet success. It is a scenario error instead, naming the key and the minimum.
 *
 * - `strategy.sizeNotionalQuote` below MIN_NOTIONAL: checked before the run (no price needed).
 * - `strategy.sizeLots`: its notional at the data's first price of the symbol (the first trade,
 *   bookTicker mid, depth snapshot mid or mark price the replay delivers; for synthetic data, the
 *   generator's start mid), checked before that event reaches the exchange or the trader. A price
 *   that later rises far enough to meet the minimum is not foreseen: the run stops at its start.
 */
import type { MarketEvent } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import { compareScaled, formatScaled, mulScaled, parseDecimal, type ScaledDecimal } from '../model/money.ts';
import { ScenarioError, type Scenario } from '../scenario/index.ts';
import type { EventBatch, EventBatches } from '../store/index.ts';

/** Groups of three digits in the integer part ("3,400.12"). */
function grouped(s: string): string {
  const [i, f] = s.split('.');
  const g = i.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return f === undefined ? g : `${g}.${f}`;
}

/** The static check: a notional size below MIN_NOTIONAL. */
export function checkNotionalSize(s: Scenario, instruments: readonly Instrument[]): void {
  const size = s.trader.strategy.sizeNotionalQuote;
  if (size === null) return;
  for (const inst of instruments) {
    if (inst.minNotional.units === 0n) continue;
    if (compareScaled(parseDecimal(String(size), 'strategy.sizeNotionalQuote'), inst.minNotional) < 0) {
      const min = formatScaled(inst.minNotional.units, inst.minNotional.scale);
      throw new ScenarioError(`${size} ${inst.spec.quoteAsset} is below ${inst.symbol}'s MIN_NOTIONAL of ${min} ${inst.spec.quoteAsset}: every order would be rejected (-4164)`, { file: s.file || undefined, field: 'strategy.sizeNotionalQuote' });
    }
  }
}

/** The check of `sizeLots` at `price`; throws the scenario error. */
export function checkLotsAt(s: Scenario, inst: Instrument, price: ScaledDecimal, whence: string): void {
  const lots = s.trader.strategy.sizeLots;
  if (lots === null || inst.minNotional.units === 0n) return;
  const qty = { units: BigInt(lots) * BigInt(inst.stepUnits), scale: inst.qtyDecimals };
  const notional = mulScaled(qty, price);
  if (compareScaled(notional, inst.minNotional) >= 0) return;
  const q = inst.spec.quoteAsset;
  const min = formatScaled(inst.minNotional.units, inst.minNotional.scale);
  throw new ScenarioError(
    `${lots} lot(s) = ${formatScaled(qty.units, qty.scale)} ${inst.spec.baseAsset} × ~${grouped(formatScaled(price.units, price.scale))} ${q} (${whence}) = ${formatScaled(notional.units, notional.scale)} ${q} is below ${inst.symbol}'s MIN_NOTIONAL of ${min} ${q}: every order would be rejected (-4164); raise strategy.sizeLots or use strategy.sizeNotionalQuote`,
    { file: s.file || undefined, field: 'strategy.sizeLots' },
  );
}

/** The first price an event gives, exact; null for an event without one (a diff, an empty side). */
export function eventPrice(inst: Instrument, e: MarketEvent): ScaledDecimal | null {
  const ticks = (t: number): ScaledDecimal => ({ units: BigInt(t) * BigInt(inst.tickUnits), scale: inst.priceDecimals });
  const mid = (b: number, a: number): ScaledDecimal => ({ units: BigInt(a + b) * BigInt(inst.tickUnits) * 5n, scale: inst.priceDecimals + 1 });
  switch (e.type) {
    case 'trade':
    case 'aggTrade':
      return ticks(e.priceTicks);
    case 'bookTicker':
      return e.bidTicks > 0 && e.askTicks > 0 ? mid(e.bidTicks, e.askTicks) : null;
    case 'snapshot':
      return e.bidTicks.length > 0 && e.askTicks.length > 0 ? mid(e.bidTicks[0], e.askTicks[0]) : null;
    case 'markPrice':
      return e.markPrice === '' ? null : parseDecimal(e.markPrice, `${inst.symbol}.markPrice`);
    default:
      return null;
  }
}

/**
 * A source that checks `sizeLots` at the first price of its symbol before passing on the batch
 * holding it (a symbol's source carries that symbol only).
 */
export function guardMinNotional(s: Scenario, inst: Instrument, src: EventBatches): EventBatches {
  if (s.trader.strategy.sizeLots === null || inst.minNotional.units === 0n) return src;
  return (async function* guarded() {
    let checked = false;
    for await (const b of src as AsyncIterable<MarketEvent[] | EventBatch>) {
      if (!checked) {
        const n = b.length;
        for (let k = 0; k < n && !checked; k++) {
          const type = Array.isArray(b) ? b[k].type : (b as EventBatch).typeAt(k);
          if (type === 'depth') continue;
          const e = Array.isArray(b) ? b[k] : (b as EventBatch).eventAt(k);
          const p = eventPrice(inst, e);
          if (p === null) continue;
          checked = true;
          checkLotsAt(s, inst, p, `the first price of ${inst.symbol} in the data`);
        }
      }
      yield b;
    }
  })();
}
