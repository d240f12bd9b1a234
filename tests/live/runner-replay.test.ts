// The live runner and its journal: a session's inputs (market events, venue answers, timers) are
// journalled with the clock the core saw, every command before it is sent, and `replayJournal`
// rebuilds the same core and gets the same commands, byte for byte. Driven here without a network:
// a scripted venue (acks, cancels, fills when a trade crosses a resting order) and a manual clock.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Timers } from '../../src/adapter/binance/index.ts';
import { SimClock } from '../../src/core/clock.ts';
import { syntheticMarket } from '../../src/exchange-fake/index.ts';
import { JOURNAL_FILE, LiveJournal, LiveRunner, liveTrader, readJournal, replayJournal, runTagOf, scenarioBalances, type JournalHeader } from '../../src/live/index.ts';
import type { MarketEvent } from '../../src/model/events.ts';
import type { ExecutionReport, Venue, VenueCommand, VenueEvent } from '../../src/model/venue.ts';
import { parseScenario } from '../../src/scenario/index.ts';
import { syntheticInstrument } from '../../src/synthetic/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SCENARIO_TEXT = readFileSync(join(ROOT, 'scenarios', 'quickstart.yaml'), 'utf8');
const T0 = Date.UTC(2026, 0, 5, 12) * 1000;

/** Timers on a manual wall clock. */
class ManualTimers implements Timers {
  now = T0;
  private q: { at: number; f: () => void; id: number }[] = [];
  private id = 0;
  after(ms: number, f: () => void): unknown {
    const t = { at: this.now + ms * 1000, f, id: ++this.id };
    this.q.push(t);
    return t.id;
  }
  cancel(handle: unknown): void {
    this.q = this.q.filter((t) => t.id !== handle);
  }
  /** Fires every timer due by `t` (in time order), moving the clock to each. */
  runUntil(t: number): void {
    for (;;) {
      this.q.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.q[0];
      if (next === undefined || next.at > t) break;
      this.q.shift();
      this.now = Math.max(this.now, next.at);
      next.f();
    }
    this.now = Math.max(this.now, t);
  }
}

