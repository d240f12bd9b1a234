/**
 * The live session's journal: every input the trading core was given, with the clock at each, and
 * every command it gave back, in order (issue 12 "Journal"). `maker replay` runs the same core over
 * the inputs and must give the same commands, byte for byte.
 *
 * Format: UTF-8 text, one record per line, `<tUs> <tag> <json>\n`, `tUs` the core's clock when
 * the record happened (integer µs, never decreasing):
 *   B <header>         the session: scenario text and overrides, instruments, start balances, run id
 *   M <MarketEvent>    a market event delivered to the core (with its receive time inside)
 *   V <VenueEvent>     a venue event delivered to the core
 *   T {}               a timer firing (`onTimer(tUs)`)
 *   O <OperatorInput>  an operator input given to the core (the dashboard's pause / resume of a
 *                      symbol: `setPaused`); venue-independent, so the replay gives it too
 *   C <VenueCommand>   a command the core gave, before it was sent
 *   S {reason}         the shutdown began: the core stops deciding (`stopDeciding`). Only venue
 *                      events (V) follow (fills racing the shutdown's cancels, the final trade
 *                      read-back), which the core books; no command (C) follows
 *   E <end>            the session ended (absent after kill -9), with why
 * Every value is plain JSON (integers, exact decimal strings, booleans): a JSON round trip gives
 * the core exactly what it had.
 *
 * Durability: records are buffered; `write()` hands them to the operating system (a `kill -9` of
 * the process loses nothing written), and the runner calls it before any command goes on the wire,
 * so a sent command is always in the journal. `sync()` also forces them to disk (fdatasync), every
 * `flushMs` of the runner. A line cut short by a crash has no final newline: the reader drops it
 * (`tornTail`).
 */
import { closeSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { InputError, ioError } from '../core/errors.ts';
import type { MarketEvent } from '../model/events.ts';
import type { InstrumentSpec } from '../model/instrument.ts';
import type { VenueCommand, VenueEvent } from '../model/venue.ts';

export const JOURNAL_FILE = 'journal.log';
export const JOURNAL_VERSION = 1;

/** What a replay needs to build the same trading core. */
export interface JournalHeader {
  readonly version: number;
  readonly runId: string;
  /** The scenario file's text and the `--set` overrides applied to it. */
  readonly scenarioText: string;
  readonly scenarioFile: string;
  readonly overrides: readonly string[];
  /** The instruments as the venue's exchangeInfo gave them. */
  readonly instruments: readonly InstrumentSpec[];
  /** The core's start balances (before the venue's account snapshot is taken in). */
  readonly initialBalance: readonly { asset: string; amount: string }[];
  /** The OMS run tag (client order id stem). */
  readonly runTag: string;
  readonly venue: string;
  readonly paper: boolean;
}

/** An operator input the core is given (the live dashboard's pause / resume). */
export interface OperatorInput {
  readonly action: 'pause' | 'resume';
  readonly symbol: string;
  /** Who and why (e.g. `dashboard 127.0.0.1`); never a secret. */
  readonly reason: string;
}

export type JournalRecord =
  | { readonly tag: 'B'; readonly tUs: number; readonly header: JournalHeader }
  | { readonly tag: 'M'; readonly tUs: number; readonly event: MarketEvent }
  | { readonly tag: 'V'; readonly tUs: number; readonly event: VenueEvent }
  | { readonly tag: 'T'; readonly tUs: number }
  | { readonly tag: 'O'; readonly tUs: number; readonly input: OperatorInput }
  | { readonly tag: 'C'; readonly tUs: number; readonly command: VenueCommand; readonly text: string }
  | { readonly tag: 'S'; readonly tUs: number; readonly reason: string }
  | { readonly tag: 'E'; readonly tUs: number; readonly end: { reason: string; exitCode: number } };

/** The canonical text of a command: what is journalled and what replay compares. */
export function commandText(c: VenueCommand): string {
  return JSON.stringify(c);
}

export class LiveJournal {
  private fd: number;
  private pending: string[] = [];
  bytesWritten = 0;
  records = 0;

  constructor(readonly file: string) {
    try {
      this.fd = openSync(file, 'wx');
    } catch (e) {
      throw ioError(e, 'create the journal', { file });
    }
  }

  header(tUs: number, h: JournalHeader): void {
    this.push(`${tUs} B ${JSON.stringify(h)}\n`);
    this.sync();
  }

  market(tUs: number, e: MarketEvent): void {
    this.push(`${tUs} M ${JSON.stringify(e)}\n`);
  }

  venue(tUs: number, e: VenueEvent): void {
    this.push(`${tUs} V ${JSON.stringify(e)}\n`);
  }

  timer(tUs: number): void {
    this.push(`${tUs} T {}\n`);
  }

  operator(tUs: number, input: OperatorInput): void {
    this.push(`${tUs} O ${JSON.stringify(input)}\n`);
  }

  command(tUs: number, text: string): void {
    this.push(`${tUs} C ${text}\n`);
  }

  stopping(tUs: number, reason: string): void {
    this.push(`${tUs} S ${JSON.stringify({ reason })}\n`);
  }

  end(tUs: number, reason: string, exitCode: number): void {
    this.push(`${tUs} E ${JSON.stringify({ reason, exitCode })}\n`);
    this.sync();
  }

  private push(line: string): void {
    this.pending.push(line);
    this.records++;
  }

  /** Hands the buffered records to the operating system (they survive a kill of this process). */
  write(): void {
    if (this.pending.length === 0 || this.fd < 0) return;
    const buf = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    } catch (e) {
      throw ioError(e, 'write the journal', { file: this.file });
    }
    this.bytesWritten += buf.length;
  }

  /** `write()`, then forces the journal to disk. */
  sync(): void {
    this.write();
    if (this.fd < 0) return;
    try {
      fdatasyncSync(this.fd);
    } catch (e) {
      throw ioError(e, 'sync the journal', { file: this.file });
    }
  }

  close(): void {
    if (this.fd < 0) return;
    this.sync();
    try {
      closeSync(this.fd);
    } catch {
      // synced: closing cannot lose data
    }
    this.fd = -1;
  }
}

