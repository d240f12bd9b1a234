// DataQualityTracker by hand: coverage against the requested window, streams without events,
// the book's time out of sync from validity events, and the first quote from decisions.
import { describe, expect, it } from 'vitest';
import { DataQualityTracker, fmtDuration, fmtPct, normaliseReason, type DataQuality, type DataQualityWarning } from '../../../src/backtest/report/index.ts';
import type { SymbolCoverage } from '../../../src/backtest/index.ts';
import type { Intent, RiskDecision } from '../../../src/model/trading.ts';

const S = 1_000_000;
const T0 = Date.UTC(2024, 0, 1) * 1000;
const DAY = 86_400 * S;

function coverage(streams: Record<string, [number, number, number, number?]>): SymbolCoverage[] {
  const names = ['depth', 'trades', 'bookTicker', 'aggTrades', 'markPrice'];
  return [
    {
      symbol: 'BTCUSDT',
      streams: names.map((stream) => {
        const c = streams[stream];
        if (!c) return { stream, events: 0, firstUs: null, lastUs: null, longestSilenceUs: null, longestSilenceFromUs: null };
        const [events, firstUs, lastUs, silenceUs] = c;
        return { stream, events, firstUs, lastUs, longestSilenceUs: silenceUs ?? 0, longestSilenceFromUs: firstUs };
      }),
    },
  ];
}

/** Warnings about data (these tests feed no decisions, so every symbol also "never quoted"). */
const dataWarnings = (q: DataQuality): DataQualityWarning[] => q.warnings.filter((w) => w.code !== 'NEVER_QUOTED');

const finishOpts = {
  explicitStreams: null,
  streams: ['depth', 'trades', 'bookTicker', 'aggTrades', 'markPrice'],
  bookMode: 'depth',
  syncCounters: () => ({ gaps: 2, resyncs: 2, crossed: 0, applied: 0, dropped: 0, buffered: 0, evicted: 0, snapshots: 3, ignoredSnapshots: 0 }),
};

const intent = (quotes: number, reason: string): Intent => ({ symbol: 'BTCUSDT', tsUs: 0, quotes: Array.from({ length: quotes }, (_, i) => ({ side: i % 2 ? 'sell' : 'buy', priceTicks: 100 + i, qtyLots: 1, level: 0 })), cancelAll: quotes === 0, flatten: false, reason });
const approved = (i: Intent): RiskDecision => ({ approved: true, intent: i, trims: [], state: 'ACTIVE' });
const denied = (code: 'BOOK_INVALID' | 'STALE_DATA'): RiskDecision => ({ approved: false, reason: { code, message: '' }, state: 'ACTIVE', cancelAll: true });

