/**
 * The simulated side of a live session report: the market the session received (every journalled
 * market event, `journalToStore`) written into a temporary store, then backtested with the
 * session's scenario (the same strategy, signals, risk, OMS and the scenario's `execution` section:
 * latency models, queue model, fees) on that store only. The store is removed afterwards; nothing
 * of its path reaches the report (the bytes depend on the journal only).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backtest, type BacktestOutcome } from '../backtest/index.ts';
import { journalToStore } from '../live/index.ts';
import type { Scenario } from '../scenario/index.ts';
import { collectOrdersAndFills, type BookedFill, type CreatedOrder, type SideRecord } from './record.ts';

export interface SimSideRecord extends SideRecord {
  readonly outcome: BacktestOutcome;
  /** Market events the store holds. */
  readonly marketEvents: number;
}

/** The session's scenario, reading the store at `root` instead of its own data (whole store, no range). */
export function simulationScenario(s: Scenario, root: string): Scenario {
  return { ...s, data: { ...s.data, source: 'store', store: root, venue: 'binance-usdm', range: null, spec: null, missingHint: null } };
}

/** `checkpoint`: awaited between the backtest's batches; a throw stops it (`maker live` on SIGINT / SIGTERM while it writes the report). */
export async function simulateSession(runDir: string, scenario: Scenario, tmpParent = tmpdir(), checkpoint?: () => Promise<void>): Promise<SimSideRecord> {
  const root = mkdtempSync(join(tmpParent, 'maker-live-report-'));
  try {
    const stored = await journalToStore(runDir, root);
    const orders: CreatedOrder[] = [];
    const fills: BookedFill[] = [];
    const outcome = await backtest(simulationScenario(scenario, root), () => 'simulated', { checkpoint }, (parts) => collectOrdersAndFills(parts.core, orders, fills));
    return { recorder: outcome.result.parts.recorder, metrics: outcome.metrics, orders, fills, outcome, marketEvents: stored.events };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
