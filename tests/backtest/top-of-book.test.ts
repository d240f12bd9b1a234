// Top-of-book backtests, as `scenarios/btc-jan.yaml` runs them on data.binance.vision files:
// bookTicker + trades CSVs (no depth) → `maker import` → `maker backtest` with `book: top-of-book`.
// The CSVs are written from the seeded synthetic market, in data.binance.vision's column layout.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SYNTHETIC, generateSynthetic, syntheticInstrument } from '../../src/synthetic/index.ts';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'maker-tob-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function maker(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [makerBin(), ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Writes `BTCUSDT-bookTicker-2024-01-01.csv` and `BTCUSDT-trades-2024-01-01.csv` (with header rows). */
function writeVisionCsvs(dir: string, durationS: number): { quotes: number; trades: number } {
  const inst = syntheticInstrument();
  const bt = ['update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time'];
  const tr = ['id,price,qty,quote_qty,time,is_buyer_maker'];
  for (const batch of generateSynthetic({ ...DEFAULT_SYNTHETIC, seed: 5, durationS }, inst)) {
    for (const e of batch) {
      const ms = Math.floor(e.tsExchangeUs / 1000);
      if (e.type === 'bookTicker') {
        bt.push(`${e.updateId},${inst.ticksToPrice(e.bidTicks)},${inst.lotsToQty(e.bidLots)},${inst.ticksToPrice(e.askTicks)},${inst.lotsToQty(e.askLots)},${ms},${ms}`);
      } else if (e.type === 'trade') {
        const quote = (inst.ticksToFloat(e.priceTicks) * inst.lotsToFloat(e.qtyLots)).toFixed(4);
        tr.push(`${e.tradeId},${inst.ticksToPrice(e.priceTicks)},${inst.lotsToQty(e.qtyLots)},${quote},${ms},${e.buyerIsMaker}`);
      }
    }
  }
  writeFileSync(join(dir, 'BTCUSDT-bookTicker-2024-01-01.csv'), `${bt.join('\n')}\n`);
  writeFileSync(join(dir, 'BTCUSDT-trades-2024-01-01.csv'), `${tr.join('\n')}\n`);
  return { quotes: bt.length - 1, trades: tr.length - 1 };
}

describe('top-of-book backtest from data.binance.vision CSVs', () => {
  it('imports bookTicker + trades, runs btc-jan with a 1-level book, fills, and says which data it had', () => {
    const counts = writeVisionCsvs(tmp, 120);
    const store = join(tmp, 'store');
    const imp = maker('import', join(tmp, 'BTCUSDT-bookTicker-2024-01-01.csv'), join(tmp, 'BTCUSDT-trades-2024-01-01.csv'), '--out', store, '--infer-spec', '--json', '--quiet');
    expect(imp.code).toBe(0);
    const stats = JSON.parse(imp.stdout).stats;
    expect(stats.symbols.BTCUSDT.bookTicker).toBe(counts.quotes);
    expect(stats.symbols.BTCUSDT.trade).toBe(counts.trades);
    expect(stats.symbols.BTCUSDT.depth).toBe(0);

    const out = join(tmp, 'run');
    const r = maker(
      'backtest', '--scenario', join(ROOT, 'scenarios', 'btc-jan.yaml'),
      '--set', `data.store=${store}`,
      '--set', 'data.range=2024-01-01T00:00:00Z..2024-01-01T00:01:59Z',
      '--out', out, '--json', '--quiet',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.dataKind).toMatch(/top of book/);
    expect(summary.engine.marketEvents).toBe(counts.quotes + counts.trades);
    expect(summary.metrics.trading.fills).toBeGreaterThan(0);
    const written = JSON.parse(readFileSync(join(out, summary.runId, 'summary.json'), 'utf8'));
    expect(written.determinism.eventLogHash).toBe(summary.determinism.eventLogHash);
  });
});
