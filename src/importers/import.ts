/**
 * `importSources`: the inputs (files, or directories whose files are taken in name order) read in
 * order as one session, turned into batches of `MarketEvent`s.
 *
 * Order: files in the given order; within a file, events in line order (a grouped CSV event at
 * its first row). Batches never span two files. Events of different files are not merged by time:
 * each event keeps its symbol, and the store sorts them into venue/symbol/date partitions.
 *
 * Failure: the first bad line stops the import with an `InputError` naming file, line and field.
 * The batch being filled is dropped, so no half-parsed event is ever delivered; batches delivered
 * before the error are valid, which is why a caller writing a store should commit only once the
 * iterator has finished.
 */
import { statSync } from 'node:fs';
import { ConfigError, InputError, MakerError, withLocation } from '../core/errors.ts';
import type { MarketEvent } from '../model/events.ts';
import { BinanceDepthCsvParser, VisionParser, VISION_HEADERS } from './binance-vision.ts';
import { detectFormat, listInputFiles } from './detect.ts';
import { fieldError, locate, type ParseContext, type PriceQtyScale } from '../wire/index.ts';
import { newReadState, readLineBlocks, readLineChunks } from './source.ts';
import { SampleScale, SpecResolver } from './specs.ts';
import { ImportStatsCollector } from './stats.ts';
import { TARDIS_HEADERS, TardisBookSnapshotParser, TardisDerivativeTickerParser, TardisIncrementalBookParser, TardisQuotesParser, TardisTradesParser } from './tardis.ts';
import { FORMAT_IDS } from './types.ts';
import type { DamageRecord, DetectedInput, FormatId, ImportOptions, ImportStats, LineParser } from './types.ts';
import { BinanceWsRecordingParser, CryptofeedParser } from './ws-recordings.ts';

export interface ImportSession {
  /** Batches of events; iterate once. */
  events: AsyncIterable<MarketEvent[]>;
  /** Statistics so far (complete once `events` is exhausted). */
  stats: () => ImportStats;
}

const DEFAULT_BATCH = 8192;
const DEFAULT_SAMPLE_LINES = 20_000;

/** Formats whose lines carry a receive time of their own (others set tsReceiveUs = tsExchangeUs). */
function hasReceiveTimes(format: FormatId): boolean {
  return format === 'binance-ws-recording' || format === 'cryptofeed' || format.startsWith('tardis-');
}

class FileContext implements ParseContext {
  line = 0;
  field = '';
  index = -1;
  private lastReceiveUs = -Infinity;
  private lastSymbol = '';
  private lastScale: PriceQtyScale | null = null;

  constructor(
    readonly file: string,
    private readonly toleranceUs: number,
    private readonly lookup: (symbol: string) => PriceQtyScale,
    private readonly stats: ImportStatsCollector | null,
  ) {}

  damage(d: DamageRecord): void {
    this.stats?.damage(d);
  }

  /** State a line may change before it fails (its receive time): saved before, restored after a skipped line. */
  mark(): number {
    return this.lastReceiveUs;
  }

  restore(mark: number): void {
    this.lastReceiveUs = mark;
  }

  instrument(symbol: string): PriceQtyScale {
    if (symbol === this.lastSymbol && this.lastScale) return this.lastScale;
    const scale = this.lookup(symbol);
    this.lastSymbol = symbol;
    this.lastScale = scale;
    return scale;
  }

  skipStream(stream: string): void {
    this.stats?.skipStream(stream);
  }

  skipRow(): void {
    this.stats?.skipRow();
  }

  warn(code: string, message: string, symbol?: string): void {
    this.stats?.warn({ code, message, file: this.file, symbol });
  }

  receiveTime(tsUs: number, field: string): void {
    if (tsUs < this.lastReceiveUs - this.toleranceUs) {
      throw fieldError(this, field, `time went backwards: ${tsUs} µs is ${this.lastReceiveUs - tsUs} µs before the previous line's ${this.lastReceiveUs} µs (tolerance ${this.toleranceUs} µs)`);
    }
    if (tsUs > this.lastReceiveUs) this.lastReceiveUs = tsUs;
  }
}

