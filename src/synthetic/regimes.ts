/**
 * The stress regimes of a synthetic session (config.ts `regimes`) on its absolute clock, as the
 * generator (generator.ts) asks for them by exchange time, µs: a volatility burst's multiplier, the
 * flash move under way (its target mid and its steps), the book's depth factor, whether a feed gap
 * suppresses publication, and the published funding rate (a spike's until the next funding time,
 * by the funding schedule here). Draws no random numbers; the only state is a flash move's
 * starting mid.
 */
import type { SyntheticConfig } from './config.ts';

const FLASH_STEP_US = 20_000;

export interface FlashState {
  s: number;
  sweepEnd: number;
  e: number;
  pct: number;
  recovery: number;
  depth: number;
  /** Mid when the move started (NaN until its first step). */
  mid0: number;
}

export class Regimes {
  // Regimes in absolute µs.
  private readonly bursts: { s: number; e: number; mult: number }[] = [];
  private readonly flashes: FlashState[] = [];
  private readonly gaps: { s: number; e: number }[] = [];
  private readonly spikes: { s: number; e: number; rate: string }[] = [];

  constructor(private readonly cfg: SyntheticConfig) {
    for (const g of cfg.regimes) {
      const s = cfg.startUs + Math.round(g.startS * 1e6);
      if (g.kind === 'volBurst') this.bursts.push({ s, e: s + Math.round(g.durationS * 1e6), mult: g.sigmaMultiplier });
      else if (g.kind === 'feedGap') this.gaps.push({ s, e: s + Math.round(g.durationS * 1e6) });
      else if (g.kind === 'fundingSpike') this.spikes.push({ s, e: this.nextFundingUs(s), rate: g.fundingRate });
      else {
        const sweepEnd = s + Math.round(g.sweepS * 1e6);
        this.flashes.push({ s, sweepEnd, e: sweepEnd + Math.round(g.recoveryS * 1e6), pct: g.movePct, recovery: g.recoveryShare, depth: g.depthFactor, mid0: NaN });
      }
    }
  }

  /** Whether there is any feed gap (none: publication is never suppressed). */
  get hasGaps(): boolean {
    return this.gaps.length > 0;
  }

  burstMult(t: number): number {
    for (const b of this.bursts) if (t >= b.s && t < b.e) return b.mult;
    return 1;
  }

  inFlashSweep(t: number): FlashState | null {
    for (const f of this.flashes) if (t >= f.s && t < f.sweepEnd) return f;
    return null;
  }

  depthMult(t: number): number {
    for (const f of this.flashes) if (t >= f.s && t < f.e) return f.depth;
    return 1;
  }

  suppressed(t: number): boolean {
    for (const g of this.gaps) if (t >= g.s && t < g.e) return true;
    return false;
  }

  /** The first flash step (Infinity: no flash move). */
  firstFlashUs(): number {
    return this.flashes.length > 0 ? Math.min(...this.flashes.map((f) => f.s)) : Infinity;
  }

  /** The flash move under way at `t` (sweep or recovery), if any. */
  flashAt(t: number): FlashState | undefined {
    return this.flashes.find((x) => t >= x.s && t < x.e);
  }

  /** The mid a flash move aims at, at `t`; its first step takes `mid` as the move's start. */
  flashTarget(f: FlashState, t: number, mid: number): number {
    if (Number.isNaN(f.mid0)) f.mid0 = mid;
    const frac = t < f.sweepEnd ? (t - f.s) / (f.sweepEnd - f.s) : 1 - (f.recovery * (t - f.sweepEnd)) / (f.e - f.sweepEnd);
    return f.mid0 * (1 + (f.pct / 100) * frac);
  }

  /** The flash step after the one at `t` (Infinity: none left). */
  nextFlashUs(t: number): number {
    const next = t + FLASH_STEP_US;
    const pending = this.flashes.filter((x) => x.e > next).map((x) => Math.max(x.s, next));
    return pending.length > 0 ? Math.min(...pending) : Infinity;
  }

  /** The published funding rate at `t`: a spike's, else the configured one. */
  fundingRate(t: number): string {
    let rate = this.cfg.fundingRate;
    for (const s of this.spikes) if (t >= s.s && t < s.e) rate = s.rate;
    return rate;
  }

  nextFundingUs(tUs: number): number {
    const step = Math.round(this.cfg.fundingIntervalH * 3_600_000_000);
    return (Math.floor(tUs / step) + 1) * step;
  }
}
