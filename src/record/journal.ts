/**
 * The recorder's append-only journal: what `maker record` heard, in the order it accepted it,
 * written before anything else happens to it (docs/DATA_FORMAT.md "Recorder journal").
 *
 * Format: UTF-8 text, one record per line, `<tsReceiveUs> <tag> <payload>\n`:
 *   W <raw text>            a stream message exactly as received (a combined-stream envelope)
 *   S <SYMBOL> <raw text>   a REST `/fapi/v1/depth` reply for SYMBOL (the book snapshot)
 *   G <json GapRecord>      a gap the recorder marked
 *   B <json SessionRecord>  a session started (clock offset inside)
 *   E {}                    the session ended cleanly (absent after kill -9)
 * Raw text keeps the wire message byte for byte (line breaks, which JSON allows only as
 * whitespace, become spaces), so compaction parses it with the same parser as every importer.
 * Lines are appended in batches and flushed (write + fdatasync) every `flushMs`; a process killed
 * between two flushes loses at most that batch, and a line cut short by the kill has no final
 * newline: the reader drops it (counted as `tornTail`).
 *
 * Segments: `<dir>/seg-<startUs>-<pid>.log`; a segment is closed (and then compacted into the
 * store, then removed) every `segmentMs`, at a clean stop, or by the next start after a crash.
 */
import { closeSync, fdatasyncSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ioError } from '../core/errors.ts';
import type { GapRecord, SessionRecord } from '../store/index.ts';

export type JournalRecord =
  | { tag: 'W'; tsReceiveUs: number; text: string }
  | { tag: 'S'; tsReceiveUs: number; symbol: string; text: string }
  | { tag: 'G'; tsReceiveUs: number; gap: GapRecord }
  | { tag: 'B'; tsReceiveUs: number; session: SessionRecord }
  | { tag: 'E'; tsReceiveUs: number };

export const SEGMENT_PREFIX = 'seg-';

/** Segment files in a journal directory, oldest first (by start time, then name). */
export function listSegments(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(SEGMENT_PREFIX) && n.endsWith('.log'))
    .sort((a, b) => startOf(a) - startOf(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map((n) => join(dir, n));
}

function startOf(name: string): number {
  return Number(name.slice(SEGMENT_PREFIX.length).split('-')[0]);
}

const oneLine = (text: string): string => (/[\r\n]/.test(text) ? text.replace(/[\r\n]/g, ' ') : text);

export function formatRecord(r: JournalRecord): string {
  switch (r.tag) {
    case 'W':
      return `${r.tsReceiveUs} W ${oneLine(r.text)}\n`;
    case 'S':
      return `${r.tsReceiveUs} S ${r.symbol} ${oneLine(r.text)}\n`;
    case 'G':
      return `${r.tsReceiveUs} G ${JSON.stringify(r.gap)}\n`;
    case 'B':
      return `${r.tsReceiveUs} B ${JSON.stringify(r.session)}\n`;
    case 'E':
      return `${r.tsReceiveUs} E {}\n`;
  }
}

export interface ParsedSegment {
  records: JournalRecord[];
  /** Bytes at the end without a final newline (what a kill during a write leaves), dropped. */
  tornTail: number;
  /** Lines that are not journal records (never written by the recorder: damage), skipped. */
  badLines: { line: number; text: string }[];
  /** Whether the segment's last session ended with an `E` record. */
  endedCleanly: boolean;
}

/** Reads a whole segment. */
export function readSegment(file: string): ParsedSegment {
  const text = readFileSync(file, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  const out: ParsedSegment = { records: [], tornTail: Buffer.byteLength(text.slice(end)), badLines: [], endedCleanly: false };
  let pos = 0;
  let line = 0;
  while (pos < end) {
    const nl = text.indexOf('\n', pos);
    const l = text.slice(pos, nl);
    pos = nl + 1;
    line++;
    const r = parseLine(l);
    if (r === null) {
      out.badLines.push({ line, text: l.slice(0, 200) });
      continue;
    }
    out.records.push(r);
    if (r.tag === 'E') out.endedCleanly = true;
    else if (r.tag === 'B') out.endedCleanly = false;
  }
  return out;
}

function parseLine(l: string): JournalRecord | null {
  const s1 = l.indexOf(' ');
  if (s1 <= 0 || l.length < s1 + 3 || l[s1 + 2] !== ' ') return null;
  const ts = Number(l.slice(0, s1));
  if (!Number.isSafeInteger(ts)) return null;
  const tag = l[s1 + 1];
  const rest = l.slice(s1 + 3);
  try {
    switch (tag) {
      case 'W':
        return { tag, tsReceiveUs: ts, text: rest };
      case 'S': {
        const s2 = rest.indexOf(' ');
        if (s2 <= 0) return null;
        return { tag, tsReceiveUs: ts, symbol: rest.slice(0, s2), text: rest.slice(s2 + 1) };
      }
      case 'G':
        return { tag, tsReceiveUs: ts, gap: JSON.parse(rest) as GapRecord };
      case 'B':
        return { tag, tsReceiveUs: ts, session: JSON.parse(rest) as SessionRecord };
      case 'E':
        return { tag, tsReceiveUs: ts };
      default:
        return null;
    }
  } catch {
    return null;
  }
}

/**
 * Appends records to the current segment. `append` only buffers; `flush` writes and syncs. Errors
 * (disk full, unwritable directory) are thrown as `E_IO` `MakerError`s from `flush`/`rotate`: the
 * recorder stops on them.
 */
export class JournalWriter {
  private fd = -1;
  private path = '';
  private pending: string[] = [];
  private pendingBytes = 0;
  /** Bytes flushed to the journal so far (all segments). */
  bytesWritten = 0;

  constructor(
    readonly dir: string,
    private readonly pid: number,
  ) {}

  get currentPath(): string {
    return this.path;
  }

  /** Opens a new segment starting at `startUs`; returns the path of the one closed (if any). */
  rotate(startUs: number): string | undefined {
    this.flush();
    const closed = this.closeFile();
    try {
      mkdirSync(this.dir, { recursive: true });
      this.path = join(this.dir, `${SEGMENT_PREFIX}${startUs}-${this.pid}.log`);
      this.fd = openSync(this.path, 'a');
    } catch (e) {
      throw ioError(e, 'open the journal segment', { file: this.path || this.dir });
    }
    return closed;
  }

  append(r: JournalRecord): void {
    const line = formatRecord(r);
    this.pending.push(line);
    this.pendingBytes += line.length;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  flush(): void {
    if (this.pending.length === 0 || this.fd < 0) return;
    const buf = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingBytes = 0;
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
      fdatasyncSync(this.fd);
    } catch (e) {
      throw ioError(e, 'write the journal', { file: this.path });
    }
    this.bytesWritten += buf.length;
  }

  /** Flushes and closes the current segment; returns its path. */
  close(): string | undefined {
    this.flush();
    return this.closeFile();
  }

  private closeFile(): string | undefined {
    if (this.fd < 0) return undefined;
    try {
      closeSync(this.fd);
    } catch {
      // closing a descriptor whose writes were synced cannot lose data
    }
    this.fd = -1;
    return this.path;
  }
}
