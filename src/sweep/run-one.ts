/**
 * One run of a sweep: the scenario text with the sweep's base `--set` list, the run's parameter set
 * and (out-of-sample runs) the other range, loaded by the scenario loader exactly as `maker
 * backtest --set` would, then `backtest()` in this thread. Returns the headline metrics, the
 * data-quality flags and the determinism hash: plain JSON, so it crosses a worker boundary as is.
 * With `reportsDir`, the run's full report directory is also written (`writeRunOutputs`).
 *
 * Metrics are floats for ranking and tables; the exact PnL stays a decimal string (`pnlExact`).
 */
import { join } from 'node:path';
import { MakerError } from '../core/errors.ts';
import { backtest, resolvedScenario, runIdFor, writeRunOutputs } from '../backtest/index.ts';
import { parseScenario, type Override, type OverrideOrigin, type Scenario } from '../scenario/index.ts';

/** What a worker receives: everything needed to run, nothing shared. */
export interface RunTask {
  /** Stable id of the run inside its sweep (journal key). */
  key: string;
  phase: 'main' | 'oos';
  params: [string, string][];
  seed: number;
  scenarioText: string;
  scenarioFile: string;
  /** The sweep's `--set` list, applied before the parameters. */
  baseSet: string[];
  /** Applied after the parameters (the out-of-sample range). */
  phaseSet: string[];
  /** Write the run's report directory under here (null: none). */
  reportsDir: string | null;
  /**
   * Leave the report directory in its staging directory (`writeRunOutputs`' `stageOnly`) for the
   * sweep to publish as it journals the run (`publishStagedRun`): set for pools whose workers are
   * threads of the sweep's process. A queue worker elsewhere publishes its own.
   */
  stageReport?: boolean;
  /**
   * Read the store from here instead of the scenario's `data.store` (a queue worker's `--store-root`,
   * where the shared store is mounted on that machine). The run id and the rows do not change: they
   * are those of the scenario as the sweep wrote it (the data fingerprint covers the data itself).
   */
  storeRoot?: string | null;
  /** Where each parameter's values came from (SweepSpec.origins), for the loader's errors. */
  origins?: Readonly<Record<string, OverrideOrigin>>;
}

/** The headline metrics of a run, in table column order. */
export const METRIC_NAMES = [
  'pnl',
  'returnPct',
  'sharpe',
  'sortino',
  'maxDrawdown',
  'maxDrawdownPct',
  'spreadCapture',
  'inventoryPnl',
  'fees',
  'funding',
  'fills',
  'ordersPlaced',
  'filledNotional',
  'fillRatio',
  'makerSharePct',
  'quoteUptimePct',
  'turnoverPerDay',
  'edgeBps',
  'rejects',
  'haltTrips',
  'marketEvents',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export interface RunRow {
  key: string;
  phase: 'main' | 'oos';
  params: [string, string][];
  seed: number;
  /** null when the run failed (`error` says why). */
  metrics: Record<MetricName, number | null> | null;
  pnlExact: string | null;
  /** Data-quality warning codes of the run (sorted, unique), e.g. COVERAGE. */
  warnings: string[];
  hash: string | null;
  dataFingerprint: string | null;
  runId: string | null;
  error: string | null;
}

/** The scenario a task runs (also used to check every parameter set before the sweep starts). */
export function taskScenario(t: Pick<RunTask, 'scenarioText' | 'scenarioFile' | 'baseSet' | 'params' | 'phaseSet' | 'seed' | 'origins'>): Scenario {
  const params = t.params.map(([k, v]): Override | string => {
    const origin = t.origins?.[k];
    return origin === undefined ? `${k}=${v}` : { assignment: `${k}=${v}`, origin };
  });
  return parseScenario(t.scenarioText, t.scenarioFile, { set: [...t.baseSet, ...params, ...t.phaseSet], seed: t.seed });
}

function num(s: string): number {
  return Number(s);
}

/** Runs one task in this thread. A `MakerError` becomes a failed row; anything else is a bug and is thrown. */
export async function runTask(t: RunTask): Promise<RunRow> {
  const base = { key: t.key, phase: t.phase, params: t.params, seed: t.seed };
  let s: Scenario;
  try {
    s = taskScenario(t);
    const id = s;
    const run = t.storeRoot && s.data.source === 'store' ? taskScenario({ ...t, phaseSet: [...t.phaseSet, `data.store=${t.storeRoot}`] }) : s;
    const o = await backtest(run, (fp) => runIdFor(id, fp));
    const m = o.metrics;
    const metrics: Record<MetricName, number | null> = {
      pnl: num(m.pnl.total),
      returnPct: m.pnl.returnPct,
      sharpe: m.ratios.sharpe,
      sortino: m.ratios.sortino,
      maxDrawdown: m.drawdown.maxAbs,
      maxDrawdownPct: m.drawdown.maxPct,
      spreadCapture: num(m.pnl.spreadCapture),
      inventoryPnl: num(m.pnl.inventory),
      fees: num(m.pnl.fees),
      funding: num(m.pnl.funding),
      fills: m.trading.fills,
      ordersPlaced: m.trading.ordersPlaced,
      filledNotional: m.trading.filledNotional,
      fillRatio: m.trading.fillRatioNotional,
      makerSharePct: m.trading.makerShareNotionalPct,
      quoteUptimePct: m.trading.quoteUptimePct,
      turnoverPerDay: m.trading.turnoverPerDay,
      edgeBps: m.markoutsBps.find((x) => x.horizonSeconds === 0)?.bps ?? null,
      rejects: Object.values(m.rejectsByReason).reduce((a, b) => a + b, 0),
      haltTrips: m.risk.haltTrips,
      marketEvents: o.result.stats.marketEvents,
    };
    if (t.reportsDir !== null) {
      writeRunOutputs(join(t.reportsDir, o.info.runId), o.result.parts.recorder, {
        info: o.info,
        scenario: resolvedScenario(s),
        metrics: m,
        eventCount: o.result.eventLogEvents,
        dataQuality: o.dataQuality,
        notes: o.notes,
        stageOnly: t.stageReport === true,
      });
    }
    return {
      ...base,
      metrics,
      pnlExact: m.pnl.total,
      warnings: [...new Set(o.dataQuality.warnings.map((w) => w.code))].sort(),
      hash: o.info.determinismHash,
      dataFingerprint: o.info.dataFingerprint,
      runId: o.info.runId,
      error: null,
    };
  } catch (e) {
    if (!(e instanceof MakerError)) throw e;
    return { ...base, metrics: null, pnlExact: null, warnings: [], hash: null, dataFingerprint: null, runId: null, error: `[${e.code}] ${e.describe()}` };
  }
}
