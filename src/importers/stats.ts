/**
 * Running statistics of an import: events per symbol and type, skipped streams and rows, warnings,
 * bytes read, and the median receive − exchange time offset per file.
 *
 * The median is exact up to 65,536 events per file; beyond that it is the median of a
 * deterministic, evenly spaced sample (every 2^k-th event), so memory stays bounded on a day of data.
 */
import type { InstrumentSpec } from '../model/instrument.ts';
import type { MarketEvent } from '../model/events.ts';
import { MAX_DAMAGE_LISTED, type DamageRecord, type EventCounts, type FileImportStats, type ImportStats, type ImportWarning } from './types.ts';

const SAMPLE_CAP = 65_536;

/** Keeps every `stride`-th value, halving the sample and doubling the stride when it is full. */
export class StrideSampler {
  private values: number[] = [];
  private stride = 1;
  private seen = 0;

  add(v: number): void {
    if (this.seen++ % this.stride !== 0) return;
    this.values.push(v);
    if (this.values.length >= SAMPLE_CAP) {
      this.values = this.values.filter((_, i) => i % 2 === 0);
      this.stride *= 2;
    }
  }

  /** Lower median of the sample (an actual observed value, so it stays an integer), or null. */
  median(): number | null {
    if (this.values.length === 0) return null;
    const sorted = Float64Array.from(this.values).sort();
    return sorted[(sorted.length - 1) >> 1];
  }
}

function emptyCounts(): EventCounts {
  return { depth: 0, snapshot: 0, trade: 0, aggTrade: 0, bookTicker: 0, markPrice: 0, forceOrder: 0 };
}

export class ImportStatsCollector {
  private readonly bySymbol = new Map<string, EventCounts>();
  private readonly skipped = new Map<string, number>();
  private readonly files: FileImportStats[] = [];
  private readonly warnings: ImportWarning[] = [];
  private readonly inferred: InstrumentSpec[] = [];
  private skippedRows = 0;
  private events = 0;
  private readonly damageList: DamageRecord[] = [];
  private damageCount = 0;
  bytesRead = 0;
  totalBytes = 0;

  // The file being read.
  private fileSymbols = new Set<string>();
  private fileEvents = 0;
  private offsets: StrideSampler | null = null;
  private lastSymbol = '';
  private lastCounts: EventCounts = emptyCounts();

  constructor(private readonly onWarning?: (w: ImportWarning) => void) {}

  beginFile(hasReceiveTimes: boolean): void {
    this.fileSymbols = new Set();
    this.fileEvents = 0;
    this.offsets = hasReceiveTimes ? new StrideSampler() : null;
    this.lastSymbol = '';
  }

  count(events: MarketEvent[]): void {
    const offsets = this.offsets;
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      if (ev.symbol !== this.lastSymbol) {
        let c = this.bySymbol.get(ev.symbol);
        if (!c) {
          c = emptyCounts();
          this.bySymbol.set(ev.symbol, c);
        }
        this.fileSymbols.add(ev.symbol);
        this.lastSymbol = ev.symbol;
        this.lastCounts = c;
      }
      this.lastCounts[ev.type]++;
      if (offsets) offsets.add(ev.tsReceiveUs - ev.tsExchangeUs);
    }
    this.fileEvents += events.length;
    this.events += events.length;
  }

  endFile(f: Omit<FileImportStats, 'events' | 'symbols' | 'medianReceiveOffsetUs'>): FileImportStats {
    const done: FileImportStats = { ...f, events: this.fileEvents, symbols: [...this.fileSymbols].sort(), medianReceiveOffsetUs: this.offsets?.median() ?? null };
    this.files.push(done);
    return done;
  }

  skipStream(stream: string): void {
    this.skipped.set(stream, (this.skipped.get(stream) ?? 0) + 1);
  }

  skipRow(): void {
    this.skippedRows++;
  }

  warn(w: ImportWarning): void {
    this.warnings.push(w);
    this.onWarning?.(w);
  }

  /** Damage kept going past: listed (bounded), counted, and told as a warning (the first ten per file kind). */
  damage(d: DamageRecord): void {
    this.damageCount++;
    if (this.damageList.length < MAX_DAMAGE_LISTED) this.damageList.push(d);
    const lost = d.bytesLost !== undefined && d.bytesLost > 0 ? ` (${d.bytesLost} bytes lost)` : '';
    const what = d.kind === 'bad-line' ? 'skipped a line that does not parse' : d.kind === 'cut-line' ? 'dropped the last line, cut mid-way' : d.kind === 'truncated' ? 'the input ends early; kept every line before the cut' : 'damaged data; kept every line before it, the rest is lost';
    if (this.damageCount <= 10 || d.kind !== 'bad-line') this.warn({ code: 'W_DAMAGE', file: d.file, message: `${d.file}:${d.line}: ${what}${lost}: ${d.message}` });
  }

  addInferred(spec: InstrumentSpec): void {
    this.inferred.push(spec);
  }

  snapshot(): ImportStats {
    const symbols: Record<string, EventCounts> = {};
    for (const s of [...this.bySymbol.keys()].sort()) symbols[s] = { ...(this.bySymbol.get(s) as EventCounts) };
    const skippedStreams: Record<string, number> = {};
    for (const s of [...this.skipped.keys()].sort()) skippedStreams[s] = this.skipped.get(s) as number;
    return {
      files: this.files.map((f) => ({ ...f, symbols: [...f.symbols] })),
      symbols,
      skippedStreams,
      skippedRows: this.skippedRows,
      events: this.events,
      bytesRead: this.bytesRead,
      totalBytes: this.totalBytes,
      warnings: [...this.warnings],
      inferredSpecs: [...this.inferred],
      damage: [...this.damageList],
      damageCount: this.damageCount,
    };
  }
}