function makeParser(det: DetectedInput, opts: ImportOptions, previousFileSymbol: string | undefined): LineParser {
  const columns = det.columns ?? [];
  const symbol = (opts.symbol ?? det.symbolFromName)?.toUpperCase();
  switch (det.format) {
    case 'binance-ws-recording':
      return new BinanceWsRecordingParser(det.path, opts.symbol?.toUpperCase(), previousFileSymbol);
    case 'cryptofeed':
      return new CryptofeedParser();
    case 'tardis-trades':
      return new TardisTradesParser(det.columns ?? [...TARDIS_HEADERS['tardis-trades']], det.hasHeader);
    case 'tardis-quotes':
      return new TardisQuotesParser(det.columns ?? [...TARDIS_HEADERS['tardis-quotes']], det.hasHeader);
    case 'tardis-incremental-book-l2':
      return new TardisIncrementalBookParser(det.columns ?? [...TARDIS_HEADERS['tardis-incremental-book-l2']], det.hasHeader);
    case 'tardis-derivative-ticker':
      return new TardisDerivativeTickerParser(det.columns ?? [...TARDIS_HEADERS['tardis-derivative-ticker']], det.hasHeader);
    case 'tardis-book-snapshot':
      if (columns.length === 0) throw new InputError('a Tardis book snapshot file needs its header row', { file: det.path, line: 1, field: 'header' }, 'E_INPUT_FORMAT');
      return new TardisBookSnapshotParser(columns, det.hasHeader);
    case 'binance-depth-csv':
      return new BinanceDepthCsvParser(det.hasHeader);
    default:
      if (!symbol) {
        throw new InputError(`the file name does not name the symbol (expected like BTCUSDT-trades-2024-01-01.zip); pass the symbol explicitly`, { file: det.path, field: 'symbol' }, 'E_INPUT_FORMAT');
      }
      return new VisionParser(det.format, det.hasHeader, symbol);
  }
}

/** With a forced format, the header is still recognised (and skipped) when the first line is one. */
async function forcedInput(path: string, format: FormatId): Promise<DetectedInput> {
  if (!(FORMAT_IDS as readonly string[]).includes(format)) {
    throw new ConfigError(`unknown input format "${format}"; one of: ${FORMAT_IDS.join(', ')}`, { field: 'format' });
  }
  let det: DetectedInput | null = null;
  try {
    det = await detectFormat(path);
  } catch (e) {
    if (!(e instanceof MakerError) || e.code !== 'E_INPUT_FORMAT') throw e;
  }
  if (det && det.format === format) return det;
  const header = (VISION_HEADERS as Record<string, readonly string[]>)[format] ?? (TARDIS_HEADERS as Record<string, readonly string[]>)[format];
  const magic = det?.compression ?? (/\.gz$/.test(path) ? 'gzip' : /\.zip$/.test(path) ? 'zip' : 'none');
  return { path, format, compression: magic, hasHeader: false, columns: header ? [...header] : undefined, symbolFromName: det?.symbolFromName };
}

/**
 * Parses every line of one file into batches. A line that does not parse fails the file, except
 * the file's last line when it has no newline (a writer died mid-line: dropped, reported) and, with
 * `skipBadLines`, any line (skipped, reported); a compressed stream that ends early ends the file
 * (reported). Reports go through `ctx.damage`.
 */
