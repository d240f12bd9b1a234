/**
 * `backtest()`: runs a scenario end to end with the real parts (parts.ts) and returns what the CLI
 * writes out: the run result, the metrics, the run info (id, fingerprint, determinism hash), the
 * initial capital, the data-quality block (report/quality.ts) and notes on the run's economics.
 * The recorder is finished (and its tables settled) here; nothing is written to disk.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Instrument } from '../model/instrument.ts';
import type { Scenario } from '../scenario/index.ts';
import { dataKind, feeSchedule, realParts, type RealParts } from './parts.ts';
import { addFundingQuality, addStoreQuality, canonicalJson, computeMetrics, type DataQuality, type RunInfo, type RunMetrics } from './report/index.ts';
import { runScenario, type RunOptions, type RunResult } from './run.ts';

export interface BacktestOutcome {
  result: RunResult<RealParts>;
  metrics: RunMetrics;
  info: RunInfo;
  /** The initial capital in the margin asset. */
  initialCapital: string;
  /** Requested vs covered data, the trader's book out of sync, the first quote; with its warnings. */
  dataQuality: DataQuality;
  /** Plain statements about the run a reader should not miss (e.g. fees above the edge per fill). */
  notes: string[];
  /** The scenario that ran. */
  scenario: Scenario;
}

/** The scenario as the run used it (plain JSON, stable key order via canonicalJson). */
export function resolvedScenario(s: Scenario): Record<string, unknown> {
  const { raw: _raw, file: _file, ...rest } = s;
  return JSON.parse(canonicalJson(rest)) as Record<string, unknown>;
}

/** The deterministic run id: `<scenario name>-s<seed>-<12 hex of sha256(resolved scenario, data fingerprint)>`. */
export function runIdFor(s: Scenario, fingerprint: string): string {
  const name = (s.name || s.file.replace(/^.*\//, '').replace(/\.ya?ml$/, '') || 'scenario').replace(/[^A-Za-z0-9._-]+/g, '-');
  const hash = createHash('sha256').update(canonicalJson(resolvedScenario(s))).update('\n').update(fingerprint).digest('hex');
  return `${name}-s${s.seed}-${hash.slice(0, 12)}`;
}

/** Code version stamped into summaries: the package version. */
export function codeVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return `maker ${pkg.version ?? 'unknown'}`;
  } catch {
    return 'maker unknown';
  }
}

/**
 * Runs a scenario end to end with the real parts; the recorder is finished, outputs not written.
 * `onParts` sees the parts before the first event (to subscribe to the core's bus: the live
 * report collects the simulated fills there); it must not feed them.
 */
