/**
 * Property tests of the ledger against an independent model written with decimal.js (precision
 * 200, so every sum and product here is exact) and against exact rationals (BigInt fractions).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decimal as DecimalJs } from 'decimal.js';
import { EventBus } from '../../src/core/index.ts';
import { Portfolio, type PortfolioEventMap } from '../../src/portfolio/index.ts';
import { BTCUSDC, BTCUSDT, FIVEUSDT, ODDUSDT, registry } from './fixtures.ts';

const Dec = DecimalJs.clone({ precision: 200, rounding: DecimalJs.ROUND_HALF_EVEN });
type D = InstanceType<typeof Dec>;

const SPECS = [BTCUSDT, BTCUSDC, ODDUSDT, FIVEUSDT];
const T0 = 1_700_000_000_000_000;

/** A decimal string `units × 10^-decimals` (≤ 8 decimals, as Binance writes money, marks and rates). */
const decimalString = (maxAbs: number, maxDecimals = 8) =>
  fc.tuple(fc.integer({ min: -maxAbs, max: maxAbs }), fc.integer({ min: 0, max: maxDecimals })).map(([u, d]) => new Dec(u).div(new Dec(10).pow(d)).toFixed(d));

const positiveDecimalString = (maxUnits: number, decimals: number) => fc.integer({ min: 1, max: maxUnits }).map((u) => new Dec(u).div(new Dec(10).pow(decimals)).toFixed(decimals));

type Op =
  | { kind: 'fill'; sym: number; side: 'buy' | 'sell'; qtyLots: number; priceTicks: number; fee: string; maker: boolean; midOffsetHalfTicks: number | null }
  | { kind: 'markPrice'; sym: number; markPrice: string }
  | { kind: 'markTicks'; sym: number; halfTicks: number }
  | { kind: 'funding'; sym: number; markPrice: string; rate: string }
  | { kind: 'deposit'; asset: 'USDT' | 'USDC'; amount: string };

