// The venue seam under faults: the backtest engine drives the trading core against a venue double
// that wraps the simulated exchange and produces every venue event kind a live venue does: lost
// requests (before or after the exchange applied them) answered with `requestUnknown`, a user-data
// stream that goes down (reports lost) and comes back with an account snapshot, a market stream
// that goes down, query answers, funding. Whatever happens, once the faults stop the trader's view
// converges to the exchange's: same live orders, same position, nothing left unknown, no client id
// sent twice, and no quote placed on an invalid book or an unsynced account.
import { describe, expect, it } from 'vitest';
import { BacktestEngine } from '../../src/backtest/engine.ts';
import { EventLog } from '../../src/backtest/event-log.ts';
import { ConstantLatency } from '../../src/backtest/latency.ts';
import { SimClock } from '../../src/core/clock.ts';
import { Rng } from '../../src/core/random.ts';
import type { MarketEvent, MarketEventType } from '../../src/model/events.ts';
import type { SimVenue, VenueCommand, VenueEvent, VenueEventKind } from '../../src/model/venue.ts';
import { SimExchange } from '../../src/sim-exchange/index.ts';
import { TradingCore } from '../../src/trader/index.ts';
import { FIXED_CONFIG, INSTRUMENT, RandomMarket, SYMBOL, T0 } from '../trader/harness.ts';

const S = 1_000_000;

interface Faults {
  /** Probability that a submit / cancel / modify is lost (half before, half after the exchange applied it). */
  pLost: number;
  /** No faults from this time on (µs after T0). */
  untilUs: number;
  /** The user stream goes down at the first time after this one that an order rests (µs after T0)... */
  userDownUs: number;
  /** ... for this long. */
  userDownForUs: number;
  marketDownUs: number;
  marketUpUs: number;
}

/** The simulated exchange behind an unreliable wire. */
class FaultyVenue implements SimVenue {
  readonly counts = { lostBefore: 0, lostAfter: 0, reportsLostWhileDown: 0, duplicateSubmits: 0 };
  private out: VenueEvent[] = [];
  private readonly submitted = new Set<string>();
  private userDown = false;
  private userUpAtUs = Infinity;
  private readonly fired = new Set<string>();

  constructor(
    readonly sim: SimExchange,
    private readonly rng: Rng,
    private readonly f: Faults,
  ) {}

  onMarketEvent(e: MarketEvent): void {
    this.schedule(e.tsExchangeUs);
    this.sim.onMarketEvent(e);
    this.pull();
  }

  accepts(type: MarketEventType, symbol: string): boolean {
    return this.sim.accepts(type, symbol);
  }

  send(cmd: VenueCommand, tsUs: number): void {
    this.schedule(tsUs);
    if (cmd.kind === 'submit') {
      if (this.submitted.has(cmd.order.clientOrderId)) this.counts.duplicateSubmits++;
      this.submitted.add(cmd.order.clientOrderId);
    }
    if (cmd.kind !== 'query' && tsUs < T0 + this.f.untilUs && this.rng.next() < this.f.pLost) {
      const id = cmd.kind === 'submit' ? cmd.order.clientOrderId : cmd.clientOrderId;
      const symbol = cmd.kind === 'submit' ? cmd.order.symbol : cmd.symbol;
      if (this.rng.next() < 0.5) this.counts.lostBefore++;
      else {
        // Applied, but the answer never came back: its reports about this order are lost.
        this.counts.lostAfter++;
        this.sim.send(cmd, tsUs);
        for (const e of this.sim.drainEvents()) if (!(e.kind === 'report' && e.report.clientOrderId === id)) this.deliver(e);
      }
      this.out.push({ kind: 'requestUnknown', symbol, clientOrderId: id, request: cmd.kind, cause: 'timeout' });
      return;
    }
    this.sim.send(cmd, tsUs);
    this.pull();
  }