describe('coverage', () => {
  it('5 minutes of data for a 31-day range: 0.011 %, one warning per stream, the shortfall in words', () => {
    const t = new DataQualityTracker(['BTCUSDT'], T0);
    const q = t.finish({ ...finishOpts, endUs: T0 + 300 * S, range: { fromUs: T0, toUs: T0 + 31 * DAY, text: '2024-01-01..2024-01-31' }, coverage: coverage({ depth: [6000, T0, T0 + 300 * S, 100_000], bookTicker: [60_000, T0, T0 + 300 * S, 50_000] }) });
    const depth = q.symbols[0].streams[0];
    expect(depth.coveredSeconds).toBeCloseTo(300.1, 6); // + the longest silence after the last event
    expect(depth.coveragePct).toBeCloseTo((100 * 300.1) / (31 * 86_400), 9);
    expect(q.requested.seconds).toBe(31 * 86_400);
    expect(dataWarnings(q).map((w) => `${w.code} ${w.stream}`)).toEqual(['COVERAGE depth', 'COVERAGE bookTicker']);
    expect(q.warnings[0].message).toBe('BTCUSDT depth: the data covers 5.0 min of the 31.0 d requested (0.011 %, below 99 %)');
  });

  it('edges no longer than the stream\'s longest silence count as covered; a late start does not', () => {
    const t = new DataQualityTracker(['BTCUSDT'], T0);
    const range = { fromUs: T0, toUs: T0 + 100 * S, text: 'r' };
    // markPrice at 1 Hz from 1 s to 99 s: covered 100 %. trades from 16 s (longest silence 2 s): 86 %.
    const q = t.finish({ ...finishOpts, endUs: T0 + 100 * S, range, coverage: coverage({ markPrice: [99, T0 + S, T0 + 99 * S, S], trades: [5000, T0 + 16 * S, T0 + 100 * S, 2 * S] }) });
    const by = Object.fromEntries(q.symbols[0].streams.map((s) => [s.stream, s]));
    expect(by.markPrice.coveragePct).toBe(100);
    expect(by.trades.coveragePct).toBeCloseTo(86, 9);
    expect(dataWarnings(q).map((w) => `${w.code} ${w.stream}`)).toEqual(['COVERAGE trades']);
  });

  it('a stream asked for in data.streams with no events is a warning; one merely absent from the data is not', () => {
    const t = new DataQualityTracker(['BTCUSDT'], T0);
    const range = { fromUs: T0, toUs: T0 + 10 * S, text: 'r' };
    const q = t.finish({ ...finishOpts, explicitStreams: ['bookTicker', 'markPrice'], streams: ['bookTicker', 'markPrice'], endUs: T0 + 10 * S, range, coverage: coverage({ bookTicker: [1000, T0, T0 + 10 * S] }) });
    expect(q.symbols[0].streams.map((s) => [s.stream, s.requested, s.events])).toEqual([['bookTicker', true, 1000], ['markPrice', true, 0]]);
    expect(dataWarnings(q)).toEqual([{ code: 'NO_EVENTS', symbol: 'BTCUSDT', stream: 'markPrice', message: 'BTCUSDT markPrice: no events, though data.streams asks for it' }]);
  });

  it('without data.range the data\'s own span is the requested window', () => {
    const t = new DataQualityTracker(['BTCUSDT'], T0);
    const q = t.finish({ ...finishOpts, endUs: T0 + 10 * S, range: null, coverage: coverage({ depth: [10, T0 + S, T0 + 10 * S], trades: [10, T0 + 2 * S, T0 + 5 * S] }) });
    expect(q.requested).toMatchObject({ fromUs: T0 + S, toUs: T0 + 10 * S, seconds: 9 });
    expect(q.requested.text).toMatch(/all data/);
    expect(dataWarnings(q).map((w) => w.stream)).toEqual(['trades']);
  });
});

describe('the trader\'s book', () => {
  it('integrates valid and invalid time from the validity events; episodes after the first book event', () => {
    const t = new DataQualityTracker(['BTCUSDT'], T0);
    t.onBookValidity({ symbol: 'BTCUSDT', tsUs: T0 + 2 * S, valid: false, cause: 'awaitingSync' });
    t.onBookValidity({ symbol: 'BTCUSDT', tsUs: T0 + 3 * S, valid: true, cause: 'synced' });
    t.onBookValidity({ symbol: 'BTCUSDT', tsUs: T0 + 50 * S, valid: false, cause: 'gap' });
    t.onBookValidity({ symbol: 'BTCUSDT', tsUs: T0 + 80 * S, valid: true, cause: 'resynced' });
    t.onStreamChanged({ stream: 'market', up: false, symbols: ['BTCUSDT'] });
    t.onBookValidity({ symbol: 'BTCUSDT', tsUs: T0 + 90 * S, valid: false, cause: 'streamDown' });
    const q = t.finish({ ...finishOpts, endUs: T0 + 100 * S, range: { fromUs: T0, toUs: T0 + 100 * S, text: 'r' }, coverage: coverage({ depth: [1000, T0 + 2 * S, T0 + 100 * S, S] }) });
    const b = q.symbols[0].book;
    expect(b.firstBookEventUs).toBe(T0 + 2 * S);
    expect(b.firstValidUs).toBe(T0 + 3 * S);
    expect(b.validSeconds).toBe(47 + 10);
    expect(b.validPct).toBeCloseTo(57, 12);
    expect(b.outOfSyncSeconds).toBe(30 + 10); // not the 2 s before any book event (coverage), nor the 1 s initial sync
    expect(b.outOfSyncPct).toBeCloseTo(40, 12);
    expect(b.initialSyncSeconds).toBe(1);
    expect(b).toMatchObject({ gaps: 2, resyncs: 2, streamDowns: 1, episodesTotal: 3 });
    expect(b.episodes).toEqual([
      { fromUs: T0 + 2 * S, toUs: T0 + 3 * S, seconds: 1, cause: 'awaitingSync' },
      { fromUs: T0 + 50 * S, toUs: T0 + 80 * S, seconds: 30, cause: 'gap' },
      { fromUs: T0 + 90 * S, toUs: null, seconds: 10, cause: 'streamDown' },
    ]);
    expect(dataWarnings(q).map((w) => w.code)).toEqual(['OUT_OF_SYNC']);
    expect(q.warnings[0].message).toBe('BTCUSDT: the trader\'s book was out of sync for 40 s (40.00 % of the run, above 1 %; 2 gaps, 2 resyncs, 0 crossed)');
  });
});

