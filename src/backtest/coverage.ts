/**
 * What the data of a run covered: per symbol and scenario stream (depth, trades, bookTicker,
 * aggTrades, markPrice), the events the sources delivered, the receive time of the first and the
 * last, and the longest silence (the largest gap between two consecutive events of the stream).
 *
 * Measured by wrapping each source (one per symbol, `PreparedData.sources[i]` ↔ `instruments[i]`)
 * before the merge: one pass over each batch's type and receive-time accessors, no event built,
 * counters in typed arrays. It reads what the sources yield and passes every batch on unchanged,
 * so the run (and its event-log hash) is the same with or without it.
 *
 * Units: receive time, integer µs since the Unix epoch (the clock `data.range` selects on).
 */
import type { MarketEvent } from '../model/events.ts';
import { asEventBatch, type EventBatch, type EventBatches } from '../store/index.ts';
import { STREAM_TYPES } from './feed.ts';

/** The scenario's stream names, in a fixed order. */
export const COVERAGE_STREAMS: readonly string[] = Object.keys(STREAM_TYPES);

const STREAM_INDEX: ReadonlyMap<string, number> = new Map(COVERAGE_STREAMS.flatMap((name, i) => STREAM_TYPES[name].map((type) => [type, i] as const)));

export interface StreamCoverage {
  stream: string;
  events: number;
  /** Receive time of the first / last event, µs; null without events. */
  firstUs: number | null;
  lastUs: number | null;
  /** Largest gap between two consecutive events of the stream, µs, and where it started; null with < 2 events. */
  longestSilenceUs: number | null;
  longestSilenceFromUs: number | null;
}

export interface SymbolCoverage {
  symbol: string;
  /** One entry per stream of `COVERAGE_STREAMS`, in that order. */
  streams: StreamCoverage[];
}

export class CoverageMeter {
  private readonly n: number;
  private readonly count: Float64Array;
  private readonly first: Float64Array;
  private readonly last: Float64Array;
  private readonly silence: Float64Array;
  private readonly silenceFrom: Float64Array;

  constructor(readonly symbols: readonly string[]) {
    this.n = COVERAGE_STREAMS.length;
    const size = symbols.length * this.n;
    this.count = new Float64Array(size);
    this.first = new Float64Array(size);
    this.last = new Float64Array(size);
    this.silence = new Float64Array(size).fill(-1);
    this.silenceFrom = new Float64Array(size);
  }

  /** The source of `symbols[symbolIndex]`, measured as it is read. */
  async *wrap(source: EventBatches, symbolIndex: number): AsyncGenerator<MarketEvent[] | EventBatch> {
    for await (const raw of source) {
      this.scan(asEventBatch(raw), symbolIndex * this.n);
      yield raw;
    }
  }

  private scan(b: EventBatch, base: number): void {
    const { count, first, last, silence, silenceFrom } = this;
    // Events come in runs of one type (bookTickers, mostly): the last type's stream is kept, so
    // most events cost a string identity check instead of a keyed lookup.
    let lastType = '';
    let lastStream = -1;
    for (let k = 0; k < b.length; k++) {
      const type = b.typeAt(k);
      if (type !== lastType) {
        lastType = type;
        lastStream = STREAM_INDEX.get(type) ?? -1;
      }
      const s = lastStream;
      if (s < 0) continue;
      const i = base + s;
      const t = b.tsReceiveUsAt(k);
      if (count[i] === 0) first[i] = t;
      else if (t - last[i] > silence[i]) {
        silence[i] = t - last[i];
        silenceFrom[i] = last[i];
      }
      last[i] = t;
      count[i]++;
    }
  }

  result(): SymbolCoverage[] {
    return this.symbols.map((symbol, si) => ({
      symbol,
      streams: COVERAGE_STREAMS.map((stream, s) => {
        const i = si * this.n + s;
        const events = this.count[i];
        return {
          stream,
          events,
          firstUs: events > 0 ? this.first[i] : null,
          lastUs: events > 0 ? this.last[i] : null,
          longestSilenceUs: events > 1 ? this.silence[i] : null,
          longestSilenceFromUs: events > 1 ? this.silenceFrom[i] : null,
        };
      }),
    }));
  }
}
