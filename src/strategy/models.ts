/**
 * Closed forms of the optimal-quote models, in ticks and seconds. Pure float functions; they know
 * nothing of books, filters or rounding.
 *
 * Units: prices and depths in ticks; σ in ticks/√s; A in 1/s; k and γ in 1/tick (γ is per tick of
 * wealth per inventory unit); q in inventory units (lots / `inventoryUnitLots`); τ = T − t in s.
 */

export interface AvellanedaStoikovInput {
  /** Fair (mid) price s, float ticks. */
  midTicks: number;
  /** Inventory q, units. */
  q: number;
  gammaPerTick: number;
  sigmaTicksPerSqrtS: number;
  kPerTick: number;
  /** T − t, seconds. */
  horizonS: number;
  /** Leave the inventory-risk term γσ²(T − t) out of the total spread (default: in, as eq. 30). */
  withoutSpreadRiskTerm?: boolean;
}

export interface AvellanedaStoikovQuote {
  /** Reservation price r = s − q·γ·σ²·(T−t) (eq. 29), float ticks. */
  reservationTicks: number;
  /** Optimal total spread δa + δb = γσ²(T−t) + (2/γ)·ln(1 + γ/k) (eq. 30), ticks. */
  spreadTicks: number;
  /** r − spread/2 and r + spread/2, float ticks. */
  bidTicks: number;
  askTicks: number;
}

/** Avellaneda & Stoikov (2008), eqs. 29–30, with a constant (rolling) horizon. */
export function avellanedaStoikov(p: AvellanedaStoikovInput): AvellanedaStoikovQuote {
  const inventoryRisk = p.gammaPerTick * p.sigmaTicksPerSqrtS ** 2 * p.horizonS;
  const reservationTicks = p.midTicks - p.q * inventoryRisk;
  const spreadTicks = (p.withoutSpreadRiskTerm ? 0 : inventoryRisk) + (2 / p.gammaPerTick) * Math.log1p(p.gammaPerTick / p.kPerTick);
  return { reservationTicks, spreadTicks, bidTicks: reservationTicks - spreadTicks / 2, askTicks: reservationTicks + spreadTicks / 2 };
}

export interface GlftInput {
  gammaPerTick: number;
  /** ξ: γ for the CARA model (our choice), 0 for risk-neutral with running penalty (not supported: c1 would divide by 0). */
  xiPerTick: number;
  /** Δ: order size in inventory units. */
  deltaUnits: number;
  sigmaTicksPerSqrtS: number;
  aPerS: number;
  kPerTick: number;
}

export interface GlftCoefficients {
  /** c1 = (1/(ξΔ))·ln(1 + ξΔ/k), ticks. */
  c1: number;
  /** c2 = √(γ/(2AΔk)·(1 + ξΔ/k)^(k/(ξΔ)+1)), ticks per (tick/√s). */
  c2: number;
  /** c1 + (Δ/2)·σ·c2: depth of each quote at q = 0, ticks. */
  halfSpreadTicks: number;
  /** σ·c2: depth shift per inventory unit, ticks. */
  skewTicks: number;
}

/** Guéant (2017) eqs. 4.6/4.7, infinite horizon (the GLFT asymptotic approximation). */
export function glftCoefficients(p: GlftInput): GlftCoefficients {
  const xd = p.xiPerTick * p.deltaUnits;
  const c1 = Math.log1p(xd / p.kPerTick) / xd;
  const c2 = Math.sqrt((p.gammaPerTick / (2 * p.aPerS * p.deltaUnits * p.kPerTick)) * (1 + xd / p.kPerTick) ** (p.kPerTick / xd + 1));
  const skewTicks = p.sigmaTicksPerSqrtS * c2;
  return { c1, c2, halfSpreadTicks: c1 + (p.deltaUnits / 2) * skewTicks, skewTicks };
}

/** Bid and ask depths below/above the fair price for inventory q: half ± skew·q, with tuning factors. */
export function glftDepths(coef: GlftCoefficients, q: number, halfSpreadAdj = 1, skewAdj = 1): { bidDepthTicks: number; askDepthTicks: number } {
  const half = coef.halfSpreadTicks * halfSpreadAdj;
  const skew = coef.skewTicks * skewAdj;
  return { bidDepthTicks: half + skew * q, askDepthTicks: half - skew * q };
}