export async function backtest(s: Scenario, runId: (fingerprint: string) => string, opts: RunOptions = {}, onParts?: (parts: RealParts) => void): Promise<BacktestOutcome> {
  let made: RealParts | undefined;
  let result: RunResult<RealParts>;
  try {
    result = await runScenario(
      s,
      (ctx) => {
        made = realParts(ctx);
        onParts?.(made);
        return made;
      },
      opts,
    );
  } catch (e) {
    made?.recorder.abort(); // ends its encode thread, if it started one
    throw e;
  }
  const { recorder, core } = result.parts;
  try {
    recorder.finish(result.stats.lastUs);
    await recorder.settled();
  } catch (e) {
    recorder.abort();
    throw e;
  }
  const asset = result.data.instruments[0].spec.marginAsset.toUpperCase();
  const account = core.portfolio.accountSnapshot(asset);
  const initialCapital = s.account.balances[asset] ?? s.account.balances[Object.keys(s.account.balances).find((k) => k.toUpperCase() === asset) ?? ''] ?? '0';
  const metrics = computeMetrics(recorder, { initialCapital, pnl: account.pnl, returnIntervalUs: s.report.returnIntervalUs });
  const info: RunInfo = {
    runId: runId(result.data.fingerprint),
    scenarioName: s.name || (s.file ? s.file.replace(/^.*\//, '').replace(/\.ya?ml$/, '') : 'scenario'),
    scenarioSource: s.file || undefined,
    seed: s.seed,
    dataFingerprint: result.data.fingerprint,
    codeVersion: codeVersion(),
    dataKind: dataKind(result.data.bookMode, s.data.book === 'auto' && result.data.streams.includes('bookTicker')),
    determinismHash: result.eventLogHash,
  };
  const dataQuality = result.parts.quality.finish({
    endUs: result.stats.lastUs,
    range: s.data.range,
    explicitStreams: s.data.streams,
    streams: result.data.streams,
    coverage: result.coverage,
    bookMode: result.data.bookMode,
    syncCounters: (symbol) => core.bookSyncCounters(symbol),
  });
  const integrity = result.data.integrity;
  if (integrity !== undefined) {
    addStoreQuality(dataQuality, {
      verified: integrity.verified,
      unverified: integrity.unverified,
      damaged: integrity.damaged.map((c) => ({ path: c.path, message: c.message })),
      inputDamage: result.data.inputDamage ?? [],
      noMatchTime: result.data.noMatchTime ?? [],
    });
  }
  const f = s.execution.funding;
  addFundingQuality(dataQuality, {
    mode: f.mode,
    startUs: result.data.startUs,
    endUs: result.stats.lastUs,
    symbols: result.data.instruments.map((i) => i.symbol),
    settled: (symbol) => recorder.fundingEvents.reduce((n, e) => n + (e.symbol === symbol ? 1 : 0), 0),
    intervalUs: (f.mode === 'rate' ? f.intervalH : 8) * 3_600_000_000,
  });
  return { result, metrics, info, initialCapital, dataQuality, notes: [...economicsNotes(s, metrics), ...accountNotes(result.parts, result.data.instruments, s.account.leverage)], scenario: s };
}

/**
 * What the exchange-side account did that a reader must not miss: liquidations (each with its
 * time, price, quantity and fees, as the ledger booked them) and orders rejected -2019.
 */
export function accountNotes(parts: RealParts, instruments: readonly Instrument[], leverage: number): string[] {
  const notes: string[] = [];
  for (const l of parts.liquidations) {
    const inst = instruments.find((i) => i.symbol === l.symbol)!;
    notes.push(
      `${l.symbol}: LIQUIDATED at ${new Date(l.tsUs / 1000).toISOString()}: the exchange closed ${inst.lotsToQty(l.qtyLots)} (${l.side}) at ${inst.ticksToPrice(l.priceTicks)} ` +
        `(order ${l.clientOrderId}), commission ${l.commission}, insurance clearance ${l.insuranceClearance}; equity had fallen to the maintenance margin (account.leverage, account.brackets).`,
    );
  }
  const rejected = parts.sim.counters.marginRejects;
  if (rejected > 0) notes.push(`${rejected} order(s) were rejected -2019 "Margin is insufficient.": the account's equity did not cover their initial margin at account.leverage ${leverage}.`);
  return notes;
}

/**
 * A symbol whose edge per fill (side × (mid − price) at the fill, notional-weighted: the markout at
 * h = 0) is below its maker fee loses about the fee on every fill, whatever the market does: say so.
 */
export function economicsNotes(s: Scenario, m: RunMetrics): string[] {
  const fees = feeSchedule(s);
  const notes: string[] = [];
  for (const sm of m.symbols) {
    const edge = sm.markouts[0]?.bps ?? null;
    if (sm.fills === 0 || edge === null) continue;
    const feeBps = Number(fees.symbols?.[sm.symbol]?.makerRate ?? fees.default.makerRate) * 1e4;
    if (!(feeBps > 0) || edge >= feeBps) continue;
    notes.push(
      `${sm.symbol}: the edge captured per fill (${edge.toFixed(2)} bp of notional, side × (mid − price) at the fill) is below the maker fee (${Number(feeBps.toFixed(4))} bp), ` +
        'so every fill loses about the fee by construction; quoting wider than the fee (or a maker rebate) is what lets the spread pay.',
    );
  }
  return notes;
}
