/**
 * The one seeded random generator of a run. Nothing in `src/` may call `Math.random`; every
 * consumer receives an `Rng` (or a child forked from it with a label, so that adding a consumer
 * does not shift the numbers another consumer sees).
 */
import seedrandom from 'seedrandom';

export class Rng {
  private readonly prng: () => number;
  readonly seed: string;

  constructor(seed: number | string) {
    this.seed = String(seed);
    // Alea: fast, good statistical quality, and seedrandom keeps it stable across versions.
    this.prng = seedrandom.alea(this.seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.prng();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.prng() * n);
  }

  /** Uniform integer in [lo, hi]. */
  intBetween(lo: number, hi: number): number {
    return lo + Math.floor(this.prng() * (hi - lo + 1));
  }

  /** Standard normal (Box–Muller; uses two uniforms per call, no cached spare, so it stays stateless). */
  normal(): number {
    let u = this.prng();
    while (u === 0) u = this.prng();
    const v = this.prng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    let u = this.prng();
    while (u === 0) u = this.prng();
    return -Math.log(u) * mean;
  }

  /** An independent generator derived from this run's seed and a label. */
  fork(label: string): Rng {
    return new Rng(`${this.seed}/${label}`);
  }
}
