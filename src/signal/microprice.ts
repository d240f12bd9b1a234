/**
 * Stoikov's micro-price (2018): the limit of expected future mids given the imbalance I and the
 * spread S, M + g*(I, S). Prices in ticks (floats), mid moves in ticks (multiples of ½).
 *
 * State x = (imbalance bucket, spread): I = Qb/(Qb + Qa) in `buckets` uniform bins of [0, 1] (bin j
 * mirrors bin buckets−1−j under I ↦ 1 − I), S = 1 … maxSpreadTicks. From observed transitions
 * x → x' with mid change ΔM (consecutive best-quote states in event time, as in the paper; moves
 * larger than `maxMoveTicks` are jumps the model does not describe and are left out, as Stoikov's
 * K = {±½, ±1} tick does):
 *   Q[x][x'] = P(x → x', ΔM = 0)   transient moves (self-loops drop out of every formula below, so
 *                                   unchanged samples are not stored)
 *   r[x]     = E[ΔM; ΔM ≠ 0]        = (R1·K)[x], the expected absorbed move
 *   T[x][x'] = P(x → x', ΔM ≠ 0)   state just after a mid move
 *   G¹ = (1 − Q)⁻¹·r,  B = (1 − Q)⁻¹·T,  g* = Σ_{k≥0} Bᵏ·G¹ (stopped at `tolerance` or capped)
 * Every transition is also counted mirrored (x̄ → x̄', −ΔM), so the fit is symmetric; g* is then made
 * exactly antisymmetric (g[x] ← (g[x] − g[x̄])/2) so that g*(½, S) = 0 holds to the bit.
 *
 * Lookup is O(1): linear interpolation in I between bin centres at the current spread (clamped at
 * the edge bins). A state with fewer than `minStateExits` observed exits — or one from which no mid
 * move is ever reached — is untrusted and reads NaN; so does a spread outside 1 … maxSpreadTicks.
 *
 * `MicropriceEstimator` keeps the counts of a rolling window (ring buffer of transitions, expired by
 * time) and refits on demand; `fitMicroprice` is the batch fit from counts.
 */
import { InvariantError } from '../core/errors.ts';

export type MicropriceFitStatus = 'converged' | 'capped';

export interface MicropriceModel {
  buckets: number;
  maxSpreadTicks: number;
  /** g*(x) in ticks for state x = (spread − 1)·buckets + bucket; NaN for untrusted states. */
  g: Float64Array;
  status: MicropriceFitStatus;
  /** Terms of the series summed. */
  iterations: number;
  /** Transitions in the fit, before mirroring. */
  transitions: number;
}

/** Transition counts over states x = (spread − 1)·buckets + bucket (mirrored counts included). */
export class TransitionCounts {
  readonly buckets: number;
  readonly maxSpreadTicks: number;
  readonly states: number;
  /** Observed exits (transitions to another state or with a mid move) per state. */
  readonly exits: Float64Array;
  /** Transient (ΔM = 0) transitions, states × states, row-major. */
  readonly transient: Float64Array;
  /** Transitions with a mid move, by the state right after. */
  readonly absorbed: Float64Array;
  /** Σ ΔM of the transitions with a mid move, per state. */
  readonly moveSum: Float64Array;
  /** Transitions recorded, before mirroring. */
  transitions = 0;

  constructor(buckets: number, maxSpreadTicks: number) {
    this.buckets = buckets;
    this.maxSpreadTicks = maxSpreadTicks;
    this.states = buckets * maxSpreadTicks;
    this.exits = new Float64Array(this.states);
    this.transient = new Float64Array(this.states * this.states);
    this.absorbed = new Float64Array(this.states * this.states);
    this.moveSum = new Float64Array(this.states);
  }

  mirror(state: number): number {
    const b = state % this.buckets;
    return state - b + (this.buckets - 1 - b);
  }

  /** Adds (`sign` = 1) or removes (−1) one transition and its mirror image. */
  apply(from: number, to: number, moveTicks: number, sign: 1 | -1): void {
    this.transitions += sign;
    this.applyOne(from, to, moveTicks, sign);
    this.applyOne(this.mirror(from), this.mirror(to), -moveTicks, sign);
  }

  private applyOne(from: number, to: number, moveTicks: number, sign: number): void {
    this.exits[from] += sign;
    if (moveTicks === 0) this.transient[from * this.states + to] += sign;
    else {
      this.absorbed[from * this.states + to] += sign;
      this.moveSum[from] += sign * moveTicks;
    }
  }
}

/** State index of (I, S), or −1 outside the model (empty quantities, spread < 1 or too wide). */
export function micropriceState(imbalance: number, spreadTicks: number, buckets: number, maxSpreadTicks: number): number {
  if (!(imbalance >= 0 && imbalance <= 1)) return -1;
  if (!Number.isInteger(spreadTicks) || spreadTicks < 1 || spreadTicks > maxSpreadTicks) return -1;
  const b = Math.min(buckets - 1, Math.floor(imbalance * buckets));
  return (spreadTicks - 1) * buckets + b;
}

