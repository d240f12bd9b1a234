/**
 * Funding settlements of the exchange's positions (binance-usdm.md §9): at each funding time the
 * holder receives −position × mark × rate (positive rate: longs pay shorts). Times are µs.
 *
 * Data mode — funding times and rates come from MarkPrice events:
 * - markPrice stream / Tardis `derivative_ticker`: each event announces the next funding time and
 *   the rate that will be charged then. When an event announces a later funding time than the one
 *   pending, the pending one has passed: it is settled at that time with the rate last announced
 *   for it and the mark price last seen before this event.
 * - data.binance.vision `fundingRate`: an event whose funding time is not after its own time
 *   (`nextFundingTimeUs <= tsExchangeUs`) is a settlement record; it is settled at once at its time
 *   and rate (once per funding time).
 * - An imported funding history (`FundingConfig.history`, the store's side table written by
 *   `maker data import`): each record after the start of the run is settled at its time and rate,
 *   when the first event or command at or after that time arrives (as in fixed mode), unless that
 *   funding time was already settled from markPrice data. It is how data without a markPrice
 *   stream (hftbacktest recordings, depth-only stores) gets funding.
 * Fixed mode — every `intervalUs` (default 8 h) from 00:00 UTC + `offsetUs`, at a fixed rate, for
 * every symbol, when the first event or command at or after that time arrives.
 * The mark price is the last one seen; without one, the book mid; without a book, the settlement
 * is skipped and counted (`fundingSkipped`). The position charged is the one the exchange holds
 * when it learns that the funding time has passed: the first markPrice event after it (≤ 1 s later
 * with the markPrice@1s stream), or the first event or command after it in fixed mode. A settlement
 * is reported even when the position is flat (payment "0"), so consumers see every funding time.
 */
import type { MarkPrice } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import { ConfigError } from '../core/errors.ts';
import { formatScaled, parseDecimal, type ScaledDecimal } from '../model/money.ts';
import { fundingPayment } from './money.ts';
import type { FundingSettlement } from '../model/venue.ts';
import type { FundingConfig, FundingRecord, SimExchangeCounters } from './types.ts';

export const DEFAULT_FUNDING_INTERVAL_US = 8 * 3600 * 1_000_000;

/** What funding needs of a symbol's state. */
export interface SymbolFunding {
  readonly inst: Instrument;
  readonly positionLots: number;
  readonly mark: ScaledDecimal | null;
  midExact(): ScaledDecimal | null;
  pendingFundingUs: number;
  pendingRate: string;
  lastSettledUs: number;
}

export class FundingClock {
  /** Next fixed-mode (or history) funding time; Infinity when there is none. Set on the first call to `due`. */
  private nextFixedUs: number;
  /** Data mode: imported funding records per symbol, sorted, and the index of the next one. */
  private readonly history = new Map<string, { records: readonly FundingRecord[]; next: number }>();
  private readonly intervalUs: number;
  private readonly offsetUs: number;
  private readonly fixedRate: string;

  constructor(
    private readonly cfg: FundingConfig,
    private readonly counters: SimExchangeCounters,
    /** Receives each settlement as it is made. */
    private readonly emit: (s: FundingSettlement) => void,
  ) {
    if (cfg.mode === 'rate') {
      this.intervalUs = cfg.intervalUs ?? DEFAULT_FUNDING_INTERVAL_US;
      this.offsetUs = cfg.offsetUs ?? 0;
      this.fixedRate = cfg.rate;
      if (!(this.intervalUs > 0 && Number.isInteger(this.intervalUs))) throw new ConfigError(`funding interval must be a positive integer of µs, got ${this.intervalUs}`, { field: 'funding.intervalUs' });
      parseDecimal(cfg.rate, 'funding.rate');
      this.nextFixedUs = NaN;
    } else {
      this.intervalUs = 0;
      this.offsetUs = 0;
      this.fixedRate = '';
      this.nextFixedUs = Infinity;
      if (cfg.mode === 'data' && cfg.history !== undefined) {
        for (const sym of Object.keys(cfg.history).sort()) {
          const records = cfg.history[sym];
          for (let i = 1; i < records.length; i++) {
            if (!(records[i].tsUs > records[i - 1].tsUs)) throw new ConfigError(`funding history of ${sym}: times must increase (record ${i})`, { field: `funding.history.${sym}` });
          }
          for (const r of records) parseDecimal(r.rate, `funding.history.${sym}.rate`);
          if (records.length > 0) this.history.set(sym, { records, next: 0 });
        }
        if (this.history.size > 0) this.nextFixedUs = NaN;
      }
    }
  }

