/**
 * Latency models of the backtest wire (market-making.md §2.8; hftbacktest docs/latency_models.rst).
 *
 * Units: integer microseconds. Three latencies:
 * - feed latency: exchange time → when the strategy side sees a market event (`FeedTiming`);
 * - entry latency: an order leaving the strategy → reaching the exchange;
 * - response latency: an exchange report → reaching the strategy.
 *
 * Feed timing. The exchange side sees event k at `exchangeUs_k = max(E_k, exchangeUs_{k−1})` (the
 * recording order is kept; an exchange stamp that goes backwards — streams merged by receive
 * time — is raised to its predecessor's). The strategy side sees it at
 *   recorded: localUs_k = max(localUs_{k−1}, R_k − clockOffsetUs, exchangeUs_k + minLatencyUs)
 *   constant: localUs_k = exchangeUs_k + latencyUs
 * so both sequences are non-decreasing and the strategy never sees an event before the exchange
 * does. `clockOffsetUs: 'auto'` estimates the recorder clock offset from the first
 * `offsetSampleEvents` events (default 100,000: minutes of a busy symbol), held back until they are
 * known: the median over 1-second windows of receive time of each window's median R − E
 * (`estimateClockOffsetUs`). The window medians weigh time, not events, so a burst at the start (a
 * recorder catching up, a publication lag flushing a backlog: many events with a large R − E in a
 * few seconds) moves the estimate no more than any other few seconds. It also removes the median
 * true latency; a floor `minLatencyUs` keeps causality. The current feed latency is
 * localUs − exchangeUs of the last event, which the `feed` order-latency model scales.
 *
 * Order latency models all implement `OrderLatencyModel`; the engine keeps each direction FIFO
 * (a message never overtakes an earlier one in the same direction), as on one TCP connection.
 */
import { ConfigError, InputError } from '../core/errors.ts';
import type { Rng } from '../core/random.ts';
import type { EventBatch } from '../store/index.ts';

export interface OrderLatencyModel {
  readonly name: string;
  /** Entry latency of a message sent at strategy time `tsUs`, µs (≥ 0, integer). */
  entryUs(tsUs: number): number;
  /** Response latency of a report emitted at exchange time `tsUs`, µs (≥ 0, integer). */
  responseUs(tsUs: number): number;
  /** Feed latency of the last market event (µs); used by the `feed` model. */
  observeFeedLatency?(latencyUs: number): void;
}

export class ConstantLatency implements OrderLatencyModel {
  readonly name = 'constant';
  constructor(
    private readonly entry: number,
    private readonly response: number,
  ) {
    assertLatency(entry, 'entryUs');
    assertLatency(response, 'responseUs');
  }
  entryUs(): number {
    return this.entry;
  }
  responseUs(): number {
    return this.response;
  }
}

/** entry = feed × entryMultiplier + entryOffsetUs (response likewise), rounded to whole µs. */
export class FeedRelativeLatency implements OrderLatencyModel {
  readonly name = 'feed';
  private feedUs = 0;
  constructor(private readonly p: { entryMultiplier: number; entryOffsetUs: number; responseMultiplier: number; responseOffsetUs: number }) {}
  observeFeedLatency(latencyUs: number): void {
    this.feedUs = latencyUs;
  }
  entryUs(): number {
    return Math.max(0, Math.round(this.feedUs * this.p.entryMultiplier) + this.p.entryOffsetUs);
  }
  responseUs(): number {
    return Math.max(0, Math.round(this.feedUs * this.p.responseMultiplier) + this.p.responseOffsetUs);
  }
}

export type LatencyDistribution = 'exponential' | 'lognormal' | 'uniform';

/** Seeded draws: minUs + X, X exponential(mean), lognormal(median = mean, σ) or uniform(0, 2·mean). */
export class RandomLatency implements OrderLatencyModel {
  readonly name = 'random';
  constructor(
    private readonly rng: Rng,
    private readonly p: { distribution: LatencyDistribution; entryMeanUs: number; responseMeanUs: number; sigma: number; minUs: number },
  ) {}
  private draw(mean: number): number {
    let x: number;
    switch (this.p.distribution) {
      case 'exponential':
        x = this.rng.exponential(mean);
        break;
      case 'lognormal':
        x = mean * Math.exp(this.p.sigma * this.rng.normal());
        break;
      case 'uniform':
        x = 2 * mean * this.rng.next();
        break;
    }
    return this.p.minUs + Math.round(x);
  }
  entryUs(): number {
    return this.draw(this.p.entryMeanUs);
  }
  responseUs(): number {
    return this.draw(this.p.responseMeanUs);
  }
}

/** Linear interpolation in a recorded latency table (ts ascending), constant beyond its ends. */
export class RecordedLatency implements OrderLatencyModel {
  readonly name = 'recorded';
  private cursor = 0;
  constructor(
    private readonly tsUs: Float64Array,
    private readonly entry: Float64Array,
    private readonly response: Float64Array,
  ) {
    if (tsUs.length === 0) throw new InputError('the order-latency table is empty');
  }

