/**
 * `maker replay <run dir>`: the live session's trading core run again over its journal. Every
 * input is given at its journalled clock; the commands the core gives back are compared, in order,
 * with the commands the session sent. Equal hashes prove the live decisions are the core's, as the
 * backtest runs it (issue 12: live-vs-backtest parity), and a difference points at the first input
 * whose answer differs (a debugging aid after an incident).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { SimClock } from '../core/clock.ts';
import { ConfigError } from '../core/errors.ts';
import { Instrument } from '../model/instrument.ts';
import type { VenueCommand } from '../model/venue.ts';
import { parseScenario, type Scenario } from '../scenario/index.ts';
import type { TradingCore } from '../trader/index.ts';
import { importEvents } from '../store/index.ts';
import { commandText, JOURNAL_FILE, readJournal, type JournalHeader, type JournalRecord } from './journal.ts';
import { liveTrader } from './trader.ts';

export interface ReplayResult {
  /** Commands in the journal (what the session sent). */
  readonly commands: number;
  /** Commands the replay gave. */
  readonly replayCommands: number;
  /** Positions where both agree. */
  readonly matched: number;
  readonly journalHash: string;
  readonly replayHash: string;
  /** Inputs replayed (market, venue, timer, operator). */
  readonly inputs: number;
  /** The first difference, if any. */
  readonly firstDifference: { index: number; tUs: number; journal: string | null; replay: string | null } | null;
  /** How the session ended (null: it did not end cleanly, e.g. killed). */
  readonly end: { reason: string; exitCode: number } | null;
  readonly tornTail: number;
  /** Commands the last input of a killed session gave that were never journalled, hence never sent (not a difference). */
  readonly unsentAtKill: number;
}

/** The journal of a run directory (or a journal file given directly). */
export function journalPathOf(runDirOrFile: string): string {
  if (!existsSync(runDirOrFile)) throw new ConfigError(`${runDirOrFile} does not exist`, { field: 'run dir' });
  const p = statSync(runDirOrFile).isDirectory() ? join(runDirOrFile, JOURNAL_FILE) : runDirOrFile;
  if (!existsSync(p)) throw new ConfigError(`${runDirOrFile} has no ${JOURNAL_FILE}: not a live run directory`, { field: 'run dir' });
  return p;
}

/**
 * Observers of a replay (the live session report, src/live-report, records the session as the
 * backtest's recorder would). Called synchronously, in journal order; they must not feed the core.
 */
export interface ReplayHooks {
  /** The core, before any input (subscribe to its bus here), with the scenario and instruments it was built from. */
  onCore?(core: TradingCore, scenario: Scenario, instruments: readonly Instrument[], header: JournalHeader): void;
  /** Before an input (M, V, T, O) is given; the core's clock is still at the previous input's time. */
  beforeInput?(record: JournalRecord): void;
  /** The commands the core gave for the input at `tUs` (may be empty). */
  afterInput?(tUs: number, commands: readonly VenueCommand[]): void;
  /** After the last record: the time of the end record, or of the last record of a killed session. */
  onEnd?(endUs: number): void;
}