const sym = fc.integer({ min: 0, max: SPECS.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('fill' as const), sym, side: fc.constantFrom('buy' as const, 'sell' as const), qtyLots: fc.integer({ min: 1, max: 3000 }), priceTicks: fc.integer({ min: 1, max: 1_000_000 }), fee: decimalString(1_000_000), maker: fc.boolean(), midOffsetHalfTicks: fc.option(fc.integer({ min: -20, max: 20 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('markPrice' as const), sym, markPrice: positiveDecimalString(10_000_000_000, 5) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('markTicks' as const), sym, halfTicks: fc.integer({ min: 2, max: 2_000_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('funding' as const), sym, markPrice: positiveDecimalString(10_000_000_000, 8), rate: decimalString(300_000, 8) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deposit' as const), asset: fc.constantFrom('USDT' as const, 'USDC' as const), amount: decimalString(1_000_000_000) }) },
);

interface ModelSymbol {
  qty: D; // signed base quantity
  cash: D; // Σ −s·x·p
  fees: D;
  funding: D;
  spread: D;
  inventory: D;
  ref: D | null; // last reference price (mark or fill mid)
  mark: D | null; // last mark
}

function tickOf(i: number): D {
  return new Dec(SPECS[i].tickSize);
}
function stepOf(i: number): D {
  return new Dec(SPECS[i].stepSize);
}

/** Runs the ops on a Portfolio and on the decimal.js model; checks every invariant after each op. */
function runAndCheck(ops: Op[]): void {
  const p = new Portfolio(registry());
  const model: ModelSymbol[] = SPECS.map(() => ({ qty: new Dec(0), cash: new Dec(0), fees: new Dec(0), funding: new Dec(0), spread: new Dec(0), inventory: new Dec(0), ref: null, mark: null }));
  const deposits: Record<string, D> = { USDT: new Dec(0), USDC: new Dec(0) };
  const lots = SPECS.map(() => 0);
  const moveRef = (m: ModelSymbol, price: D) => {
    if (m.ref !== null) m.inventory = m.inventory.plus(m.qty.times(price.minus(m.ref)));
    m.ref = price;
  };
  ops.forEach((op, n) => {
    if (op.kind === 'deposit') {
      p.deposit({ asset: op.asset, amount: op.amount, tsUs: T0 + n });
      deposits[op.asset] = deposits[op.asset].plus(op.amount);
      return;
    }
    const spec = SPECS[op.sym];
    const m = model[op.sym];
    if (op.kind === 'fill') {
      const midTicks = op.midOffsetHalfTicks === null ? undefined : op.priceTicks + op.midOffsetHalfTicks / 2;
      p.applyFill({ symbol: spec.symbol, side: op.side, qtyLots: op.qtyLots, priceTicks: op.priceTicks, fee: op.fee, liquidity: op.maker ? 'maker' : 'taker', tsUs: T0 + n, midTicks: midTicks !== undefined && midTicks > 0 ? midTicks : undefined });
      const s = op.side === 'buy' ? 1 : -1;
      const x = stepOf(op.sym).times(op.qtyLots);
      const price = tickOf(op.sym).times(op.priceTicks);
      const mid = midTicks !== undefined && midTicks > 0 ? tickOf(op.sym).times(midTicks) : price;
      moveRef(m, mid);
      m.spread = m.spread.plus(x.times(mid.minus(price)).times(s));
      m.cash = m.cash.minus(x.times(price).times(s));
      m.fees = m.fees.plus(op.fee);
      m.qty = m.qty.plus(x.times(s));
      lots[op.sym] += s * op.qtyLots;
    } else if (op.kind === 'markPrice' || op.kind === 'markTicks') {
      const price = op.kind === 'markPrice' ? new Dec(op.markPrice) : tickOf(op.sym).times(op.halfTicks).div(2);
      if (op.kind === 'markPrice') p.mark({ symbol: spec.symbol, markPrice: op.markPrice, tsUs: T0 + n });
      else p.mark({ symbol: spec.symbol, priceTicks: op.halfTicks / 2, tsUs: T0 + n });
      moveRef(m, price);
      m.mark = price;
    } else {
      const paid = p.applyFunding({ symbol: spec.symbol, tsUs: T0 + n, markPrice: op.markPrice, rate: op.rate });
      const mark = new Dec(op.markPrice);
      moveRef(m, mark);
      m.mark = mark;
      const expected = m.qty.times(mark).times(op.rate).negated();
      expect(new Dec(paid).eq(expected), `funding ${paid} vs ${expected.toFixed()}`).toBe(true);
      m.funding = m.funding.plus(expected);
    }

    // Invariants after every op.
    const snap = p.snapshot(T0 + n);
    for (const asset of ['USDT', 'USDC']) {
      const a = snap.account(asset);
      if (a === undefined) continue;
      const idx = SPECS.map((s, i) => (s.marginAsset === asset ? i : -1)).filter((i) => i >= 0);
      let trading = new Dec(0);
      let fees = new Dec(0);
      let funding = new Dec(0);
      let spread = new Dec(0);
      let inventory = new Dec(0);
      for (const i of idx) {
        const mi = model[i];
        const val = mi.mark ?? mi.ref;
        const invToNow = val !== null && mi.ref !== null ? mi.inventory.plus(mi.qty.times(val.minus(mi.ref))) : mi.inventory;
        trading = trading.plus(mi.cash).plus(val === null ? 0 : mi.qty.times(val));
        fees = fees.plus(mi.fees);
        funding = funding.plus(mi.funding);
        spread = spread.plus(mi.spread);
        inventory = inventory.plus(invToNow);
      }
      const eq = (x: string, y: D, what: string) => expect(new Dec(x).eq(y), `${what}: ${x} vs ${y.toFixed()}`).toBe(true);
      // The cash ledger: wallet − deposits + unrealized = trade cash flow + position × mark − fees + funding.
      eq(a.deposits, deposits[asset], 'deposits');
      eq(a.fees, fees, 'fees');
      eq(a.funding, funding, 'funding');
      const ledger = new Dec(a.walletBalance).minus(a.deposits).plus(a.unrealizedPnl);
      eq(ledger.toFixed(), trading.minus(fees).plus(funding), 'cash ledger');
      // realized + unrealized − fees + funding reconciles to the cash ledger.
      eq(new Dec(a.realizedPnl).plus(a.unrealizedPnl).minus(a.fees).plus(a.funding).toFixed(), ledger, 'realized + unrealized − fees + funding');
      eq(a.equity, new Dec(a.walletBalance).plus(a.unrealizedPnl), 'equity');
      // The decomposition sums exactly and equals the change in equity.
      eq(a.pnl.spreadCapture, spread, 'spread capture');
      eq(a.pnl.inventory, inventory, 'inventory');
      eq(a.pnl.total, new Dec(a.pnl.spreadCapture).plus(a.pnl.inventory).minus(a.pnl.fees).plus(a.pnl.funding), 'decomposition sum');
      eq(a.pnl.total, new Dec(a.equity).minus(a.deposits), 'decomposition = Δ equity');
    }
    for (let i = 0; i < SPECS.length; i++) expect(p.positionLots(SPECS[i].symbol)).toBe(lots[i]);
  });
}

/** a/b as a reduced-free rational; helpers for exact comparisons. */
interface Frac {
  n: bigint;
  d: bigint;
}
const sub = (a: Frac, b: Frac): Frac => ({ n: a.n * b.d - b.n * a.d, d: a.d * b.d });
const mulInt = (a: Frac, k: bigint): Frac => ({ n: a.n * k, d: a.d });
const abs = (x: bigint) => (x < 0n ? -x : x);
const MONEY = 10n ** 24n;
function moneyFrac(s: string): Frac {
  const d = new Dec(s);
  return { n: BigInt(d.times(MONEY.toString()).toFixed(0)), d: MONEY };
}

describe('Portfolio properties', () => {
  it('reconciles realized/unrealized/fees/funding with the cash ledger and the decomposition, for any ops', () => {
    fc.assert(fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => runAndCheck(ops)), { numRuns: 150 });
  });

  it('realizes closing fills against the average entry, including flips through zero', () => {
    // BTCUSDT only, prices 0.1 × ticks; quantities 0.001 × lots.
    const fillArb = fc.record({ side: fc.constantFrom('buy' as const, 'sell' as const), qtyLots: fc.integer({ min: 1, max: 50 }), priceTicks: fc.integer({ min: 1, max: 100_000 }) });
    fc.assert(
      fc.property(fc.array(fillArb, { minLength: 1, maxLength: 80 }), (fills) => {
        const bus = new EventBus<PortfolioEventMap>();
        const p = new Portfolio(registry(), {}, bus);
        let realized = '';
        bus.on('portfolio.fillBooked', (e) => (realized = e.realizedPnl));
        for (const f of fills) {
          const before = p.positionLots('BTCUSDT');
          const avgBefore = p.avgEntryFraction('BTCUSDT');
          p.applyFill({ symbol: 'BTCUSDT', ...f, fee: '0', liquidity: 'maker', tsUs: T0 });
          const after = p.positionLots('BTCUSDT');
          const s = f.side === 'buy' ? 1 : -1;
          expect(after).toBe(before + s * f.qtyLots);
          const price: Frac = { n: BigInt(f.priceTicks), d: 10n };
          const avgAfter = p.avgEntryFraction('BTCUSDT');
          const got = moneyFrac(realized);
          if (before === 0 || Math.sign(before) === s) {
            // Opening or adding: nothing realized; the new average is the exact weighted mean.
            expect(got.n).toBe(0n);
            const oldCost = avgBefore === null ? { n: 0n, d: 1n } : mulInt({ n: avgBefore.numerator, d: avgBefore.denominator }, BigInt(Math.abs(before)));
            const expected: Frac = { n: oldCost.n * price.d + price.n * BigInt(f.qtyLots) * oldCost.d, d: oldCost.d * price.d * BigInt(Math.abs(after)) };
            expect(avgAfter!.numerator * expected.d).toBe(expected.n * avgAfter!.denominator);
            continue;
          }
          const held = Math.abs(before);
          const closing = Math.min(f.qtyLots, held);
          // realized = closing × step × sign(position) × (p − avg); step = 1/1000.
          const want = mulInt(sub(price, { n: avgBefore!.numerator, d: avgBefore!.denominator }), BigInt(Math.sign(before) * closing));
          want.d *= 1000n;
          const diff = sub(got, want);
          if (closing === held) {
            expect(diff.n).toBe(0n); // full close: exact
            if (after === 0) expect(avgAfter).toBeNull();
            else expect(avgAfter!.numerator * price.d).toBe(price.n * avgAfter!.denominator); // flip: re-opened at the fill price
          } else {
            // Partial close: the released cost is rounded half-even to 10^-24 USDT.
            expect(2n * abs(diff.n) * MONEY <= diff.d).toBe(true);
            // The average entry is unchanged up to that rounding spread over the remaining position.
            const drift = sub({ n: avgAfter!.numerator, d: avgAfter!.denominator }, { n: avgBefore!.numerator, d: avgBefore!.denominator });
            expect(2n * abs(drift.n) * MONEY * BigInt(Math.abs(after)) <= drift.d * 1000n).toBe(true);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