/** The batch fit. O(states³); run it on refits, never per event. */
export function fitMicroprice(counts: TransitionCounts, minStateExits: number, maxIterations: number, tolerance: number): MicropriceModel {
  const n = counts.states;
  const trusted = new Uint8Array(n);
  for (let x = 0; x < n; x++) trusted[x] = counts.exits[x] > 0 && counts.exits[x] >= minStateExits ? 1 : 0;
  // A state whose transient moves never lead to a mid move would make (1 − Q) singular: find the
  // states that reach absorption and distrust the rest.
  const absorbs = new Uint8Array(n);
  for (let x = 0; x < n; x++) if (trusted[x] && counts.moveSum[x] !== 0) absorbs[x] = 1;
  for (let x = 0; x < n; x++) {
    if (!trusted[x]) continue;
    for (let y = 0; y < n; y++) if (counts.absorbed[x * n + y] > 0) absorbs[x] = 1;
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (let x = 0; x < n; x++) {
      if (absorbs[x] || !trusted[x]) continue;
      for (let y = 0; y < n; y++) {
        if (absorbs[y] && counts.transient[x * n + y] > 0) {
          absorbs[x] = 1;
          changed = true;
          break;
        }
      }
    }
  }
  for (let x = 0; x < n; x++) if (!absorbs[x]) trusted[x] = 0;

  // (1 − Q) with untrusted rows replaced by identity rows (their G¹ and B rows are then 0), and
  // the right-hand sides [r | T] in one augmented matrix.
  const width = n + 1;
  const lhs = new Float64Array(n * n);
  const rhs = new Float64Array(n * width);
  for (let x = 0; x < n; x++) {
    lhs[x * n + x] = 1;
    if (!trusted[x]) continue;
    const exits = counts.exits[x];
    for (let y = 0; y < n; y++) {
      const q = counts.transient[x * n + y];
      if (q > 0 && trusted[y]) lhs[x * n + y] -= q / exits;
      rhs[x * width + 1 + y] = counts.absorbed[x * n + y] / exits;
    }
    rhs[x * width] = counts.moveSum[x] / exits;
  }
  solveInPlace(lhs, rhs, n, width);

  const g = new Float64Array(n);
  const term = new Float64Array(n);
  const next = new Float64Array(n);
  for (let x = 0; x < n; x++) g[x] = term[x] = rhs[x * width];
  // B's non-zero entries by row (B does not change across the series' terms, and most of it is 0:
  // untrusted rows, states never reached). Skipping the zeros gives the same sums, bit for bit: the
  // terms are finite, so a skipped product is ±0, and adding ±0 to the running sum (which starts at
  // +0) leaves it as it is.
  const rowStart = new Int32Array(n + 1);
  let nonZero = 0;
  for (let x = 0; x < n; x++) for (let y = 0; y < n; y++) if (rhs[x * width + 1 + y] !== 0) nonZero++;
  const cols = new Int32Array(nonZero);
  const vals = new Float64Array(nonZero);
  for (let x = 0, k = 0; x < n; x++) {
    rowStart[x] = k;
    for (let y = 0; y < n; y++) {
      const b = rhs[x * width + 1 + y];
      if (b !== 0) {
        cols[k] = y;
        vals[k++] = b;
      }
    }
    rowStart[x + 1] = k;
  }
  let status: MicropriceFitStatus = 'capped';
  let iterations = 1;
  for (; iterations < maxIterations; iterations++) {
    let largest = 0;
    for (let x = 0; x < n; x++) {
      let s = 0;
      for (let k = rowStart[x]; k < rowStart[x + 1]; k++) s += vals[k] * term[cols[k]];
      next[x] = s;
      if (Math.abs(s) > largest) largest = Math.abs(s);
    }
    for (let x = 0; x < n; x++) {
      term[x] = next[x];
      g[x] += next[x];
    }
    if (largest < tolerance) {
      status = 'converged';
      iterations++;
      break;
    }
  }
  const antisymmetric = new Float64Array(n);
  for (let x = 0; x < n; x++) {
    const m = counts.mirror(x);
    antisymmetric[x] = trusted[x] && trusted[m] ? (g[x] - g[m]) / 2 : NaN;
  }
  return { buckets: counts.buckets, maxSpreadTicks: counts.maxSpreadTicks, g: antisymmetric, status, iterations, transitions: counts.transitions };
}

/** g*(I, S) in ticks by interpolation between bin centres; NaN outside the model or untrusted. */
export function micropriceAdjustment(model: MicropriceModel, imbalance: number, spreadTicks: number): number {
  const { buckets, maxSpreadTicks, g } = model;
  if (!(imbalance >= 0 && imbalance <= 1)) return NaN;
  if (!Number.isInteger(spreadTicks) || spreadTicks < 1 || spreadTicks > maxSpreadTicks) return NaN;
  const row = (spreadTicks - 1) * buckets;
  const position = imbalance * buckets - 0.5;
  if (position <= 0) return g[row];
  if (position >= buckets - 1) return g[row + buckets - 1];
  const lower = Math.floor(position);
  const frac = position - lower;
  return frac === 0 ? g[row + lower] : g[row + lower] * (1 - frac) + g[row + lower + 1] * frac;
}