  drainEvents(): VenueEvent[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  private once(name: string, atUs: number, tsUs: number): boolean {
    if (tsUs < T0 + atUs || this.fired.has(name)) return false;
    this.fired.add(name);
    return true;
  }

  private schedule(tsUs: number): void {
    // The user stream goes down while an order rests, so that fills and cancels go unseen.
    if (this.sim.openOrderCount(SYMBOL) > 0 && this.once('user-down', this.f.userDownUs, tsUs)) {
      this.userUpAtUs = tsUs + this.f.userDownForUs;
      this.userDown = true;
      this.out.push({ kind: 'streamState', stream: 'user', up: false, tsUs, reason: 'listenKey expired' });
    }
    if (this.once('user-up', this.userUpAtUs - T0, tsUs)) {
      this.userDown = false;
      this.out.push({ kind: 'streamState', stream: 'user', up: true, tsUs, reason: 'reconnected' });
      this.out.push({ kind: 'accountSync', sync: this.sim.accountSync(tsUs) });
    }
    if (this.once('market-down', this.f.marketDownUs, tsUs)) this.out.push({ kind: 'streamState', stream: 'market', up: false, tsUs, reason: 'stalled' });
    if (this.once('market-up', this.f.marketUpUs, tsUs)) this.out.push({ kind: 'streamState', stream: 'market', up: true, tsUs, reason: 'reconnected' });
  }

  private pull(): void {
    for (const e of this.sim.drainEvents()) this.deliver(e);
  }

  private deliver(e: VenueEvent): void {
    if (this.userDown && e.kind === 'report') {
      this.counts.reportsLostWhileDown++;
      return;
    }
    this.out.push(e);
  }
}

/** 60 s of a random market every 20 ms, a snapshot every 10 s, then a quiet 5 s to settle. */
function marketEvents(seed: number): MarketEvent[] {
  const market = new RandomMarket(new Rng(seed));
  const out: MarketEvent[] = [market.snapshot(T0)];
  for (let i = 1; i <= 3000; i++) {
    const t = T0 + i * 20_000;
    if (i % 500 === 0) out.push(market.snapshot(t));
    out.push(...market.step(t));
  }
  const last = out[out.length - 1].tsReceiveUs;
  for (let k = 1; k <= 5; k++) out.push({ type: 'markPrice', symbol: SYMBOL, tsExchangeUs: last + k * S, tsReceiveUs: last + k * S, markPrice: '', indexPrice: '', fundingRate: '', nextFundingTimeUs: -1 });
  return out;
}

async function runWithFaults(seed: number, faults: Faults) {
  const clock = new SimClock(0);
  const rng = new Rng(seed);
  const sim = new SimExchange({ instruments: [INSTRUMENT], rng: rng.fork('exchange'), queueModel: { model: 'risk-averse' }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } }, funding: { mode: 'rate', rate: '0.0001', intervalUs: 5 * S } });
  const venue = new FaultyVenue(sim, rng.fork('faults'), faults);
  const core = new TradingCore({ clock, instruments: [INSTRUMENT], config: FIXED_CONFIG, initialBalance: [{ asset: 'USDT', amount: '100000' }] });
  const delivered = new Map<VenueEventKind, number>();
  const badSubmits: string[] = [];
  let accountInSync = true;
  const eventLog = new EventLog();
  const engine = new BacktestEngine({
    clock,
    trader: core,
    venue,
    latency: new ConstantLatency(2_000, 2_000),
    feed: { model: 'recorded', latencyUs: 0, clockOffsetUs: 0, offsetSampleEvents: 1, minLatencyUs: 0 },
    eventLog,
    observer: {
      onVenueEventDelivered: (_t, e) => {
        delivered.set(e.kind, (delivered.get(e.kind) ?? 0) + 1);
        if (e.kind === 'streamState' && e.stream === 'user') accountInSync = false;
        if (e.kind === 'accountSync') accountInSync = true;
      },
      onCommandSent: (t, cmd) => {
        if (cmd.kind !== 'submit') return;
        if (!core.book(SYMBOL).isValid()) badSubmits.push(`${t}: submit on an invalid book`);
        if (!accountInSync) badSubmits.push(`${t}: submit while the account is not in sync`);
      },
    },
  });
  await engine.run([marketEvents(seed)]);
  return { core, sim, venue, delivered, badSubmits, hash: eventLog.digest() };
}

const FAULTS: Faults = { pLost: 0.04, untilUs: 40 * S, userDownUs: 20 * S, userDownForUs: 3 * S, marketDownUs: 30 * S, marketUpUs: 31 * S };

describe('the venue seam under faults (backtest engine + trading core + faulty venue double)', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: every venue event kind arrives, and the trader converges to the exchange`, async () => {
      const r = await runWithFaults(seed, FAULTS);
      // Every kind of venue event was produced and delivered.
      for (const kind of ['report', 'funding', 'requestUnknown', 'queryAnswer', 'accountSync', 'streamState'] as const) expect(r.delivered.get(kind) ?? 0, kind).toBeGreaterThan(0);
      expect(r.venue.counts.lostBefore + r.venue.counts.lostAfter).toBeGreaterThan(5);
      expect(r.venue.counts.reportsLostWhileDown).toBeGreaterThan(0);
      // The trader quoted: fills happened, on both sides of the faults.
      expect(r.sim.counters.fills).toBeGreaterThan(5);
      // Safety: never a client id twice, never a quote on an invalid book or an unsynced account.
      expect(r.venue.counts.duplicateSubmits).toBe(0);
      expect(r.badSubmits).toEqual([]);
      // Convergence once the faults stopped: nothing unknown, same live orders, same position.
      expect(r.core.oms.unknownCount()).toBe(0);
      expect([...r.core.oms.openOrders(SYMBOL).keys()].sort()).toEqual(r.sim.openOrders(SYMBOL).map((o) => o.clientOrderId).sort());
      expect(r.core.oms.positionLots(SYMBOL)).toBe(r.sim.positionLots(SYMBOL));
      expect(r.core.portfolio.positionLots(SYMBOL)).toBe(r.sim.positionLots(SYMBOL));
    });
  }

  it('is deterministic: the same seed gives the same event-log hash', async () => {
    const a = await runWithFaults(7, FAULTS);
    const b = await runWithFaults(7, FAULTS);
    expect(a.hash).toBe(b.hash);
    const c = await runWithFaults(8, FAULTS);
    expect(c.hash).not.toBe(a.hash);
  });
});
