/**
 * The three quoting policies and their factory. Each computes level-0 float prices around the fair
 * price; `decideQuotes` applies the shared rules (grid, min spread, post-only, levels, max position,
 * filters, refresh). Inventory: the fixed strategy skews per lot; Avellaneda–Stoikov and GLFT use
 * q = positionLots / inventoryUnitLots ("order units", Δ = 1 unit).
 */
import type { Intent } from '../model/trading.ts';
import type { Instrument } from '../model/instrument.ts';
import type { AvellanedaStoikovConfig, FixedConfig, GlftConfig, RiskAversion, StrategyConfig } from './config.ts';
import { parseStrategyConfig } from './config.ts';
import { readyValue } from './fair-price.ts';
import { avellanedaStoikov, glftCoefficients, glftDepths, type GlftCoefficients } from './models.ts';
import { decideQuotes } from './quoting.ts';
import type { ModelQuotes, PriceModel } from './quoting.ts';
import type { SignalReading, Strategy, StrategyContext } from './types.ts';

/** An override if configured, else the signal if ready and usable; a string says why not. */
function modelInput(override: number | null, reading: SignalReading | undefined, name: string, positive: boolean): number | string {
  const v = override ?? readyValue(reading);
  if (v === null) return `signal ${name} not ready`;
  if (positive ? !(v > 0) : !(v >= 0)) return `signal ${name} = ${v} not usable (must be ${positive ? '> 0' : '≥ 0'})`;
  return v;
}

/** γ per tick: `gammaPerTick`, or `gamma` (per unit of the quote currency) × the tick size. */
export function gammaPerTickOf(c: RiskAversion, inst: Instrument): number {
  return c.gammaPerTick ?? (c.gamma as number) * inst.ticksToFloat(1);
}

/**
 * T − t in seconds at `tsUs`: the constant `horizonS` (rolling), or the time left in the session of
 * `horizonS` seconds that started at the last multiple of `horizonS` since tsUs = 0 (countdown).
 */
export function horizonLeftS(c: Pick<AvellanedaStoikovConfig, 'horizonMode' | 'horizonS'>, tsUs: number): number {
  if (c.horizonMode === 'rolling') return c.horizonS;
  const sessionUs = Math.round(c.horizonS * 1e6);
  const intoUs = ((tsUs % sessionUs) + sessionUs) % sessionUs;
  return (sessionUs - intoUs) / 1e6;
}

// Each strategy builds its price model once (a method bound in the constructor), not a closure
// per decision.

/** Fixed spread / grid: bid = fair − half − skew·pos, ask = fair + half − skew·pos. */
export class FixedSpreadStrategy implements Strategy {
  readonly kind = 'fixed' as const;
  readonly config: FixedConfig;
  private readonly model: PriceModel;

  constructor(config: FixedConfig) {
    this.config = config;
    this.model = this.price.bind(this);
  }

  decide(ctx: StrategyContext): Intent {
    return decideQuotes(ctx, this.config, 'fixed', this.model);
  }

  private price(fair: number, ctx: StrategyContext): ModelQuotes {
    const c = this.config;
    const shift = c.skewTicksPerLot * ctx.positionLots;
    return { bidTicks: fair - c.halfSpreadTicks - shift, askTicks: fair + c.halfSpreadTicks - shift, detail: ['skew', -shift] };
  }
}

/**
 * Avellaneda–Stoikov. Rolling horizon (default): T − t is the constant `horizonS`, as if the session
 * always ended `horizonS` seconds from now; a perpetual has no terminal time, and the rolling
 * horizon keeps the paper's formulas (and its check values) while making the quotes time-invariant.
 * Countdown horizon: T − t runs down to the end of a session of `horizonS` seconds (the paper's
 * finite horizon; sessions start at multiples of `horizonS` since tsUs = 0). `symmetric` quotes
 * the same total spread centred on the fair price, whatever the inventory (the paper's benchmark);
 * `spreadRiskTerm: false` leaves γσ²(T − t) out of the spread (the paper's tables, see the config).
 */
export class AvellanedaStoikovStrategy implements Strategy {
  readonly kind = 'avellaneda-stoikov' as const;
  readonly config: AvellanedaStoikovConfig;
  private readonly model: PriceModel;

  constructor(config: AvellanedaStoikovConfig) {
    this.config = config;
    this.model = this.price.bind(this);
  }

  decide(ctx: StrategyContext): Intent {
    return decideQuotes(ctx, this.config, 'avellaneda-stoikov', this.model);
  }

