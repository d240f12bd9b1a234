// Runs one recording line through both parser paths — the byte fast path (falling back to the
// string path as the importer does) and the string/JSON.parse path alone — and reports either
// the events or the error each produced, so tests can require them to be identical.
import { MakerError } from '../../src/core/errors.ts';
import { fieldError, type ParseContext } from '../../src/wire/index.ts';
import type { LineParser } from '../../src/importers/types.ts';
import { BinanceWsRecordingParser, CryptofeedParser } from '../../src/importers/ws-recordings.ts';
import type { MarketEvent } from '../../src/model/events.ts';
import type { SpecRegistry } from '../../src/model/instrument.ts';

export class TestContext implements ParseContext {
  line = 0;
  field = '';
  index = -1;
  readonly skipped: string[] = [];
  private last = -Infinity;
  constructor(
    readonly file: string,
    private readonly specs: SpecRegistry,
  ) {}
  instrument(symbol: string) {
    return this.specs.get(symbol);
  }
  skipStream(stream: string): void {
    this.skipped.push(stream);
  }
  skipRow(): void {}
  warn(): void {}
  receiveTime(tsUs: number, field: string): void {
    if (tsUs < this.last) throw fieldError(this, field, `time went backwards: ${tsUs}`);
    if (tsUs > this.last) this.last = tsUs;
  }
}

/** Events as JSON text, one string per event (key order included). */
export type Outcome = { events: string[]; skipped: string[]; fast: boolean } | { error: string; fast: boolean };

function describeError(e: unknown): string {
  if (e instanceof MakerError) return JSON.stringify({ name: e.name, code: e.code, message: e.message, location: e.location });
  return `non-MakerError ${(e as Error)?.name}: ${(e as Error)?.message}`;
}

/** A pair of parsers (one per path) fed the same lines, e.g. all lines of a file in order. */
export class PathPair {
  private readonly fastParser: LineParser;
  private readonly slowParser: LineParser;
  private readonly fastCtx: TestContext;
  private readonly slowCtx: TestContext;
  /** Lines the byte path parsed itself. */
  fastLines = 0;

  constructor(kind: 'hftbacktest' | 'cryptofeed', specs: SpecRegistry, file = 'btcusdt_test.txt') {
    const make = () => (kind === 'hftbacktest' ? new BinanceWsRecordingParser(file, undefined, undefined) : new CryptofeedParser());
    this.fastParser = make();
    this.slowParser = make();
    this.fastCtx = new TestContext(file, specs);
    this.slowCtx = new TestContext(file, specs);
  }

  /** Both outcomes of one line (line number `lineNo`), which the caller compares. */
  run(line: string, lineNo = 1): { fast: Outcome; slow: Outcome } {
    return { fast: this.runFast(line, lineNo), slow: this.runSlow(line, lineNo) };
  }

  private runFast(line: string, lineNo: number): Outcome {
    const ctx = this.fastCtx;
    const skippedBefore = ctx.skipped.length;
    ctx.line = lineNo;
    ctx.field = '';
    ctx.index = -1;
    const out: MarketEvent[] = [];
    const bytes = Buffer.from(line, 'utf8');
    let fast = false;
    try {
      // As the importer: only lines beginning with printable ASCII are offered to the byte path.
      if (bytes.length > 0 && bytes[0] > 32 && bytes[0] < 127) fast = this.fastParser.parseLineBytes!(bytes, 0, bytes.length, ctx, out);
      if (!fast) this.fastParser.parseLine(line, ctx, out);
    } catch (e) {
      return { error: describeError(e), fast };
    }
    if (fast) this.fastLines++;
    return { events: out.map((e) => JSON.stringify(e)), skipped: ctx.skipped.slice(skippedBefore), fast };
  }

  private runSlow(line: string, lineNo: number): Outcome {
    const ctx = this.slowCtx;
    const skippedBefore = ctx.skipped.length;
    ctx.line = lineNo;
    ctx.field = '';
    ctx.index = -1;
    const out: MarketEvent[] = [];
    try {
      this.slowParser.parseLine(line, ctx, out);
    } catch (e) {
      return { error: describeError(e), fast: false };
    }
    return { events: out.map((e) => JSON.stringify(e)), skipped: ctx.skipped.slice(skippedBefore), fast: false };
  }
}

/** Whether two outcomes are the same events (and skipped streams) or the same error. */
export function sameOutcome(a: Outcome, b: Outcome): boolean {
  if ('error' in a || 'error' in b) return 'error' in a && 'error' in b && a.error === b.error;
  return a.events.join('\n') === b.events.join('\n') && a.skipped.join('\n') === b.skipped.join('\n');
}

/** The outcome without the path flag, for comparing. */
export function comparable(o: Outcome): unknown {
  const { fast: _fast, ...rest } = o;
  return rest;
}
