// The engine loop with fake sides: who sees what when, the tie-break, FIFO latency, and that the
// processing order does not depend on the batch sizes of the source.
import { describe, expect, it } from 'vitest';
import { SimClock } from '../../src/core/clock.ts';
import { Rng } from '../../src/core/random.ts';
import { BacktestEngine } from '../../src/backtest/engine.ts';
import type { TraderPort } from '../../src/trader/index.ts';
import { ConstantLatency, DEFAULT_OFFSET_SAMPLE_EVENTS, RandomLatency, estimateClockOffsetUs, medianOffsetUs, type OrderLatencyModel } from '../../src/backtest/latency.ts';
import { ArrayBatch } from '../../src/store/index.ts';
import { rebatch } from '../../src/backtest/feed.ts';
import type { MarketEvent, Trade } from '../../src/model/events.ts';
import type { ExecutionReport, SimVenue, VenueCommand, VenueEvent } from '../../src/model/venue.ts';

function trade(i: number, exUs: number, rxUs: number, symbol = 'BTCUSDT', matchUs = exUs): Trade {
  return { type: 'trade', symbol, tsExchangeUs: exUs, tsReceiveUs: rxUs, tsTransactUs: matchUs, tradeId: i, priceTicks: 1000 + i, qtyLots: 1, buyerIsMaker: i % 2 === 0 };
}

function report(cmd: VenueCommand, tsUs: number): ExecutionReport {
  const cid = cmd.kind === 'submit' ? cmd.order.clientOrderId : cmd.clientOrderId;
  return {
    symbol: 'BTCUSDT', clientOrderId: cid, orderId: 1, execType: cmd.kind === 'cancel' ? 'CANCELED' : 'NEW', status: cmd.kind === 'cancel' ? 'CANCELED' : 'NEW',
    side: 'buy', priceTicks: 1, origQtyLots: 1, cumFilledLots: 0, lastFillLots: 0, lastFillPriceTicks: 0, tradeId: -1, liquidity: null, commission: '0',
    errorCode: 0, errorMessage: '', reduceOnly: false, tsExchangeUs: tsUs,
  };
}

/** Records every call with the clock time; the strategy sends one order per `every` market events and a timer 500 µs after each. */
function fakes(clock: SimClock, log: string[], every = 3) {
  let seen = 0;
  let pending: VenueCommand[] = [];
  let timerAt = Infinity;
  const strategy: TraderPort = {
    onMarketEvent(e) {
      log.push(`${clock.nowUs()} S market ${(e as Trade).tradeId}`);
      if (++seen % every === 0) {
        pending.push({ kind: 'submit', order: { symbol: 'BTCUSDT', clientOrderId: `c${seen}`, side: 'buy', type: 'LIMIT', timeInForce: 'GTX', priceTicks: 1, qtyLots: 1, reduceOnly: false } });
        if (timerAt === Infinity) timerAt = clock.nowUs() + 500;
      }
    },
    onVenueEvent(e) {
      if (e.kind === 'report') log.push(`${clock.nowUs()} S report ${e.report.clientOrderId} ${e.report.tsExchangeUs}`);
    },
    onTimer(t) {
      log.push(`${t} S timer`);
      timerAt = Infinity;
    },
    nextTimerUs: () => timerAt,
    drainCommands() {
      const out = pending;
      pending = [];
      return out;
    },
  };
  let reports: VenueEvent[] = [];
  const exchange: SimVenue = {
    onMarketEvent(e) {
      log.push(`${clock.nowUs()} X market ${(e as Trade).tradeId}`);
    },
    send(cmd, t) {
      log.push(`${t} X command ${cmd.kind === 'submit' ? cmd.order.clientOrderId : ''}`);
      reports.push({ kind: 'report', report: report(cmd, t) });
    },
    drainEvents() {
      const out = reports;
      reports = [];
      return out;
    },
  };
  return { strategy, exchange };
}

