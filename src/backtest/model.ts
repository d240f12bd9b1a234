/**
 * A model-market run (`data.source: model`): the scenario's strategy in the papers' model world
 * (src/model-market), many independent paths, no event engine, no simulated exchange. The outcome
 * is the summary (identity, the world as simulated, float statistics over paths) and paths.csv
 * (one row per path with its exact profit), a pure function of (scenario, seed).
 */
import { createHash } from 'node:crypto';
import { Rng } from '../core/random.ts';
import { modelInstrument, runModelMarket, type ModelMarketResult, type Summary } from '../model-market/index.ts';
import type { Scenario } from '../scenario/index.ts';
import { createStrategy } from '../strategy/index.ts';
import { codeVersion } from './backtest.ts';
import { canonicalJson } from './report/index.ts';

export const MODEL_SUMMARY_SCHEMA = 'maker.backtest.summary/model-1';

export interface ModelOutcome {
  runId: string;
  result: ModelMarketResult;
  /** summary.json content (plain JSON). */
  summary: Record<string, unknown>;
  /** paths.csv content. */
  pathsCsv: string;
}

function stat(s: Summary): { mean: number; std: number; stdErr: number } {
  return { mean: s.mean, std: s.std, stdErr: s.stdErr };
}

/** sha256 of what identifies a model world: its parameters and the instrument symbol. */
export function modelFingerprint(s: Scenario): string {
  return `sha256:${createHash('sha256').update(canonicalJson({ source: 'model', symbol: s.data.symbols[0], model: s.data.model })).digest('hex')}`;
}

/**
 * Runs a `data.source: model` scenario. `runId` maps the data fingerprint to the run id (the CLI's
 * `runIdFor`); `resolved` is the resolved scenario stored in the summary.
 */
export function runModelScenario(s: Scenario, runId: (fingerprint: string) => string, resolved: unknown): ModelOutcome {
  const m = s.data.model;
  const instrument = modelInstrument(s.data.symbols[0], m.tickSize);
  const strategy = createStrategy(s.trader.strategy);
  const result = runModelMarket(strategy, m, instrument, new Rng(s.seed).fork('model'));
  const fingerprint = modelFingerprint(s);
  const id = runId(fingerprint);
  const g = result.grid;
  const summary: Record<string, unknown> = {
    schema: MODEL_SUMMARY_SCHEMA,
    runId: id,
    scenarioName: s.name || (s.file ? s.file.replace(/^.*\//, '').replace(/\.ya?ml$/, '') : 'scenario'),
    scenarioSource: s.file || null,
    seed: s.seed,
    codeVersion: codeVersion(),
    dataFingerprint: fingerprint,
    dataKind: 'model',
    model: {
      paths: m.paths,
      steps: g.steps,
      profit: stat(result.profit),
      finalInventory: stat(result.finalInventory),
      fills: stat(result.fills),
      meanSpread: result.meanSpread,
      world: {
        symbol: instrument.symbol,
        s0: m.s0,
        horizonS: m.horizonS,
        dtS: m.dtS,
        sigma: m.sigma,
        sigmaEffective: g.sigmaEffective,
        midStepTicks: g.midStepTicks,
        aPerS: m.aPerS,
        k: m.k,
        q0: m.q0,
        fillAfterMove: m.fillAfterMove,
        tickSize: instrument.spec.tickSize,
      },
      units: 'profit and meanSpread in price units, finalInventory in lots; std is the sample std (n − 1), stdErr = std/√paths. Per-path profits are exact (paths.csv); these statistics are float summaries.',
    },
    files: ['paths.csv', 'summary.json'],
    scenario: resolved,
  };
  const rows = ['path,profit,final_inventory_lots,fills'];
  result.paths.forEach((r, i) => rows.push(`${i},${instrument.ticksToPrice(r.profitTickLots)},${r.finalLots},${r.fills}`));
  return { runId: id, result, summary, pathsCsv: `${rows.join('\n')}\n` };
}