export function replayJournal(runDirOrFile: string, hooks: ReplayHooks = {}): ReplayResult {
  const file = journalPathOf(runDirOrFile);
  const j = readJournal(file);
  const h = j.header;
  const scenario = parseScenario(h.scenarioText, h.scenarioFile, { set: h.overrides });
  const instruments = h.instruments.map((spec) => new Instrument(spec));
  const clock = new SimClock(j.records[0].tUs);
  const core = liveTrader(scenario, instruments, clock, h.runTag, h.initialBalance);
  hooks.onCore?.(core, scenario, instruments, h);
  const journalCmds: { tUs: number; text: string }[] = [];
  const replayCmds: { tUs: number; text: string; input: number }[] = [];
  let inputs = 0;
  for (const r of j.records) {
    // The shutdown began: the core decides nothing more (it still books the venue events that follow).
    if (r.tag === 'S') {
      core.stopDeciding();
      continue;
    }
    if (r.tag === 'C') {
      journalCmds.push({ tUs: r.tUs, text: r.text });
      continue;
    }
    if (r.tag !== 'M' && r.tag !== 'V' && r.tag !== 'T' && r.tag !== 'O') continue;
    hooks.beforeInput?.(r);
    clock.advanceTo(r.tUs);
    inputs++;
    if (r.tag === 'M') core.onMarketEvent(r.event);
    else if (r.tag === 'V') core.onVenueEvent(r.event);
    else if (r.tag === 'O') core.setPaused(r.input.symbol, r.input.action === 'pause', r.input.reason);
    else core.onTimer(r.tUs);
    const cmds = core.drainCommands();
    for (const c of cmds) replayCmds.push({ tUs: r.tUs, text: commandText(c), input: inputs });
    hooks.afterInput?.(r.tUs, cmds);
  }
  hooks.onEnd?.(j.records[j.records.length - 1].tUs);
  // A session killed between journalling an input and journalling its commands never sent them
  // (commands are written before they are sent): the last input's missing commands are not a difference.
  let unsentAtKill = 0;
  if (j.end === null && replayCmds.length > journalCmds.length && replayCmds.slice(journalCmds.length).every((c) => c.input === inputs)) {
    unsentAtKill = replayCmds.length - journalCmds.length;
    replayCmds.length = journalCmds.length;
  }
  const hash = (cmds: { text: string }[]): string => {
    const h = createHash('sha256');
    for (const c of cmds) h.update(c.text).update('\n');
    return `sha256:${h.digest('hex')}`;
  };
  let matched = 0;
  let firstDifference: ReplayResult['firstDifference'] = null;
  const n = Math.max(journalCmds.length, replayCmds.length);
  for (let i = 0; i < n; i++) {
    const a = journalCmds[i];
    const b = replayCmds[i];
    if (a !== undefined && b !== undefined && a.text === b.text && a.tUs === b.tUs) matched++;
    else if (firstDifference === null) firstDifference = { index: i, tUs: (a ?? b).tUs, journal: a?.text ?? null, replay: b?.text ?? null };
  }
  return { commands: journalCmds.length, replayCommands: replayCmds.length, matched, journalHash: hash(journalCmds), replayHash: hash(replayCmds), inputs, firstDifference, end: j.end, tornTail: j.tornTail, unsentAtKill };
}

/**
 * The market a live session saw, as a store (`maker replay <run dir> --to-store <dir>`): every
 * journalled market event (depth diffs and the REST snapshots the feed took, trades, bookTickers,
 * mark prices, with their receive times), written with the journalled instruments. A backtest of
 * the session's scenario on it (`data.source: store`) shows what the simulated exchange would have
 * filled on the same market, to compare with the live fills.
 */
export async function journalToStore(runDirOrFile: string, root: string, venue = 'binance-usdm'): Promise<{ events: number; symbols: string[]; fromUs: number; toUs: number }> {
  const file = journalPathOf(runDirOrFile);
  const j = readJournal(file);
  const instruments = j.header.instruments.map((spec) => new Instrument(spec));
  const events = j.records.flatMap((r) => (r.tag === 'M' ? [r.event] : []));
  if (events.length === 0) throw new ConfigError(`${file} holds no market event: nothing to store`, { field: 'run dir' });
  await importEvents({ root, venue, instruments, provenance: { importer: 'maker-live-journal', inputs: [{ path: file }], options: { runId: j.header.runId } } }, [events]);
  let fromUs = Infinity;
  let toUs = -Infinity;
  for (const e of events) {
    fromUs = Math.min(fromUs, e.tsExchangeUs);
    toUs = Math.max(toUs, e.tsExchangeUs);
  }
  return { events: events.length, symbols: instruments.map((i) => i.symbol), fromUs, toUs };
}