export interface ParsedJournal {
  readonly header: JournalHeader;
  readonly records: JournalRecord[];
  /** Bytes after the last newline (a line cut short by a crash), dropped. */
  readonly tornTail: number;
  /** How the session ended; null when it did not end cleanly (killed). */
  readonly end: { reason: string; exitCode: number } | null;
}

/** Reads a journal. A damaged line (not one the writer makes) is an error naming file and line. */
export function readJournal(file: string): ParsedJournal {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw ioError(e, 'read the journal', { file });
  }
  const endAt = text.lastIndexOf('\n') + 1;
  const records: JournalRecord[] = [];
  let header: JournalHeader | undefined;
  let end: ParsedJournal['end'] = null;
  let pos = 0;
  let line = 0;
  let lastT = -Infinity;
  const bad = (why: string): never => {
    throw new InputError(why, { file, line });
  };
  while (pos < endAt) {
    const nl = text.indexOf('\n', pos);
    const l = text.slice(pos, nl);
    pos = nl + 1;
    line++;
    const s1 = l.indexOf(' ');
    if (s1 <= 0 || l[s1 + 2] !== ' ') bad('not a journal record');
    const tUs = Number(l.slice(0, s1));
    if (!Number.isSafeInteger(tUs)) bad(`time ${JSON.stringify(l.slice(0, s1))} is not an integer`);
    if (tUs < lastT) bad(`time ${tUs} is before the previous record's ${lastT}`);
    lastT = tUs;
    const tag = l[s1 + 1];
    const body = l.slice(s1 + 3);
    let v: unknown;
    try {
      v = JSON.parse(body);
    } catch {
      bad('the record is not valid JSON');
    }
    if (line === 1 && tag !== 'B') bad('the journal does not start with a session header (B)');
    switch (tag) {
      case 'B': {
        if (line !== 1) bad('a second session header');
        header = v as JournalHeader;
        if (header.version !== JOURNAL_VERSION) bad(`journal version ${String(header.version)}; this maker reads version ${JOURNAL_VERSION}`);
        records.push({ tag, tUs, header });
        break;
      }
      case 'M':
        records.push({ tag, tUs, event: v as MarketEvent });
        break;
      case 'V':
        records.push({ tag, tUs, event: v as VenueEvent });
        break;
      case 'T':
        records.push({ tag, tUs });
        break;
      case 'O': {
        const o = v as OperatorInput;
        if ((o.action !== 'pause' && o.action !== 'resume') || typeof o.symbol !== 'string') bad('an operator record (O) needs action pause|resume and a symbol');
        records.push({ tag, tUs, input: o });
        break;
      }
      case 'C':
        records.push({ tag, tUs, command: v as VenueCommand, text: body });
        break;
      case 'S': {
        const r = v as { reason?: unknown };
        if (typeof r !== 'object' || r === null || typeof r.reason !== 'string') bad('a shutdown record (S) needs a reason');
        records.push({ tag, tUs, reason: r.reason as string });
        break;
      }
      case 'E':
        end = v as { reason: string; exitCode: number };
        records.push({ tag, tUs, end });
        break;
      default:
        bad(`unknown record tag ${JSON.stringify(tag)}`);
    }
  }
  if (header === undefined) throw new InputError('the journal is empty (no session header)', { file });
  return { header, records, tornTail: Buffer.byteLength(text.slice(endAt)), end };
}