/** Gauss–Jordan elimination with partial pivoting: solves lhs·X = rhs, leaving X in rhs. */
function solveInPlace(lhs: Float64Array, rhs: Float64Array, n: number, width: number): void {
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(lhs[r * n + col]) > Math.abs(lhs[pivot * n + col])) pivot = r;
    const p = lhs[pivot * n + col];
    // Diagonal dominance of 1 − Q (a sub-stochastic Q on trusted states) keeps the pivot ≥ something > 0.
    if (Math.abs(p) < 1e-12) throw new InvariantError(`micro-price fit: singular (1 − Q) at column ${col}`);
    if (pivot !== col) {
      for (let c = 0; c < n; c++) swap(lhs, pivot * n + c, col * n + c);
      for (let c = 0; c < width; c++) swap(rhs, pivot * width + c, col * width + c);
    }
    for (let c = 0; c < n; c++) lhs[col * n + c] /= p;
    for (let c = 0; c < width; c++) rhs[col * width + c] /= p;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = lhs[r * n + col];
      if (f === 0) continue;
      for (let c = 0; c < n; c++) lhs[r * n + c] -= f * lhs[col * n + c];
      for (let c = 0; c < width; c++) rhs[r * width + c] -= f * rhs[col * width + c];
    }
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/**
 * Rolling-window estimator: the engine feeds every best-quote state; transitions that change the
 * state or move the mid are kept in a ring buffer and counted, and expire after `windowUs` (or, when
 * more than `capacity` arrive within the window, oldest first). Refitting is the caller's decision
 * (the engine refits on a fixed cadence).
 */
export class MicropriceEstimator {
  readonly counts: TransitionCounts;
  private readonly windowUs: number;
  private readonly ringTs: Float64Array;
  private readonly ringFrom: Int32Array;
  private readonly ringTo: Int32Array;
  private readonly ringMove: Float64Array;
  private ringHead = 0;
  private ringSize = 0;
  private readonly maxMoveTicks: number;
  private previousState = -1;
  private previousMid = NaN;

  constructor(buckets: number, maxSpreadTicks: number, windowUs: number, capacity: number, maxMoveTicks: number) {
    this.counts = new TransitionCounts(buckets, maxSpreadTicks);
    this.windowUs = windowUs;
    this.maxMoveTicks = maxMoveTicks;
    this.ringTs = new Float64Array(capacity);
    this.ringFrom = new Int32Array(capacity);
    this.ringTo = new Int32Array(capacity);
    this.ringMove = new Float64Array(capacity);
  }

  /** The best-quote state at `tsUs`: mid, I and spread (a NaN mid breaks the chain: no book). */
  observe(tsUs: number, midTicks: number, imbalance: number, spreadTicks: number): void {
    this.expire(tsUs);
    if (Number.isNaN(midTicks)) {
      this.previousState = -1;
      return;
    }
    const state = micropriceState(imbalance, spreadTicks, this.counts.buckets, this.counts.maxSpreadTicks);
    const move = midTicks - this.previousMid;
    if (this.previousState >= 0 && state >= 0 && (state !== this.previousState || move !== 0) && Math.abs(move) <= this.maxMoveTicks) {
      this.record(tsUs, this.previousState, state, move);
    }
    this.previousState = state;
    this.previousMid = midTicks;
  }

  /** Drops transitions at or before `tsUs − window`. */
  expire(tsUs: number): void {
    const capacity = this.ringTs.length;
    while (this.ringSize > 0) {
      const tail = this.tail(capacity);
      if (this.ringTs[tail] > tsUs - this.windowUs) break;
      this.counts.apply(this.ringFrom[tail], this.ringTo[tail], this.ringMove[tail], -1);
      this.ringSize--;
    }
  }

  fit(minStateExits: number, maxIterations: number, tolerance: number): MicropriceModel {
    return fitMicroprice(this.counts, minStateExits, maxIterations, tolerance);
  }

  /** The oldest entry's slot (`ringSize` > 0): (head − size) mod capacity, without a division per event. */
  private tail(capacity: number): number {
    const t = this.ringHead - this.ringSize;
    return t >= 0 ? t : t + capacity;
  }

  private record(tsUs: number, from: number, to: number, move: number): void {
    const capacity = this.ringTs.length;
    if (this.ringSize === capacity) {
      // More transitions in the window than the buffer holds: the oldest goes first.
      const tail = this.tail(capacity);
      this.counts.apply(this.ringFrom[tail], this.ringTo[tail], this.ringMove[tail], -1);
      this.ringSize--;
    }
    this.ringTs[this.ringHead] = tsUs;
    this.ringFrom[this.ringHead] = from;
    this.ringTo[this.ringHead] = to;
    this.ringMove[this.ringHead] = move;
    this.ringHead = this.ringHead + 1 === capacity ? 0 : this.ringHead + 1;
    this.ringSize++;
    this.counts.apply(from, to, move, 1);
  }
}