/** A scripted venue: acks submits, cancels and modifies; fills a resting order fully when a trade crosses it. */
class ScriptedVenue implements Venue {
  readonly sent: VenueCommand[] = [];
  private out: VenueEvent[] = [];
  private resting = new Map<string, { side: 'buy' | 'sell'; priceTicks: number; qtyLots: number; orderId: number }>();
  private nextOrderId = 1;
  private nextTradeId = 1;
  constructor(private readonly now: () => number) {}
  send(cmd: VenueCommand): void {
    this.sent.push(cmd);
    const t = this.now();
    if (cmd.kind === 'submit') {
      const o = cmd.order;
      const orderId = this.nextOrderId++;
      this.resting.set(o.clientOrderId, { side: o.side, priceTicks: o.priceTicks, qtyLots: o.qtyLots, orderId });
      this.out.push(report({ symbol: o.symbol, clientOrderId: o.clientOrderId, orderId, execType: 'NEW', status: 'NEW', side: o.side, priceTicks: o.priceTicks, origQtyLots: o.qtyLots, tsExchangeUs: t }));
    } else if (cmd.kind === 'cancel') {
      const r = this.resting.get(cmd.clientOrderId);
      this.resting.delete(cmd.clientOrderId);
      if (r === undefined) this.out.push(report({ symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, orderId: -1, execType: 'CANCEL_REJECTED', status: 'REJECTED', errorCode: -2011, errorMessage: 'Unknown order sent.', tsExchangeUs: t }));
      else this.out.push(report({ symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, orderId: r.orderId, execType: 'CANCELED', status: 'CANCELED', side: r.side, priceTicks: r.priceTicks, origQtyLots: r.qtyLots, tsExchangeUs: t }));
    } else if (cmd.kind === 'modify') {
      const r = this.resting.get(cmd.clientOrderId);
      if (r === undefined) this.out.push(report({ symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, orderId: -1, execType: 'MODIFY_REJECTED', status: 'REJECTED', errorCode: -2013, errorMessage: 'Order does not exist.', tsExchangeUs: t }));
      else {
        r.priceTicks = cmd.priceTicks;
        r.qtyLots = cmd.qtyLots;
        this.out.push(report({ symbol: cmd.symbol, clientOrderId: cmd.clientOrderId, orderId: r.orderId, execType: 'AMENDMENT', status: 'NEW', side: r.side, priceTicks: r.priceTicks, origQtyLots: r.qtyLots, tsExchangeUs: t }));
      }
    }
  }
  onTrade(e: MarketEvent): void {
    if (e.type !== 'trade') return;
    for (const [id, r] of this.resting) {
      const crosses = r.side === 'buy' ? e.priceTicks <= r.priceTicks && e.buyerIsMaker : e.priceTicks >= r.priceTicks && !e.buyerIsMaker;
      if (!crosses) continue;
      this.resting.delete(id);
      this.out.push(report({ symbol: e.symbol, clientOrderId: id, orderId: r.orderId, execType: 'TRADE', status: 'FILLED', side: r.side, priceTicks: r.priceTicks, origQtyLots: r.qtyLots, cumFilledLots: r.qtyLots, lastFillLots: r.qtyLots, lastFillPriceTicks: r.priceTicks, tradeId: this.nextTradeId++, liquidity: 'maker', commission: '0.01', tsExchangeUs: e.tsExchangeUs }));
    }
  }
  get restingCount(): number {
    return this.resting.size;
  }
  /** Fills every resting order now (a fill racing a shutdown's cancels). */
  fillAll(symbol: string, t: number): void {
    for (const [id, r] of this.resting) {
      this.resting.delete(id);
      this.out.push(report({ symbol, clientOrderId: id, orderId: r.orderId, execType: 'TRADE', status: 'FILLED', side: r.side, priceTicks: r.priceTicks, origQtyLots: r.qtyLots, cumFilledLots: r.qtyLots, lastFillLots: r.qtyLots, lastFillPriceTicks: r.priceTicks, tradeId: this.nextTradeId++, liquidity: 'maker', commission: '0.01', tsExchangeUs: t }));
    }
  }
  drainEvents(): VenueEvent[] {
    const o = this.out;
    this.out = [];
    return o;
  }
}

