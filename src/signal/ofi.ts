/**
 * Order-flow imbalance, Cont–Kukanov–Stoikov (2014). Prices in ticks, quantities in lots, OFI in
 * lots, times in µs.
 *
 * Per best-quote update n (comparisons are NON-strict, so a pure size change at an unchanged price
 * counts on both terms and nets to the size difference):
 *   e_n = 1{Pb_n ≥ Pb_{n−1}}·qb_n − 1{Pb_n ≤ Pb_{n−1}}·qb_{n−1} − 1{Pa_n ≤ Pa_{n−1}}·qa_n + 1{Pa_n ≥ Pa_{n−1}}·qa_{n−1}
 * OFI_k = Σ e_n over updates with time in (t_{k−1}, t_k], where t_k are multiples of the interval
 * (aligned to the epoch, so two runs over the same data cut the same intervals). An update exactly on
 * a boundary belongs to the interval that ends there. Empty intervals have OFI 0.
 *
 * Warm-up: the interval holding the first update is partial, so `ready` turns true when the first
 * full interval after it has closed. A missing side (empty book side) resets the previous state: the
 * next complete update only re-anchors and contributes 0.
 */

/** e_n for one update of the best quotes (non-strict comparisons). */
export function ofiContribution(
  prevBidTicks: number,
  prevBidLots: number,
  prevAskTicks: number,
  prevAskLots: number,
  bidTicks: number,
  bidLots: number,
  askTicks: number,
  askLots: number,
): number {
  let e = 0;
  if (bidTicks >= prevBidTicks) e += bidLots;
  if (bidTicks <= prevBidTicks) e -= prevBidLots;
  if (askTicks <= prevAskTicks) e -= askLots;
  if (askTicks >= prevAskTicks) e += prevAskLots;
  return e;
}

export class OfiAccumulator {
  private readonly intervalUs: number;
  private hasPrev = false;
  private prevBidTicks = 0;
  private prevBidLots = 0;
  private prevAskTicks = 0;
  private prevAskLots = 0;
  /** End of the interval being accumulated (exclusive of later events), µs; NaN before any event. */
  private currentEndUs = NaN;
  private readyAfterUs = NaN;
  /** Running sum of the interval in progress, lots. */
  current = 0;
  /** OFI of the last closed interval, lots (NaN until ready). */
  last = NaN;
  ready = false;

  constructor(intervalUs: number) {
    this.intervalUs = intervalUs;
  }

  /** Closes every interval that ends before `tsUs`. Call before applying an event at `tsUs`. */
  advance(tsUs: number): void {
    if (Number.isNaN(this.currentEndUs)) return;
    if (tsUs <= this.currentEndUs) return;
    // The interval in progress closes with its sum; if more than one boundary passed, the last closed
    // interval saw no updates and its OFI is 0.
    const closedEnd = intervalEnd(tsUs, this.intervalUs) - this.intervalUs;
    this.last = closedEnd === this.currentEndUs ? this.current : 0;
    this.current = 0;
    this.currentEndUs = closedEnd + this.intervalUs;
    if (closedEnd >= this.readyAfterUs) this.ready = true;
  }

  /** Applies one best-quote state at `tsUs` (after `advance(tsUs)`); NaN prices mean an empty side. */
  update(tsUs: number, bidTicks: number, bidLots: number, askTicks: number, askLots: number): void {
    if (Number.isNaN(this.currentEndUs)) {
      this.currentEndUs = intervalEnd(tsUs, this.intervalUs);
      this.readyAfterUs = this.currentEndUs + this.intervalUs;
    }
    if (Number.isNaN(bidTicks) || Number.isNaN(askTicks)) {
      this.hasPrev = false;
      return;
    }
    if (this.hasPrev) {
      this.current += ofiContribution(this.prevBidTicks, this.prevBidLots, this.prevAskTicks, this.prevAskLots, bidTicks, bidLots, askTicks, askLots);
    }
    this.hasPrev = true;
    this.prevBidTicks = bidTicks;
    this.prevBidLots = bidLots;
    this.prevAskTicks = askTicks;
    this.prevAskLots = askLots;
  }

  /** Forgets the previous best quotes (e.g. the book went out of sync); the sums are kept. */
  resetAnchor(): void {
    this.hasPrev = false;
  }
}

/** The end of the interval (t_{k−1}, t_k] that holds `tsUs`: the smallest multiple of the interval ≥ tsUs. */
export function intervalEnd(tsUs: number, intervalUs: number): number {
  return Math.ceil(tsUs / intervalUs) * intervalUs;
}
