/**
 * One side of an L2 book as a dense price ladder.
 *
 * Units: prices are integer ticks, quantities integer lots (absolute; 0 means "no level").
 * Ordering: "better" means higher for bids and lower for asks; every iteration runs from the best
 * price outwards.
 *
 * Layout: a fixed window of `width` ticks starting at `base` holds quantities in a Float64Array
 * (exact for integers up to 2^53), indexed by `price - base`. Levels outside the window live in a
 * sparse Map; Binance books do carry such levels (the BTCUSDT recording has bids at 560 and asks at
 * 621368.7 next to a 61800 market), and a Map keeps memory bounded by the level count instead of
 * the price range. The window follows the market: whenever the best price lands within `margin`
 * ticks of an edge or outside the window, the window is re-centred on it (O(width), rare).
 *
 * Best price is tracked in O(1): an insert compares with the best, and only removing the best level
 * rescans, from the old best outwards to the next non-empty slot. `lo`/`hi` bound the occupied
 * slots so that rescans and `clear` never touch the untouched part of the window.
 */

export class PriceLadder {
  readonly isBid: boolean;
  readonly width: number;
  private readonly margin: number;
  private qty: Float64Array;
  /** Price (ticks) of slot 0. */
  private base = 0;
  private denseCount = 0;
  /** Occupied dense slots lie within [lo, hi] (a superset: deletes do not shrink it). */
  private lo: number;
  private hi = -1;
  private readonly sparse = new Map<number, number>();
  /** Sparse prices sorted best-first; rebuilt lazily after a sparse key is added or removed. */
  private sparseSorted: number[] | null = null;
  /** Best price in ticks, NaN when the side is empty. */
  best = NaN;

  constructor(isBid: boolean, width: number) {
    if (!Number.isInteger(width) || width < 16) throw new RangeError(`ladder width must be an integer >= 16, got ${width}`);
    this.isBid = isBid;
    this.width = width;
    this.margin = Math.max(1, Math.floor(width / 8));
    this.qty = new Float64Array(width);
    this.lo = width;
  }

  /** Sets the absolute quantity at a price; 0 removes the level (removing an absent one is a no-op). */
  set(price: number, lots: number): void {
    const i = price - this.base;
    if (i >= 0 && i < this.width) {
      const q = this.qty;
      const old = q[i];
      if (lots === 0) {
        if (old === 0) return;
        q[i] = 0;
        this.denseCount--;
        if (price === this.best) this.bestRemovedFromDense(i);
        return;
      }
      q[i] = lots;
      if (old !== 0) return;
      this.denseCount++;
      if (i < this.lo) this.lo = i;
      if (i > this.hi) this.hi = i;
      // `!(a <= b)` is also true when best is NaN (empty side).
      if (this.isBid ? !(price <= this.best) : !(price >= this.best)) {
        this.best = price;
        if (i < this.margin || i >= this.width - this.margin) this.recentre(price);
      }
      return;
    }
    this.setOutsideWindow(price, lots);
  }

  get(price: number): number {
    const i = price - this.base;
    if (i >= 0 && i < this.width) return this.qty[i];
    return this.sparse.get(price) ?? 0;
  }

  /** Quantity at the best price, 0 when empty. */
  bestLots(): number {
    return this.best === this.best ? this.get(this.best) : 0;
  }

  count(): number {
    return this.denseCount + this.sparse.size;
  }

  clear(): void {
    if (this.hi >= this.lo) this.qty.fill(0, this.lo, this.hi + 1);
    this.lo = this.width;
    this.hi = -1;
    this.denseCount = 0;
    if (this.sparse.size > 0) {
      this.sparse.clear();
      this.sparseSorted = null;
    }
    this.best = NaN;
  }

  /**
   * Visits levels from the best outwards until `visit` returns false. Order: sparse levels better
   * than the window, the window, then sparse levels worse than the window.
   */
  forEach(visit: (priceTicks: number, qtyLots: number) => boolean | void): void {
    const sorted = this.sparse.size > 0 ? this.sortedSparse() : EMPTY;
    const base = this.base;
    const end = base + this.width;
    let k = 0;
    if (this.isBid) {
      for (; k < sorted.length && sorted[k] >= end; k++) if (visit(sorted[k], this.sparse.get(sorted[k])!) === false) return;
      const q = this.qty;
      for (let i = this.hi; i >= this.lo; i--) if (q[i] !== 0 && visit(base + i, q[i]) === false) return;
    } else {
      for (; k < sorted.length && sorted[k] < base; k++) if (visit(sorted[k], this.sparse.get(sorted[k])!) === false) return;
      const q = this.qty;
      for (let i = this.lo; i <= this.hi; i++) if (q[i] !== 0 && visit(base + i, q[i]) === false) return;
    }
    for (; k < sorted.length; k++) if (visit(sorted[k], this.sparse.get(sorted[k])!) === false) return;
  }