  /** Whether funding times come from the clock (fixed rate or an imported history): every event's time matters. */
  get scheduled(): boolean {
    return this.cfg.mode === 'rate' || this.history.size > 0;
  }

  /** Whether a fixed-mode funding time has been reached at `tsUs`. O(1). */
  due(tsUs: number): boolean {
    if (this.nextFixedUs !== this.nextFixedUs) {
      if (this.cfg.mode === 'rate') {
        // First time seen: the first funding time strictly after the start of the run.
        const k = Math.floor((tsUs - this.offsetUs) / this.intervalUs) + 1;
        this.nextFixedUs = k * this.intervalUs + this.offsetUs;
      } else {
        // History records at or before the start of the run are not the run's.
        for (const h of this.history.values()) while (h.next < h.records.length && h.records[h.next].tsUs <= tsUs) h.next++;
        this.nextFixedUs = this.nextHistoryUs();
      }
      return false;
    }
    return tsUs >= this.nextFixedUs;
  }

  private nextHistoryUs(): number {
    let next = Infinity;
    for (const h of this.history.values()) if (h.next < h.records.length && h.records[h.next].tsUs < next) next = h.records[h.next].tsUs;
    return next;
  }

  settleFixed(states: readonly SymbolFunding[], tsUs: number): void {
    if (this.cfg.mode !== 'rate') {
      // Imported history: every record due by now, in time order, symbols in instrument order.
      while (tsUs >= this.nextFixedUs) {
        const t = this.nextFixedUs;
        for (const s of states) {
          const h = this.history.get(s.inst.symbol);
          if (h === undefined || h.next >= h.records.length || h.records[h.next].tsUs !== t) continue;
          const r = h.records[h.next++];
          if (r.tsUs > s.lastSettledUs) this.settle(s, r.tsUs, r.rate);
        }
        this.nextFixedUs = this.nextHistoryUs();
      }
      return;
    }
    while (tsUs >= this.nextFixedUs) {
      for (const s of states) this.settle(s, this.nextFixedUs, this.fixedRate);
      this.nextFixedUs += this.intervalUs;
    }
  }

  /** Data mode: called with every MarkPrice event before the symbol's mark is updated. */
  onMark(s: SymbolFunding, e: MarkPrice): void {
    if (this.cfg.mode !== 'data') return;
    const next = e.nextFundingTimeUs;
    if (next !== -1 && next <= e.tsExchangeUs && e.fundingRate !== '') {
      // A settlement record; its mark may be in this very event.
      if (next > s.lastSettledUs) this.settle(s, next, e.fundingRate, e.markPrice);
      return;
    }
    if (next !== -1 && s.pendingFundingUs !== -1 && next > s.pendingFundingUs && s.pendingRate !== '' && s.pendingFundingUs > s.lastSettledUs) {
      this.settle(s, s.pendingFundingUs, s.pendingRate);
    }
    if (next !== -1) s.pendingFundingUs = next;
    if (e.fundingRate !== '') s.pendingRate = e.fundingRate;
  }

  private settle(s: SymbolFunding, tsUs: number, rate: string, markOverride = ''): void {
    const mark = markOverride !== '' ? parseDecimal(markOverride, `${s.inst.symbol}.markPrice`) : (s.mark ?? s.midExact());
    s.lastSettledUs = tsUs;
    if (mark === null) {
      this.counters.fundingSkipped++;
      return;
    }
    this.counters.fundingSettlements++;
    this.emit({
      symbol: s.inst.symbol,
      tsUs,
      markPrice: formatScaled(mark.units, mark.scale),
      rate,
      positionLots: s.positionLots,
      payment: fundingPayment(s.inst, s.positionLots, mark, parseDecimal(rate, `${s.inst.symbol}.fundingRate`)),
    });
  }
}