  /** Reads `ts_us,entry_latency_us,response_latency_us` CSV text (header required). */
  static fromCsv(text: string, file = ''): RecordedLatency {
    const lines = text.split(/\r?\n/);
    const header = lines[0]?.trim();
    if (header !== 'ts_us,entry_latency_us,response_latency_us') {
      throw new InputError(`expected the header "ts_us,entry_latency_us,response_latency_us", got "${header ?? ''}"`, { file, line: 1 });
    }
    const ts: number[] = [];
    const en: number[] = [];
    const re: number[] = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line === '') continue;
      const cells = line.split(',');
      if (cells.length !== 3) throw new InputError(`expected 3 columns, got ${cells.length}`, { file, line: i + 1 });
      const names = ['ts_us', 'entry_latency_us', 'response_latency_us'];
      const v = cells.map((c, j) => {
        const n = Number(c);
        if (c.trim() === '' || !Number.isSafeInteger(n)) throw new InputError(`expected an integer, got "${c}"`, { file, line: i + 1, field: names[j] });
        if (j > 0 && n < 0) throw new InputError(`latency must be ≥ 0, got ${n}`, { file, line: i + 1, field: names[j] });
        return n;
      });
      if (ts.length > 0 && v[0] < ts[ts.length - 1]) throw new InputError('rows must be sorted by ts_us', { file, line: i + 1, field: 'ts_us' });
      ts.push(v[0]);
      en.push(v[1]);
      re.push(v[2]);
    }
    if (ts.length === 0) throw new InputError('the order-latency file has no rows', { file }, 'E_INPUT_EMPTY');
    return new RecordedLatency(Float64Array.from(ts), Float64Array.from(en), Float64Array.from(re));
  }

  /** Interpolates column `col` at `tsUs`; times mostly increase, so the search starts at the last position. */
  private at(col: Float64Array, tsUs: number): number {
    const ts = this.tsUs;
    const n = ts.length;
    if (tsUs <= ts[0]) return col[0];
    if (tsUs >= ts[n - 1]) return col[n - 1];
    let i = this.cursor;
    if (ts[i] > tsUs) i = 0;
    while (i + 1 < n && ts[i + 1] <= tsUs) i++;
    this.cursor = i;
    const t0 = ts[i];
    const t1 = ts[i + 1];
    return Math.round(col[i] + ((col[i + 1] - col[i]) * (tsUs - t0)) / (t1 - t0));
  }
  entryUs(tsUs: number): number {
    return this.at(this.entry, tsUs);
  }
  responseUs(tsUs: number): number {
    return this.at(this.response, tsUs);
  }
}

function assertLatency(v: number, name: string): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new ConfigError(`${name} must be a non-negative integer number of µs, got ${v}`, { field: name });
}

/** How market events are stamped for the two sides (see the header). */
export interface FeedTimingConfig {
  model: 'recorded' | 'constant';
  latencyUs: number;
  /** µs; `auto` must be resolved (see `medianOffsetUs`) before building a `FeedTiming`. */
  clockOffsetUs: number;
  minLatencyUs: number;
}

/** Running stamps; `stamp` must be called for each event in feed order. */
export class FeedTiming {
  exchangeUs = -Infinity;
  localUs = -Infinity;
  constructor(readonly cfg: FeedTimingConfig) {}

  stamp(tsExchangeUs: number, tsReceiveUs: number): void {
    const ex = tsExchangeUs > this.exchangeUs ? tsExchangeUs : this.exchangeUs;
    this.exchangeUs = ex;
    if (this.cfg.model === 'constant') {
      this.localUs = ex + this.cfg.latencyUs;
      return;
    }
    let loc = tsReceiveUs - this.cfg.clockOffsetUs;
    const floor = ex + this.cfg.minLatencyUs;
    if (loc < floor) loc = floor;
    if (loc < this.localUs) loc = this.localUs;
    this.localUs = loc;
  }
}

/** Median of receive − exchange over the given events (integer µs; lower median for even counts). */
export function medianOffsetUs(diffsUs: readonly number[]): number {
  if (diffsUs.length === 0) return 0;
  const s = [...diffsUs].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1];
}

/** Events `clockOffsetUs: auto` holds back and estimates from, by default. */
export const DEFAULT_OFFSET_SAMPLE_EVENTS = 100_000;
/** Width of the receive-time windows of `estimateClockOffsetUs`, µs. */
export const OFFSET_WINDOW_US = 1_000_000;

/**
 * The recorder clock offset of the first `maxEvents` events of `batches` (in feed order), µs: the
 * lower median over `OFFSET_WINDOW_US` windows of receive time of each window's lower median of
 * R − E. A window is a run of consecutive events with the same floor(R / window). 0 when there are
 * no events. Integer, and a pure function of the events' stamps.
 */
export function estimateClockOffsetUs(batches: readonly EventBatch[], maxEvents: number): number {
  const windowMedians: number[] = [];
  const inWindow: number[] = [];
  let window = NaN;
  let seen = 0;
  for (const b of batches) {
    for (let k = 0; k < b.length && seen < maxEvents; k++, seen++) {
      const rx = b.tsReceiveUsAt(k);
      const w = Math.floor(rx / OFFSET_WINDOW_US);
      if (w !== window && inWindow.length > 0) {
        windowMedians.push(medianOffsetUs(inWindow));
        inWindow.length = 0;
      }
      window = w;
      inWindow.push(rx - b.tsExchangeUsAt(k));
    }
  }
  if (inWindow.length > 0) windowMedians.push(medianOffsetUs(inWindow));
  return medianOffsetUs(windowMedians);
}
