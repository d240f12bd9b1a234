/**
 * The fair price every strategy quotes around, in float ticks: a base (mid, microprice, mark or an
 * external value) plus an optional signal tilt. The tilt is how the signal strategy composes with
 * the others: fixed, Avellaneda–Stoikov and GLFT all take this fair price as their `s`.
 */
import type { FairPriceSource, TiltConfig } from './config.ts';
import type { SignalReading, StrategySignals } from './types.ts';

/** The value of a reading if it is present, ready and finite; otherwise null. */
export function readyValue(reading: SignalReading | undefined): number | null {
  if (reading === undefined || !reading.ready || !Number.isFinite(reading.value)) return null;
  return reading.value;
}

export type FairPriceResult =
  | { ok: true; fairTicks: number; baseTicks: number; tiltTicks: number }
  | { ok: false; reason: string };

/**
 * Tilt = obi·obiTicksPerUnit + ofi·ofiTicksPerLot + (microprice − mid)·micropriceWeight, clamped to
 * ±maxTiltTicks. A signal with a zero weight is not required; one with a non-zero weight must be ready.
 */
export function computeTilt(tilt: TiltConfig, signals: StrategySignals, midTicks: number): { ok: true; tiltTicks: number } | { ok: false; reason: string } {
  let total = 0;
  if (tilt.obiTicksPerUnit !== 0) {
    const obi = readyValue(signals.obi);
    if (obi === null) return { ok: false, reason: 'signal obi not ready' };
    total += obi * tilt.obiTicksPerUnit;
  }
  if (tilt.ofiTicksPerLot !== 0) {
    const ofi = readyValue(signals.ofiLots);
    if (ofi === null) return { ok: false, reason: 'signal ofiLots not ready' };
    total += ofi * tilt.ofiTicksPerLot;
  }
  if (tilt.micropriceWeight !== 0) {
    const micro = readyValue(signals.micropriceTicks);
    if (micro === null) return { ok: false, reason: 'signal micropriceTicks not ready' };
    total += (micro - midTicks) * tilt.micropriceWeight;
  }
  return { ok: true, tiltTicks: Math.max(-tilt.maxTiltTicks, Math.min(tilt.maxTiltTicks, total)) };
}

export function computeFairPrice(source: FairPriceSource, tilt: TiltConfig | null, signals: StrategySignals, midTicks: number): FairPriceResult {
  let baseTicks: number | null;
  switch (source) {
    case 'mid':
      baseTicks = midTicks;
      break;
    case 'microprice':
      baseTicks = readyValue(signals.micropriceTicks);
      break;
    case 'mark':
      baseTicks = readyValue(signals.markPriceTicks);
      break;
    case 'external':
      baseTicks = readyValue(signals.fairPriceTicks);
      break;
  }
  if (baseTicks === null) return { ok: false, reason: `fair price source ${source} not ready` };
  if (tilt === null) return { ok: true, fairTicks: baseTicks, baseTicks, tiltTicks: 0 };
  const t = computeTilt(tilt, signals, midTicks);
  if (!t.ok) return t;
  return { ok: true, fairTicks: baseTicks + t.tiltTicks, baseTicks, tiltTicks: t.tiltTicks };
}