describe('first quote', () => {
  it('charges each stretch before the first quote to the reason that held, strategy first, then risk', () => {
    const t = new DataQualityTracker(['BTCUSDT'], T0);
    const decide = (us: number, i: Intent, d: RiskDecision): boolean => {
      t.onIntent({ symbol: 'BTCUSDT', intent: i });
      return t.onRiskDecided({ symbol: 'BTCUSDT', tsUs: T0 + us, decision: d });
    };
    expect(decide(1 * S, intent(0, 'glft: no quotes: book invalid (out of sync)'), denied('BOOK_INVALID'))).toBe(false);
    expect(decide(2 * S, intent(0, 'glft: no quotes: signal sigmaTicksPerSqrtS not ready'), approved(intent(0, '')))).toBe(false);
    expect(decide(5 * S, intent(2, 'glft: fair 100'), denied('STALE_DATA'))).toBe(false);
    expect(decide(6 * S, intent(2, 'glft: fair 100'), { approved: true, intent: intent(0, ''), trims: [{ quote: intent(1, '').quotes[0], keptLots: 0, reason: { code: 'MAX_POSITION', message: '' } }], state: 'ACTIVE' })).toBe(false);
    expect(decide(7 * S, intent(2, 'glft: fair 100'), approved(intent(2, '')))).toBe(true); // every symbol has quoted
    const q = t.finish({ ...finishOpts, endUs: T0 + 10 * S, range: { fromUs: T0, toUs: T0 + 10 * S, text: 'r' }, coverage: coverage({ depth: [10, T0, T0 + 10 * S] }) });
    expect(q.symbols[0].quoting).toEqual({
      firstQuoteUs: T0 + 7 * S,
      secondsToFirstQuote: 7,
      decisionsBefore: 4,
      reasons: [
        { reason: 'glft: signal sigmaTicksPerSqrtS not ready', decisions: 1, seconds: 3 },
        { reason: 'glft: book invalid (out of sync)', decisions: 1, seconds: 1 },
        { reason: 'no decision yet (no book data)', decisions: 0, seconds: 1 },
        { reason: 'risk denied: STALE_DATA', decisions: 1, seconds: 1 },
        { reason: 'risk trimmed every quote: MAX_POSITION', decisions: 1, seconds: 1 },
      ],
    });
    expect(q.warnings).toEqual([]);
  });

  it('never quoted: the time runs to the end of the run, and a warning names the main reason', () => {
    const t = new DataQualityTracker(['BTCUSDT'], T0);
    t.onIntent({ symbol: 'BTCUSDT', intent: intent(0, 'glft: no quotes: signal intensityAPerS not ready') });
    t.onRiskDecided({ symbol: 'BTCUSDT', tsUs: T0, decision: approved(intent(0, '')) });
    const q = t.finish({ ...finishOpts, endUs: T0 + 60 * S, range: { fromUs: T0, toUs: T0 + 60 * S, text: 'r' }, coverage: coverage({ depth: [10, T0, T0 + 60 * S] }) });
    expect(q.symbols[0].quoting).toEqual({ firstQuoteUs: null, secondsToFirstQuote: null, decisionsBefore: 1, reasons: [{ reason: 'glft: signal intensityAPerS not ready', decisions: 1, seconds: 60 }] });
    expect(q.warnings.map((w) => w.message)).toEqual(['BTCUSDT: the strategy never quoted (mostly: glft: signal intensityAPerS not ready, for 60 s)']);
  });
});

describe('formatting', () => {
  it('durations, percentages and reasons for people', () => {
    expect([0.0541, 9.8, 300, 7200, 31 * 86_400].map(fmtDuration)).toEqual(['0.054 s', '9.8 s', '5.0 min', '2.0 h', '31.0 d']);
    expect([null, 0, 0.01123, 99.994, 100].map(fmtPct)).toEqual(['–', '0.00 %', '0.011 %', '99.99 %', '100.00 %']);
    expect(normaliseReason('fixed: no quotes: book crossed or locked (bid 618000 ≥ ask 617999)')).toBe('fixed: book crossed or locked (bid # ≥ ask #)');
  });
});