async function* parseFile(
  det: DetectedInput,
  parser: LineParser,
  ctx: FileContext,
  batchSize: number,
  maxLines: number,
  fastPaths: boolean,
  skipBadLines: boolean,
  onBytes?: (n: number) => void,
): AsyncGenerator<MarketEvent[]> {
  let batch: MarketEvent[] = [];
  let lineNo = 0;
  const read = newReadState(skipBadLines);
  /**
   * A line failed: keep going past it when it is the file's unterminated last line and stops short
   * (a writer killed mid-line), or when bad lines are skipped. Not spec or config errors.
   */
  const onBadLine = (err: unknown, lastLine: boolean, bytes: number, before: number, mark: number): void => {
    const located = locate(err, ctx);
    const code = located instanceof MakerError ? located.code : '';
    const cut = lastLine && code === 'E_INPUT_INCOMPLETE';
    if (!(cut || (skipBadLines && (code === 'E_INPUT' || code === 'E_INPUT_INCOMPLETE' || code === 'E_NUMBER')))) throw located;
    lastLine = cut;
    batch.length = before; // nothing of a line that failed half-way
    ctx.restore(mark);
    const message = located instanceof MakerError ? located.message : String(located);
    ctx.damage({ file: det.path, line: lineNo, kind: lastLine ? 'cut-line' : 'bad-line', message, bytesLost: lastLine ? bytes : undefined });
  };
  /** One line (`\r` already stripped) through the general, string path. */
  const parseText = (line: string, lastLine: boolean, mark = ctx.mark()): void => {
    if (line.length === 0 || line.trim().length === 0) return;
    ctx.line = lineNo;
    ctx.field = '';
    ctx.index = -1;
    const before = batch.length;
    try {
      parser.parseLine(line, ctx, batch);
    } catch (e) {
      onBadLine(e, lastLine, Buffer.byteLength(line), before, mark);
    }
  };
  try {
    if (parser.parseLineBytes !== undefined && fastPaths) {
      for await (const block of readLineBlocks(det.path, det.compression, onBytes, read)) {
        const n = block.length;
        for (let s = 0; s < n && lineNo < maxLines; ) {
          let e = block.indexOf(10, s);
          if (e < 0) e = n;
          const next = e + 1;
          lineNo++;
          if (!(lineNo === 1 && parser.skipFirstLine)) {
            if (e > s && block[e - 1] === 13) e--;
            const c = block[s];
            let done = false;
            // The unterminated last line of the file comes alone, as the last block.
            const lastLine = read.lastLineUnterminated && next >= n;
            // Before the fast path: it may take the line's receive time and then decline the line.
            const mark = ctx.mark();
            // A line beginning with printable ASCII is not blank, so it is a data line to parse.
            if (e > s && c > 32 && c < 127) {
              ctx.line = lineNo;
              ctx.field = '';
              ctx.index = -1;
              const before = batch.length;
              try {
                done = parser.parseLineBytes(block, s, e, ctx, batch);
              } catch (err) {
                onBadLine(err, lastLine, e - s, before, mark);
                done = true;
              }
            }
            if (!done) parseText(block.toString('utf8', s, e), lastLine, mark);
            if (batch.length >= batchSize) {
              yield batch;
              batch = [];
            }
          }
          s = next;
        }
        if (lineNo >= maxLines) break;
      }
    } else {
      for await (const chunk of readLineChunks(det.path, det.compression, onBytes, read)) {
        for (let i = 0; i < chunk.length; i++) {
          let line = chunk[i];
          lineNo++;
          if (lineNo === 1 && parser.skipFirstLine) continue;
          if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
          parseText(line, read.lastLineUnterminated);
          if (batch.length >= batchSize) {
            yield batch;
            batch = [];
          }
          if (lineNo >= maxLines) break;
        }
        if (lineNo >= maxLines) break;
      }
    }
    if (read.endedEarly !== null && lineNo < maxLines) {
      const end = read.endedEarly;
      if (end.kind === 'corrupt' && !skipBadLines) throw new InputError(end.message, { file: det.path, line: lineNo + 1, field: 'gzip data' });
      ctx.damage({ file: det.path, line: lineNo + 1, kind: end.kind, message: end.message, bytesLost: end.bytesDropped > 0 ? end.bytesDropped : undefined });
    }
    ctx.line = lineNo;
    ctx.field = '';
    ctx.index = -1;
    parser.finish(ctx, batch);
  } catch (e) {
    // A damaged container knows the file but not how far the text had got.
    if (e instanceof MakerError && e.location.line === undefined) throw withLocation(e, { file: det.path, line: lineNo + 1 });
    throw e;
  }
  if (parser.dataLines() === 0 && maxLines === Infinity) {
    throw new InputError('file holds no data lines', { file: det.path, line: Math.max(lineNo, 1) }, 'E_INPUT_EMPTY');
  }
  if (batch.length > 0) yield batch;
}

