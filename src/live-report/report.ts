/**
 * A live session's report.html: the backtest's report of the session itself (run info, resolved
 * configuration, metrics, equity, drawdown, positions, quotes vs the book, PnL decomposition,
 * markouts: `renderReportHtml`, fed by the recorder of record.ts over the journal's replay) plus
 * the "live vs simulated" section (simulate.ts, compare.ts, render.ts).
 *
 * Deterministic: the page is a function of the journal (and the code): no generation time, no
 * path of the temporary store; the same journal gives the same bytes.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeVersion, renderReportHtml, resolvedScenario, type RunInfo } from '../backtest/index.ts';
import { ioError, MakerError } from '../core/errors.ts';
import { journalPathOf } from '../live/index.ts';
import { recordLiveSession } from './record.ts';
import { compareSides, differencesCaption, renderLiveVsSimulated, unavailableSection, type LiveVsSimulated } from './render.ts';
import { simulateSession } from './simulate.ts';

export const REPORT_FILE = 'report.html';

export interface LiveReportOptions {
  /** Build the "live vs simulated" section (a backtest of the session's market; default true). */
  readonly simulate?: boolean;
  /** Parent of the temporary store (default the OS temp directory). */
  readonly tmpDir?: string;
  /**
   * Awaited between the simulation's batches and before the page is written: a throw stops the
   * report with that error, the temporary store removed and no report.html written (`maker live`
   * on SIGINT / SIGTERM: an E_INTERRUPTED error, which is not taken for a failed simulation).
   */
  readonly checkpoint?: () => Promise<void>;
}

export interface LiveReport {
  readonly html: string;
  /** Null when not simulated, or when the simulation failed (`simulationError`). */
  readonly comparison: LiveVsSimulated | null;
  readonly simulationError: string | null;
  /** The replay of the journal gave the session's commands (the live side is the session's core). */
  readonly replayMatched: boolean;
  readonly fills: { live: number; simulated: number | null };
}

/** Builds the report of the live run directory (or journal file) `runDir`. */
export async function liveSessionReport(runDir: string, o: LiveReportOptions = {}): Promise<LiveReport> {
  const journal = journalPathOf(runDir);
  const live = recordLiveSession(runDir);
  const h = live.header;
  const s = live.scenario;
  const replayMatched = live.replay.firstDifference === null && live.replay.commands === live.replay.replayCommands;
  const notes: string[] = [];
  if (!replayMatched) {
    const d = live.replay.firstDifference;
    notes.push(`The replay of the journal does NOT give the session's commands${d === null ? '' : ` (first difference at command #${d.index})`}: the live figures below are the replay's, which may differ from what the session did; run maker replay ${runDir} for details.`);
  }
  if (live.replay.end === null) notes.push('The session did not end cleanly (killed?): the report covers the journal up to its last whole record.');
  else notes.push(`The session ended: ${live.replay.end.reason} (exit ${live.replay.end.exitCode}).`);
  notes.push(`Live figures come from the session's trading core rebuilt over the journal (maker replay: ${live.replay.matched} of ${live.replay.commands} commands matched); the market in the quote charts and markouts is the core's own book, as the session received it.`);
  let comparison: LiveVsSimulated | null = null;
  let simulationError: string | null = null;
  let simFills: number | null = null;
  const sections: string[] = [];
  if (o.simulate !== false) {
    try {
      const sim = await simulateSession(runDir, s, o.tmpDir, o.checkpoint);
      comparison = compareSides(live.instruments, live, sim);
      simFills = sim.fills.length;
      sections.push(renderLiveVsSimulated(comparison, live.metrics, sim.metrics, differencesCaption(s, h.paper, h.venue), { marketEvents: sim.marketEvents, determinismHash: sim.outcome.info.determinismHash, meanFeedLatencyUs: sim.outcome.result.stats.meanFeedLatencyUs }));
    } catch (e) {
      if (e instanceof MakerError && e.code === 'E_INTERRUPTED') throw e;
      // Without the run directory's path: the page depends on the journal only.
      simulationError = (e as Error).message.split(journal).join('journal.log').split(runDir).join('<run dir>');
      sections.push(unavailableSection(simulationError));
    }
  } else sections.push(unavailableSection('not asked for (--no-report-sim)'));
  const info: RunInfo = {
    runId: h.runId,
    scenarioName: s.name || (h.scenarioFile ? h.scenarioFile.replace(/^.*\//, '').replace(/\.ya?ml$/, '') : 'scenario'),
    scenarioSource: h.scenarioFile || undefined,
    seed: s.seed,
    dataFingerprint: `sha256:${createHash('sha256').update(readFileSync(journal)).digest('hex')} (journal.log)`,
    codeVersion: codeVersion(),
    dataKind: `live session on ${h.paper ? 'paper (in-process local exchange)' : h.venue}: the market and account events the session received`,
    determinismHash: `${live.replay.journalHash} (the session's commands)`,
  };
  const html = renderReportHtml(info, live.metrics, live.recorder, { scenario: resolvedScenario(s), notes, title: 'maker live', sections });
  return { html, comparison, simulationError, replayMatched, fills: { live: live.fills.length, simulated: simFills } };
}

/** Builds the report and writes `<runDir>/report.html` (atomically: a temporary file renamed into place). */
export async function writeLiveSessionReport(runDir: string, o: LiveReportOptions = {}): Promise<LiveReport & { file: string }> {
  const r = await liveSessionReport(runDir, o);
  await o.checkpoint?.();
  const dir = journalPathOf(runDir).replace(/[/\\][^/\\]+$/, '');
  const file = join(dir, REPORT_FILE);
  const partial = join(dir, `.${REPORT_FILE}.partial-${process.pid}`);
  try {
    writeFileSync(partial, r.html);
    renameSync(partial, file);
  } catch (e) {
    rmSync(partial, { force: true });
    throw ioError(e, 'write the session report', { file });
  }
  return { ...r, file };
}
