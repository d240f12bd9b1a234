// forceOrder end to end: a store S holding the synthetic market plus liquidation orders (one every
// 2.5 s, both sides, partial and full, an average price off the tick), replayed by the local
// exchange, recorded with `forceOrder: true` on the /market route alone (so that route carries
// only the sparse stream: no stall drop) while both connections are replaced every 1.5 s: S' has
// exactly S's liquidation orders, once each, in order, and no gap; the journal holds them as the
// wire sent them and `maker data check` counts them (and is clean).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ForceOrder, MarketEvent } from '../../src/model/events.ts';
import { formatReport, runCheck } from '../../src/cli/commands/data.ts';
import { isClean } from '../../src/marketdata/index.ts';
import { Recorder } from '../../src/record/index.ts';
import { routeStreams } from '../../src/record/streams.ts';
import { importEvents } from '../../src/store/index.ts';
import { DEFAULT_SYNTHETIC, generateSynthetic, syntheticInstrument } from '../../src/synthetic/index.ts';
import { readStore, startReplayExchange, streamOf, tempDir, VENUE, waitFor } from './helpers.ts';

const inst = syntheticInstrument('BTCUSDT');
const START_US = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z

/** The synthetic market's first `seconds`, with a liquidation order every 2.5 s interleaved by receive time. */
function sourceEvents(seconds: number): MarketEvent[] {
  const market = [...generateSynthetic({ ...DEFAULT_SYNTHETIC, seed: 7, durationS: seconds, startUs: START_US }, inst)].flat();
  const forced: ForceOrder[] = [];
  for (let k = 0, t = START_US + 700_000; t < START_US + (seconds - 1) * 1e6; k++, t += 2_500_000) {
    const partial = k % 3 === 2;
    forced.push({
      type: 'forceOrder', symbol: 'BTCUSDT', tsExchangeUs: t, tsReceiveUs: t + 40_000, tsTransactUs: t - 3_000, side: k % 2 === 0 ? 'sell' : 'buy', orderType: 'LIMIT', timeInForce: 'IOC',
      origQtyLots: 14 + k, priceTicks: DEFAULT_SYNTHETIC.startMidTicks - 50 + k, avgPrice: `${59_990 + k}.12345678`,
      status: partial ? 'PARTIALLY_FILLED' : 'FILLED', lastFilledQtyLots: partial ? 5 : 14 + k, filledQtyLots: partial ? 9 : 14 + k,
    });
  }
  // Stable merge by receive time: market events first on ties.
  return [...market, ...forced].map((e, i) => ({ e, i })).sort((a, b) => a.e.tsReceiveUs - b.e.tsReceiveUs || a.i - b.i).map((x) => x.e);
}

describe('maker record: forceOrder', () => {
  const src = tempDir('force-src');
  const out = tempDir('force-out');
  afterAll(() => {
    src.cleanup();
    out.cleanup();
  });

  it('subscribes <symbol>@forceOrder on /market and stores every liquidation order once, across handovers', async () => {
    expect(routeStreams(['BTCUSDT'], { depthSpeed: '100ms', trade: true, aggTrade: false, bookTicker: false, markPrice: false, forceOrder: true }).get('market')).toEqual(['btcusdt@trade', 'btcusdt@forceOrder']);
    const events = sourceEvents(24);
    await importEvents({ root: src.dir, venue: VENUE, instruments: [inst], provenance: { importer: 'test', inputs: [] } }, [events]);
    const S = await readStore(src.dir);
    const want = streamOf(S, 'forceOrder');
    expect(want).toHaveLength(streamOf(events, 'forceOrder').length);
    expect(want.length).toBeGreaterThanOrEqual(8);

    const x = await startReplayExchange(src.dir, 4);
    const logs: string[] = [];
    const rec = new Recorder({
      symbols: ['BTCUSDT'], rest: x.base, ws: x.base.replace('http', 'ws'), out: out.dir,
      streams: { depthSpeed: '100ms', trade: false, aggTrade: false, bookTicker: false, markPrice: false, forceOrder: true },
      // A stall timeout below the gap between liquidations (2.5 s of data at 4× = 625 ms): the
      // forceOrder-only route must not trip it.
      rotateAfterMs: 1_500, overlapMs: 700, flushMs: 100, stallMs: 300, log: (l) => logs.push(l),
    });
    try {
      await rec.start();
      await waitFor('both routes connected', () => rec.status().connections === 2, 5_000);
      await x.release();
      await waitFor('the replay to end', () => x.ex.ended, 20_000);
      await waitFor('the recorder to hear every liquidation', () => (rec.status().streams['BTCUSDT/forceOrder']?.messages ?? 0) - (rec.status().streams['BTCUSDT/forceOrder']?.duplicates ?? 0) >= want.length, 5_000).catch((e: Error) => {
        throw new Error(`${e.message}\n${logs.join('\n')}`);
      });
    } finally {
      await rec.stop();
      await x.close();
    }
    const st = rec.status();
    expect(rec.error).toBeUndefined();
    expect(st.rotations, logs.join('\n')).toBeGreaterThanOrEqual(4);
    expect(st.reconnects, logs.join('\n')).toBe(0);
    expect(st.gaps, logs.join('\n')).toBe(0);
    // The handovers' overlaps (700 ms, longer than the 625 ms between liquidations) delivered some
    // liquidation orders twice: dropped as duplicates (same E).
    expect(st.streams['BTCUSDT/forceOrder'].duplicates).toBeGreaterThan(0);
    const S2 = await readStore(out.dir);
    expect(streamOf(S2, 'forceOrder')).toEqual(want);

    // `maker data check` on the recorded store lists them, and is clean.
    const report = await runCheck([out.dir], { json: true, quiet: true, synthetic: false } as Parameters<typeof runCheck>[1]);
    expect(report.symbols.BTCUSDT.forceOrders).toBe(want.length);
    expect(formatReport(report)).toContain(`liquidations    ${want.length} forceOrder(s)`);
    expect(isClean(report), formatReport(report)).toBe(true);
    // The store's partition lists its force_orders table.
    const dates = readdirSync(join(out.dir, VENUE, 'BTCUSDT')).filter((d) => /^\d{4}-/.test(d));
    const meta = JSON.parse(readFileSync(join(out.dir, VENUE, 'BTCUSDT', dates[0], 'meta.json'), 'utf8')) as { format: string; tables: Record<string, { rows: number }>; recording: { sessions: { streams: string[] }[] } };
    expect(meta.format).toBe('maker-store/5');
    expect(meta.tables.force_orders.rows).toBe(want.length);
    expect(meta.recording.sessions[0].streams).toContain('btcusdt@forceOrder');
  }, 60_000);
});