/** Runs the file's parser over its first lines with sampling scales and adds specs for unknown symbols. */
async function inferMissingSpecs(det: DetectedInput, opts: ImportOptions, resolver: SpecResolver, stats: ImportStatsCollector, previousFileSymbol: string | undefined): Promise<void> {
  const samples = new Map<string, SampleScale>();
  const lookup = (symbol: string): PriceQtyScale => {
    if (resolver.has(symbol)) return resolver.get(symbol);
    let s = samples.get(symbol);
    if (!s) {
      s = new SampleScale();
      samples.set(symbol, s);
    }
    return s;
  };
  const lines = opts.inferSampleLines ?? DEFAULT_SAMPLE_LINES;
  const ctx = new FileContext(det.path, Infinity, lookup, null);
  const parser = makeParser(det, opts, previousFileSymbol);
  for await (const batch of parseFile(det, parser, ctx, DEFAULT_BATCH, lines, opts.fastPaths ?? true, true)) {
    for (const ev of batch) {
      const s = samples.get(ev.symbol);
      if (s && s.firstTsUs < 0) s.firstTsUs = ev.tsExchangeUs;
    }
  }
  for (const [symbol, sample] of [...samples].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const spec = sample.toSpec(symbol, det.path);
    if (!spec) continue;
    resolver.addInferred(spec);
    stats.addInferred(spec);
    stats.warn({
      code: 'W_SPEC_INFERRED',
      symbol,
      file: det.path,
      message: `no spec for ${symbol}: inferred tick ${spec.tickSize} and step ${spec.stepSize} from the first ${lines} lines (finest price "${sample.finestPrice}", quantity "${sample.finestQty}"); other filters are permissive. Give an exchangeInfo file for exact filters.`,
    });
  }
}

async function* runImport(inputs: string[], opts: ImportOptions, stats: ImportStatsCollector): AsyncGenerator<MarketEvent[]> {
  const { files, fromDirectory } = listInputFiles(inputs);
  const sizes = files.map((f) => statSync(f).size);
  stats.totalBytes = sizes.reduce((a, b) => a + b, 0);
  // Detect every file first, so a wrong file fails the import before any event is delivered.
  const detected: DetectedInput[] = [];
  for (const f of files) detected.push(opts.format ? await forcedInput(f, opts.format) : await detectFormat(f));

  const resolver = new SpecResolver(opts.specs);
  const batchSize = Math.max(1, opts.batchSize ?? DEFAULT_BATCH);
  const tolerance = opts.receiveTimeToleranceUs ?? 0;
  const onBytes = (n: number) => {
    stats.bytesRead += n;
    opts.onProgress?.(stats.bytesRead, stats.totalBytes);
  };
  const symbolsByDirectory = new Map<string, Set<string>>();
  let previousFileSymbol: string | undefined;

  for (let i = 0; i < detected.length; i++) {
    const det = detected[i];
    if (opts.inferSpecs) await inferMissingSpecs(det, opts, resolver, stats, previousFileSymbol);
    const parser = makeParser(det, opts, previousFileSymbol);
    const ctx = new FileContext(det.path, tolerance, (s) => resolver.get(s), stats);
    stats.beginFile(hasReceiveTimes(det.format));
    let lines = 0;
    for await (const batch of parseFile(det, parser, ctx, batchSize, Infinity, opts.fastPaths ?? true, opts.skipBadLines ?? false, onBytes)) {
      stats.count(batch);
      yield batch;
    }
    lines = ctx.line;
    const done = stats.endFile({ path: det.path, format: det.format, compression: det.compression, bytes: sizes[i], lines, receiveTimeUnit: parser.receiveTimeUnit() });
    if (parser instanceof BinanceWsRecordingParser) previousFileSymbol = parser.fileSymbol();
    const dir = fromDirectory.get(det.path);
    if (dir !== undefined) {
      let set = symbolsByDirectory.get(dir);
      if (!set) symbolsByDirectory.set(dir, (set = new Set()));
      for (const s of done.symbols) set.add(s);
    }
  }
  for (const [dir, symbols] of symbolsByDirectory) {
    if (symbols.size > 1) {
      const list = [...symbols].sort();
      stats.warn({ code: 'W_MIXED_SYMBOLS', file: dir, message: `directory holds ${list.length} symbols (${list.join(', ')}); imported file by file, each event keeps its own symbol` });
    }
  }
}

/**
 * Reads the inputs as one session. Nothing is read until `events` is iterated; format detection of
 * all files happens first. See the module header for ordering and failure semantics.
 */
export function importSources(inputs: string[], opts: ImportOptions): ImportSession {
  const stats = new ImportStatsCollector(opts.onWarning);
  let started = false;
  const events: AsyncIterable<MarketEvent[]> = {
    [Symbol.asyncIterator]() {
      if (started) throw new InputError('an import session can be iterated only once', {}, 'E_INPUT');
      started = true;
      return runImport(inputs, opts, stats);
    },
  };
  return { events, stats: () => stats.snapshot() };
}