async function runLog(events: MarketEvent[], batch: number, latency: OrderLatencyModel = new ConstantLatency(100, 200), feed: { model: 'recorded' | 'constant'; latencyUs: number; clockOffsetUs: number | 'auto'; offsetSampleEvents: number; minLatencyUs: number } = { model: 'recorded', latencyUs: 0, clockOffsetUs: 0, offsetSampleEvents: 10, minLatencyUs: 0 }, matchWindowUs?: number, every?: number) {
  const clock = new SimClock(0);
  const log: string[] = [];
  const { strategy, exchange } = fakes(clock, log, every);
  const engine = new BacktestEngine({ clock, trader: strategy, venue: exchange, latency, feed, matchWindowUs });
  const stats = await engine.run(rebatch([events], batch));
  return { log, stats };
}

describe('BacktestEngine', () => {
  it('delivers market data at exchange time to the exchange and at receive time to the strategy; orders and reports cross the wire with latency', async () => {
    const events = [trade(1, 1_000, 1_050), trade(2, 1_010, 1_060), trade(3, 1_020, 1_070), trade(4, 1_400, 1_450)];
    const { log, stats } = await runLog(events, 2);
    expect(log).toEqual([
      '1000 X market 1',
      '1010 X market 2',
      '1020 X market 3',
      '1050 S market 1',
      '1060 S market 2',
      '1070 S market 3', // sends c3: arrives at 1170, report back at 1370; timer at 1570
      '1170 X command c3',
      '1370 S report c3 1170',
      '1400 X market 4',
      '1450 S market 4',
    ]);
    // The timer at 1570 is after the last market event (1450): the run has ended.
    expect(stats.marketEvents).toBe(4);
    expect(stats.commandsSent).toBe(1);
    expect(stats.reportsDelivered).toBe(1);
    expect(stats.meanFeedLatencyUs).toBe(50);
  });

  it('breaks ties: exchange data, then order arrival, then strategy data, then reports, then timers', async () => {
    // Order c3 is sent at 1070 and arrives at 1170 exactly when event 4 reaches the exchange;
    // the report comes back at 1370 when event 5 reaches the strategy; the timer (1570) ties with event 6's delivery.
    const events = [trade(1, 1_000, 1_050), trade(2, 1_010, 1_060), trade(3, 1_020, 1_070), trade(4, 1_170, 1_300), trade(5, 1_200, 1_370), trade(6, 1_500, 1_570), trade(7, 1_600, 1_700)];
    const { log } = await runLog(events, 3);
    const at = (t: number) => log.filter((l) => l.startsWith(`${t} `));
    expect(at(1170)).toEqual(['1170 X market 4', '1170 X command c3']);
    expect(at(1370)).toEqual(['1370 S market 5', '1370 S report c3 1170']);
    expect(at(1570)).toEqual(['1570 S market 6', '1570 S timer']);
  });

  it('never lets the strategy see an event before the exchange, and keeps both clocks monotone', async () => {
    // Receive times earlier than exchange times (clock skew) and an exchange stamp going backwards.
    const events = [trade(1, 1_000, 900), trade(2, 1_100, 1_000), trade(3, 1_050, 1_200), trade(4, 1_300, 1_250)];
    const { log } = await runLog(events, 1);
    const times = log.map((l) => Number(l.split(' ')[0]));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    const seen = (side: 'X' | 'S', id: number) => Number(log.find((l) => l.endsWith(`${side} market ${id}`))!.split(' ')[0]);
    for (let id = 1; id <= 4; id++) expect(seen('S', id)).toBeGreaterThanOrEqual(seen('X', id));
    // The exchange sees event 3 at its own time, before event 2 (match-time order); the strategy in feed order.
    expect(log.filter((l) => l.includes(' X market')).map((l) => l.split(' ').slice(0, 1).concat(l.split(' ').at(-1)!).join('/'))).toEqual(['1000/1', '1050/3', '1100/2', '1300/4']);
    expect(log.filter((l) => l.includes(' S market')).map((l) => l.split(' ').at(-1))).toEqual(['1', '2', '3', '4']);
  });

  it('replays the exchange side in match-time order (T), the strategy side in feed order, whatever the batching', async () => {
    // Trade 2 matched at 1010 but was published late (E 1500, received 1550), after trade 3 (T 1020).
    const events = [trade(1, 1_000, 1_050, 'BTCUSDT', 1_000), trade(3, 1_030, 1_060, 'BTCUSDT', 1_020), trade(2, 1_500, 1_550, 'BTCUSDT', 1_010), trade(4, 1_600, 1_650, 'BTCUSDT', 1_600)];
    for (const batch of [1, 2, 10]) {
      const { log, stats } = await runLog(events, batch);
      expect(log.filter((l) => l.includes(' X market'))).toEqual(['1000 X market 1', '1010 X market 2', '1020 X market 3', '1600 X market 4']);
      expect(log.filter((l) => l.includes(' S market'))).toEqual(['1050 S market 1', '1060 S market 3', '1550 S market 2', '1650 S market 4']);
      expect(stats.reorderedEvents).toBe(1);
      expect(stats.lateMatchEvents).toBe(0);
    }
  });

  it('places an event that matched more than the window before what was read earlier at the window edge, counted, the same for every batching', async () => {
    // Window 100 µs: trade 4 (T 1100) is read after trade 3 (T 1600): placed at 1600 − 100 = 1500, after trade 2 (T 1500, earlier in the feed).
    const events = [trade(1, 1_000, 1_010, 'BTCUSDT', 1_000), trade(2, 1_500, 1_510, 'BTCUSDT', 1_500), trade(3, 1_600, 1_610, 'BTCUSDT', 1_600), trade(4, 1_700, 1_710, 'BTCUSDT', 1_100), trade(5, 1_800, 1_810, 'BTCUSDT', 1_800)];
    const logs: string[][] = [];
    for (const batch of [1, 3, 10]) {
      const { log, stats } = await runLog(events, batch, undefined, undefined, 100, 1_000);
      logs.push(log);
      expect(log.filter((l) => l.includes(' X market'))).toEqual(['1000 X market 1', '1500 X market 2', '1500 X market 4', '1600 X market 3', '1800 X market 5']);
      expect(stats.lateMatchEvents).toBe(1);
    }
    expect(logs[1]).toEqual(logs[0]);
    expect(logs[2]).toEqual(logs[0]);
  });

  it('keeps command arrivals between market events by match time: an order arriving after a print\'s match time sees it after the print', async () => {
    // The strategy sends c1 on seeing trade 1 at 1010: it reaches the exchange at 1110. Trade 2 matched at 1100 but was
    // published at 1400: the exchange sees it before the order, not after (feed order would have put it at 1400).
    const events = [trade(1, 1_000, 1_010, 'BTCUSDT', 1_000), trade(2, 1_400, 1_410, 'BTCUSDT', 1_100), trade(3, 1_500, 1_510, 'BTCUSDT', 1_500)];
    const { log } = await runLog(events, 1, new ConstantLatency(100, 100), undefined, undefined, 1);
    const x = log.filter((l) => l.includes(' X '));
    expect(x.slice(0, 3)).toEqual(['1000 X market 1', '1100 X market 2', '1110 X command c1']);
  });

  it('processes the same sequence whatever the batch size of the source', async () => {
    const rng = new Rng(7);
    const events: MarketEvent[] = [];
    let ex = 1_000_000;
    let rx = 0;
    for (let i = 0; i < 400; i++) {
      ex += rng.int(300);
      rx = Math.max(rx, ex + 50 + rng.int(400));
      events.push(trade(i, ex, rx));
    }
    const lat = () => new RandomLatency(new Rng('lat'), { distribution: 'exponential', entryMeanUs: 300, responseMeanUs: 300, sigma: 0, minUs: 10 });
    const a = await runLog(events, 1, lat());
    const b = await runLog(events, 37, lat());
    const c = await runLog(events, 10_000, lat());
    expect(a.log.length).toBeGreaterThan(800);
    expect(b.log).toEqual(a.log);
    expect(c.log).toEqual(a.log);
  });

  it('keeps each direction FIFO under random latency', async () => {
    const events: MarketEvent[] = [];
    for (let i = 0; i < 300; i++) events.push(trade(i, 1_000 + i * 10, 1_100 + i * 10));
    const { log } = await runLog(events, 50, new RandomLatency(new Rng(3), { distribution: 'uniform', entryMeanUs: 400, responseMeanUs: 400, sigma: 0, minUs: 0 }));
    const arrivals = log.filter((l) => l.includes('X command')).map((l) => Number(l.split(' ').at(-1)!.slice(1)));
    const replies = log.filter((l) => l.includes('S report')).map((l) => Number(l.split(' ')[3].slice(1)));
    expect(arrivals.length).toBeGreaterThan(50);
    expect(arrivals).toEqual([...arrivals].sort((a, b) => a - b));
    expect(replies).toEqual([...replies].sort((a, b) => a - b));
  });

  it('clockOffsetUs auto removes the median receive − exchange of the first events', async () => {
    const events: MarketEvent[] = [];
    for (let i = 0; i < 20; i++) events.push(trade(i, 1_000 + i * 100, 1_000 + i * 100 + 5_000 + (i % 5) * 10));
    const { log, stats } = await runLog(events, 4, new ConstantLatency(10, 10), { model: 'recorded', latencyUs: 0, clockOffsetUs: 'auto', offsetSampleEvents: 10, minLatencyUs: 5 });
    expect(stats.clockOffsetUs).toBe(5_020); // diffs 5000,5010,5020,5030,5040 twice: lower median
    expect(log.find((l) => l.endsWith('S market 0'))).toBe('1005 S market 0'); // 6000 − 5020 = 980 < 1000 + floor 5
    expect(log.find((l) => l.endsWith('S market 4'))).toBe('1420 S market 4');
  });

  it('clockOffsetUs auto is not moved by a burst at the start: seconds weigh, not events (fails on the median of the first events)', async () => {
    // Recorder clock 1.27 s behind. The first 3 s carry a burst (10,000 events/s, 11 ms more
    // latency: a backlog being flushed); the next 297 s are calm (50 events/s, latency 1 ms ± 0.3 ms).
    // The burst is two thirds of the events but 1 % of the time.
    const OFFSET = -1_270_000;
    const T0 = 1_700_000_000_000_000;
    const events: MarketEvent[] = [];
    for (let i = 0; i < 30_000; i++) {
      const ex = T0 + i * 100;
      events.push(trade(events.length, ex, ex + OFFSET + 11_000 + (i % 7) * 50));
    }
    for (let i = 0; i < 14_850; i++) {
      const ex = T0 + 3_000_000 + i * 20_000;
      events.push(trade(events.length, ex, ex + OFFSET + 1_000 + ((i % 7) - 3) * 100));
    }
    const feed = { model: 'recorded' as const, latencyUs: 0, clockOffsetUs: 'auto' as const, offsetSampleEvents: DEFAULT_OFFSET_SAMPLE_EVENTS, minLatencyUs: 0 };
    const { stats } = await runLog(events, 4_096, new ConstantLatency(10, 10), feed);
    expect(stats.clockOffsetUs).toBe(OFFSET + 1_000);
    // The old estimator, the median of the first 1,000 (or all 44,850) events, lands in the burst.
    const diffs = events.map((e) => e.tsReceiveUs - e.tsExchangeUs);
    expect(medianOffsetUs(diffs.slice(0, 1_000))).toBeGreaterThanOrEqual(OFFSET + 11_000);
    expect(medianOffsetUs(diffs)).toBeGreaterThanOrEqual(OFFSET + 11_000);
    expect(estimateClockOffsetUs([new ArrayBatch(events)], 1_000)).toBeGreaterThanOrEqual(OFFSET + 11_000); // 1,000 events: only burst seconds
  });

  it('constant feed latency stamps the strategy side at exchange time + latency', async () => {
    const events = [trade(1, 1_000, 99_999), trade(2, 2_000, 5)];
    const { log } = await runLog(events, 1, new ConstantLatency(1, 1), { model: 'constant', latencyUs: 250, clockOffsetUs: 0, offsetSampleEvents: 1, minLatencyUs: 0 });
    expect(log).toEqual(['1000 X market 1', '1250 S market 1', '2000 X market 2', '2250 S market 2']);
  });
});