function report(p: Partial<ExecutionReport> & Pick<ExecutionReport, 'symbol' | 'clientOrderId' | 'orderId' | 'execType' | 'status' | 'tsExchangeUs'>): VenueEvent {
  return {
    kind: 'report',
    report: { side: 'buy', priceTicks: 0, origQtyLots: 0, cumFilledLots: 0, lastFillLots: 0, lastFillPriceTicks: 0, tradeId: -1, liquidity: null, commission: '0', errorCode: 0, errorMessage: '', reduceOnly: false, ...p },
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A two-minute session of the quickstart scenario on the synthetic market; returns the run dir and what was sent. */
function runSession(scenarioText = SCENARIO_TEXT, shutdown?: (r: { runner: LiveRunner; venue: ScriptedVenue; timers: ManualTimers; lastMarket: MarketEvent }) => void): { dir: string; venue: ScriptedVenue; runner: LiveRunner; core: ReturnType<typeof liveTrader> } {
  const dir = mkdtempSync(join(tmpdir(), 'maker-live-runner-'));
  dirs.push(dir);
  const s = parseScenario(scenarioText, 'quickstart.yaml');
  const inst = syntheticInstrument('BTCUSDT');
  const timers = new ManualTimers();
  const clock = new SimClock(T0);
  const runTag = runTagOf(T0 / 1000);
  const balances = scenarioBalances(s);
  const header: JournalHeader = { version: 1, runId: 'test', scenarioText, scenarioFile: 'quickstart.yaml', overrides: [], instruments: [inst.spec], initialBalance: balances, runTag, venue: 'scripted', paper: true };
  const journal = new LiveJournal(join(dir, JOURNAL_FILE));
  journal.header(T0, header);
  const core = liveTrader(s, [inst], clock, runTag, balances);
  const venue = new ScriptedVenue(() => timers.now);
  const runner = new LiveRunner({ trader: core, clock, wallUs: () => timers.now, venue, journal, timers, onFatal: (e) => { throw e; } });
  runner.start();
  runner.venueEvent({ kind: 'accountSync', sync: { tsUs: T0, symbols: ['BTCUSDT'], positions: [], balances: [{ asset: 'USDT', walletBalance: '10000' }], openOrders: [] } });
  let lastMarket!: MarketEvent;
  // With `shutdown`: it runs half a minute in, once orders rest, and the market loop ends there.
  market: for (const batch of syntheticMarket([inst], 3, T0 + 1000, 120)) {
    for (const e of batch) {
      if (shutdown !== undefined && e.tsReceiveUs >= T0 + 30_000_000 && venue.restingCount > 0) break market;
      timers.runUntil(e.tsReceiveUs);
      for (const v of venue.drainEvents()) runner.venueEvent(v);
      runner.market(e);
      venue.onTrade(e);
      for (const v of venue.drainEvents()) runner.venueEvent(v);
      lastMarket = e;
    }
  }
  shutdown?.({ runner, venue, timers, lastMarket });
  runner.stop();
  journal.end(timers.now, 'test end', 0);
  journal.close();
  return { dir, venue, runner, core };
}

describe('live runner journal and replay', () => {
  it('replays a session to the same commands, byte for byte', () => {
    const { dir, venue, runner } = runSession();
    expect(runner.stats.commands).toBe(venue.sent.length);
    expect(venue.sent.filter((c) => c.kind === 'submit').length).toBeGreaterThan(10);
    expect(venue.sent.some((c) => c.kind === 'cancel' || c.kind === 'modify')).toBe(true);
    const j = readJournal(join(dir, JOURNAL_FILE));
    expect(j.end).toEqual({ reason: 'test end', exitCode: 0 });
    expect(j.records.filter((r) => r.tag === 'C').length).toBe(venue.sent.length);
    expect(j.records.filter((r) => r.tag === 'T').length).toBe(runner.stats.timers);
    expect(runner.stats.timers).toBeGreaterThan(0);
    // Fills happened (the portfolio moved), so the replay covers the ledger and risk too.
    expect(j.records.some((r) => r.tag === 'V' && r.event.kind === 'report' && r.event.report.execType === 'TRADE')).toBe(true);
    const r = replayJournal(dir);
    expect(r.firstDifference).toBeNull();
    expect(r.commands).toBe(venue.sent.length);
    expect(r.replayCommands).toBe(r.commands);
    expect(r.matched).toBe(r.commands);
    expect(r.replayHash).toBe(r.journalHash);
  });

  it('after drain (the shutdown began) fills are journalled and booked, no decision is sent, and the replay agrees', () => {
    let sentAtDrain = 0;
    let filled = 0;
    const { dir, venue, runner, core } = runSession(SCENARIO_TEXT, ({ runner, venue, timers, lastMarket }) => {
      runner.drain('test shutdown');
      sentAtDrain = venue.sent.length;
      expect(runner.isRunning).toBe(false);
      // The market goes on and timers come due: dropped, not journalled.
      timers.runUntil(timers.now + 5_000_000);
      runner.market({ ...lastMarket, tsReceiveUs: timers.now });
      // The venue fills what rests (racing the cancels): journalled and given to the core.
      venue.fillAll('BTCUSDT', timers.now);
      const fills = venue.drainEvents();
      filled = fills.length;
      for (const v of fills) runner.venueEvent(v);
      runner.drain('again'); // idempotent: one S record
    });
    expect(filled, 'orders rested at the shutdown').toBeGreaterThan(0);
    expect(venue.sent.length, 'nothing sent after drain').toBe(sentAtDrain);
    expect(runner.stats.droppedAtStop, 'the core stopped deciding: no requote after the fills').toBe(0);
    const j = readJournal(join(dir, JOURNAL_FILE));
    const s = j.records.findIndex((r) => r.tag === 'S');
    expect(j.records.filter((r) => r.tag === 'S')).toEqual([{ tag: 'S', tUs: j.records[s].tUs, reason: 'test shutdown' }]);
    const after = j.records.slice(s + 1);
    expect(after.map((r) => r.tag)).toEqual([...Array<string>(filled).fill('V'), 'E']);
    // The replay books the same fills (same position) and finds no command the session did not send
    // (it stops the core at the S record; without that, the fills would be answered with requotes).
    let replayCore!: ReturnType<typeof liveTrader>;
    const r = replayJournal(dir, { onCore: (c) => (replayCore = c) });
    expect(r.firstDifference).toBeNull();
    expect(r.matched).toBe(r.commands);
    expect(r.commands).toBe(sentAtDrain);
    expect(replayCore.portfolio.positionLots('BTCUSDT')).toBe(core.portfolio.positionLots('BTCUSDT'));
    // A damaged shutdown record names its line.
    const file = join(dir, JOURNAL_FILE);
    const lines = readFileSync(file, 'utf8').split('\n');
    const at = lines.findIndex((l) => / S /.test(l));
    lines[at] = lines[at].replace('"reason"', '"why"');
    writeFileSync(file, lines.join('\n'));
    expect(() => readJournal(file)).toThrow(new RegExp(`line ${at + 1}.*|shutdown record \\(S\\) needs a reason`));
  });

  it('the same inputs give the same journal bytes (determinism of the runner itself)', () => {
    const a = readFileSync(join(runSession().dir, JOURNAL_FILE), 'utf8');
    const b = readFileSync(join(runSession().dir, JOURNAL_FILE), 'utf8');
    expect(a).toBe(b);
  });

  it('a replay with another strategy parameter finds the first differing command', () => {
    const { dir } = runSession();
    const file = join(dir, JOURNAL_FILE);
    const lines = readFileSync(file, 'utf8').split('\n');
    const [t, , ...rest] = lines[0].split(' ');
    const h = JSON.parse(rest.join(' ')) as JournalHeader;
    expect(h.scenarioText).toMatch(/halfSpreadTicks: 3/);
    lines[0] = `${t} B ${JSON.stringify({ ...h, scenarioText: h.scenarioText.replace('halfSpreadTicks: 3', 'halfSpreadTicks: 5') })}`;
    writeFileSync(file, lines.join('\n'));
    const r = replayJournal(dir);
    expect(r.firstDifference).not.toBeNull();
    expect(r.replayHash).not.toBe(r.journalHash);
    expect(r.matched).toBeLessThan(r.commands);
  });

  it('a journal cut by a kill replays up to its last whole line; damage names the line', () => {
    const { dir } = runSession();
    const file = join(dir, JOURNAL_FILE);
    const text = readFileSync(file, 'utf8');
    // Cut in the middle of the last third: no E record, a torn tail.
    const cut = text.slice(0, Math.floor(text.length * 0.7));
    writeFileSync(file, cut);
    const r = replayJournal(dir);
    expect(r.end).toBeNull();
    expect(r.tornTail).toBeGreaterThan(0);
    expect(r.firstDifference).toBeNull();
    expect(r.matched).toBe(r.commands);
    const lines = cut.split('\n');
    lines[5] = 'garbage';
    writeFileSync(file, lines.join('\n'));
    expect(() => replayJournal(dir)).toThrow(/not a journal record/);
    try {
      replayJournal(dir);
    } catch (e) {
      expect((e as { location?: { line?: number } }).location?.line).toBe(6);
    }
  });
});