  private price(fair: number, ctx: StrategyContext): ModelQuotes | { notReady: string } {
    const c = this.config;
    const sigma = modelInput(c.overrides.sigmaTicksPerSqrtS, ctx.signals.sigmaTicksPerSqrtS, 'sigmaTicksPerSqrtS', false);
    if (typeof sigma === 'string') return { notReady: sigma };
    const k = modelInput(c.overrides.intensityKPerTick, ctx.signals.intensityKPerTick, 'intensityKPerTick', true);
    if (typeof k === 'string') return { notReady: k };
    const q = ctx.positionLots / c.inventoryUnitLots;
    const horizonS = horizonLeftS(c, ctx.tsUs);
    const as = avellanedaStoikov({ midTicks: fair, q: c.symmetric ? 0 : q, gammaPerTick: gammaPerTickOf(c, ctx.instrument), sigmaTicksPerSqrtS: sigma, kPerTick: k, horizonS, withoutSpreadRiskTerm: !c.spreadRiskTerm });
    const countdown = c.horizonMode === 'countdown';
    return { bidTicks: as.bidTicks, askTicks: as.askTicks, detail: countdown ? ['r', as.reservationTicks, 'spread', as.spreadTicks, 'q', q, 'T-t', horizonS] : ['r', as.reservationTicks, 'spread', as.spreadTicks, 'q', q] };
  }
}

/** GLFT infinite-horizon closed form (Guéant 2017 eqs. 4.6/4.7, Δ = 1 unit, ξ = γ). */
export class GlftStrategy implements Strategy {
  readonly kind = 'glft' as const;
  readonly config: GlftConfig;
  private readonly model: PriceModel;
  /** The last coefficients and their inputs (see `price`). */
  private lastCoef: GlftCoefficients | null = null;
  private lastGamma = NaN;
  private lastSigma = NaN;
  private lastA = NaN;
  private lastK = NaN;

  constructor(config: GlftConfig) {
    this.config = config;
    this.model = this.price.bind(this);
  }

  decide(ctx: StrategyContext): Intent {
    return decideQuotes(ctx, this.config, 'glft', this.model);
  }

  private price(fair: number, ctx: StrategyContext): ModelQuotes | { notReady: string } {
    const c = this.config;
    const sigma = modelInput(c.overrides.sigmaTicksPerSqrtS, ctx.signals.sigmaTicksPerSqrtS, 'sigmaTicksPerSqrtS', false);
    if (typeof sigma === 'string') return { notReady: sigma };
    const a = modelInput(c.overrides.intensityAPerS, ctx.signals.intensityAPerS, 'intensityAPerS', true);
    if (typeof a === 'string') return { notReady: a };
    const k = modelInput(c.overrides.intensityKPerTick, ctx.signals.intensityKPerTick, 'intensityKPerTick', true);
    if (typeof k === 'string') return { notReady: k };
    const q = ctx.positionLots / c.inventoryUnitLots;
    const gamma = gammaPerTickOf(c, ctx.instrument);
    // σ, A and k move only at the signal engine's samples and γ only with the instrument: most
    // decisions reuse the last coefficients (a pure function of these four; a log, a power, a root).
    let coef = this.lastCoef;
    if (coef === null || gamma !== this.lastGamma || sigma !== this.lastSigma || a !== this.lastA || k !== this.lastK) {
      coef = this.lastCoef = glftCoefficients({ gammaPerTick: gamma, xiPerTick: gamma, deltaUnits: 1, sigmaTicksPerSqrtS: sigma, aPerS: a, kPerTick: k });
      this.lastGamma = gamma;
      this.lastSigma = sigma;
      this.lastA = a;
      this.lastK = k;
    }
    const d = glftDepths(coef, q, c.halfSpreadAdj, c.skewAdj);
    const half = coef.halfSpreadTicks * c.halfSpreadAdj;
    const skew = coef.skewTicks * c.skewAdj;
    return {
      bidTicks: fair - d.bidDepthTicks,
      askTicks: fair + d.askDepthTicks,
      detail: ['half', half, 'skew', skew, 'q', q],
    };
  }
}

/**
 * Builds a strategy from a config (validated here: a raw scenario object is fine). Throws
 * `ConfigError` naming the bad key.
 */
export function createStrategy(config: unknown, path = 'strategy'): Strategy {
  const c: StrategyConfig = parseStrategyConfig(config, path);
  switch (c.kind) {
    case 'fixed':
      return new FixedSpreadStrategy(c);
    case 'avellaneda-stoikov':
      return new AvellanedaStoikovStrategy(c);
    case 'glft':
      return new GlftStrategy(c);
  }
}