  /** Sum of quantity at prices within `distance` ticks of the best (inclusive). */
  depthWithin(distance: number): number {
    const best = this.best;
    if (best !== best || distance < 0) return 0;
    // The range [from, to] in ticks, whichever side.
    const from = this.isBid ? best - distance : best;
    const to = this.isBid ? best : best + distance;
    let sum = 0;
    if (this.sparse.size > 0) for (const [p, l] of this.sparse) if (p >= from && p <= to) sum += l;
    const a = Math.max(this.lo, from - this.base);
    const b = Math.min(this.hi, to - this.base);
    const q = this.qty;
    for (let i = a; i <= b; i++) sum += q[i];
    return sum;
  }

  // ---- slow paths -------------------------------------------------------------------------------

  private isBetter(a: number, b: number): boolean {
    return this.isBid ? !(a <= b) : !(a >= b);
  }

  private setOutsideWindow(price: number, lots: number): void {
    if (lots === 0) {
      if (!this.sparse.delete(price)) return;
      this.sparseSorted = null;
      if (price === this.best) this.recomputeBest();
      return;
    }
    if (this.denseCount === 0 && this.sparse.size === 0) {
      // Empty side: move the window to the new price for free instead of going sparse.
      const half = this.width >> 1;
      this.base = price - half;
      this.qty[half] = lots;
      this.denseCount = 1;
      this.lo = this.hi = half;
      this.best = price;
      return;
    }
    const had = this.sparse.has(price);
    this.sparse.set(price, lots);
    if (had) return;
    this.sparseSorted = null;
    if (this.isBetter(price, this.best)) {
      this.best = price;
      this.recentre(price);
    }
  }

  /** The best dense level at slot `i` was removed: scan outwards for the next one. */
  private bestRemovedFromDense(i: number): void {
    const q = this.qty;
    if (this.denseCount > 0) {
      if (this.isBid) {
        for (let j = i - 1; j >= this.lo; j--) {
          if (q[j] !== 0) return this.newBestFromScan(j);
        }
      } else {
        for (let j = i + 1; j <= this.hi; j++) {
          if (q[j] !== 0) return this.newBestFromScan(j);
        }
      }
    }
    // No dense level behind the old best: the next best, if any, is sparse (and worse than the window).
    this.recomputeBest();
  }

  private newBestFromScan(j: number): void {
    this.best = this.base + j;
    // A sparse level can only be better than a dense best if it lies beyond the window's inner edge,
    // which is impossible here: it would have been the best already.
    if (j < this.margin || j >= this.width - this.margin) this.recentre(this.best);
  }

  /** Full recomputation from the dense extent and the sparse map; used only when the dense part is exhausted. */
  private recomputeBest(): void {
    let best = NaN;
    const q = this.qty;
    if (this.denseCount > 0) {
      if (this.isBid) {
        for (let j = this.hi; j >= this.lo; j--) if (q[j] !== 0) { best = this.base + j; break; }
      } else {
        for (let j = this.lo; j <= this.hi; j++) if (q[j] !== 0) { best = this.base + j; break; }
      }
    }
    for (const p of this.sparse.keys()) if (this.isBetter(p, best)) best = p;
    this.best = best;
    if (best === best) {
      const i = best - this.base;
      if (i < this.margin || i >= this.width - this.margin) this.recentre(best);
    }
  }

  /**
   * Moves the window so that `centre` sits in its middle: dense levels that fall outside go to the
   * sparse map, sparse levels that fall inside come back into the window. In place; O(width + sparse).
   */
  private recentre(centre: number): void {
    const newBase = centre - (this.width >> 1);
    const shift = newBase - this.base;
    if (shift === 0) return;
    const q = this.qty;
    const w = this.width;
    // 1. Evict dense levels that will fall outside the new window.
    if (this.denseCount > 0) {
      for (let i = this.lo; i <= this.hi; i++) {
        if (q[i] === 0) continue;
        const n = i - shift;
        if (n < 0 || n >= w) {
          this.sparse.set(this.base + i, q[i]);
          this.sparseSorted = null;
          q[i] = 0;
          this.denseCount--;
        }
      }
    }
    // 2. Shift the remaining slots.
    if (this.denseCount > 0 && Math.abs(shift) < w) {
      if (shift > 0) {
        q.copyWithin(0, shift, w);
        q.fill(0, w - shift, w);
      } else {
        q.copyWithin(-shift, 0, w + shift);
        q.fill(0, 0, -shift);
      }
      this.lo = Math.max(0, this.lo - shift);
      this.hi = Math.min(w - 1, this.hi - shift);
    } else {
      if (this.hi >= this.lo) q.fill(0, this.lo, this.hi + 1);
      this.lo = w;
      this.hi = -1;
      this.denseCount = 0;
    }
    this.base = newBase;
    // 3. Pull sparse levels that now fall inside the window.
    if (this.sparse.size > 0) {
      for (const [p, l] of this.sparse) {
        const i = p - newBase;
        if (i >= 0 && i < w) {
          this.sparse.delete(p);
          this.sparseSorted = null;
          q[i] = l;
          this.denseCount++;
          if (i < this.lo) this.lo = i;
          if (i > this.hi) this.hi = i;
        }
      }
    }
  }

  private sortedSparse(): number[] {
    if (this.sparseSorted === null) {
      const keys = [...this.sparse.keys()];
      keys.sort(this.isBid ? (a, b) => b - a : (a, b) => a - b);
      this.sparseSorted = keys;
    }
    return this.sparseSorted;
  }
}

const EMPTY: number[] = [];
