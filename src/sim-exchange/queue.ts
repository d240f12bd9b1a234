/**
 * Queue position models: how much market quantity is ahead of one of our resting orders at its
 * price level. Quantities are lots; `front` may be fractional for the probabilistic models (it is an
 * expectation) and goes negative when a trade eats past it — the exchange turns that into a fill.
 *
 * The replayed book does not contain our orders (they are overlaid on it), so "the level" always
 * means the market's quantity at our price, without us.
 *
 * Models (hftbacktest `models/queue.rs`, reference market-making.md §2.8):
 * - `riskAverse`: we join behind the whole level. Only trades at our price advance us; a level
 *   decrease is assumed to come from behind us, except that the queue ahead can never exceed the
 *   level (front = min(front, level)).
 * - `prob`: on a level decrease by `chg` (net of the trades at our price already counted since the
 *   last level change, so a trade and the depth update that reflects it are not counted twice),
 *   front' = min(front − (1−p)·chg + min(back − p·chg, 0), level'), where back = level − front and
 *   p is the probability that the decrease came from behind us:
 *     variant 1: p = f(back) / (f(back) + f(front))
 *     variant 2: p = f(back) / f(back + front)
 *     variant 3: p = 1 − f(front / (front + back))
 *   with f(x) = x^n (`power`) or f(x) = ln(1 + x) (`log`). A level increase never moves us.
 *
 * The interface works on a `QueueState` that each resting order carries, so a model holds no
 * per-order state of its own and costs nothing for events at prices where we have no order.
 */
import { ConfigError } from '../core/errors.ts';

export interface QueueState {
  /** Market quantity ahead of us, lots (may be fractional or negative, see above). */
  front: number;
  /** Trade quantity at our price since the last level change (the prob model's double-count guard). */
  tradedSinceLevelChange: number;
}

export interface QueueModel {
  readonly name: string;
  /** Our order joins a level holding `levelLots` of market quantity. */
  onPlace(q: QueueState, levelLots: number): void;
  /** A trade of `tradeLots` printed at our price (the taker hit our side). */
  onTrade(q: QueueState, tradeLots: number): void;
  /** The market quantity at our price went from `prevLots` to `newLots`. */
  onLevelChange(q: QueueState, prevLots: number, newLots: number): void;
}

export class RiskAverseQueueModel implements QueueModel {
  readonly name = 'riskAverse';

  onPlace(q: QueueState, levelLots: number): void {
    q.front = levelLots;
    q.tradedSinceLevelChange = 0;
  }

  onTrade(q: QueueState, tradeLots: number): void {
    q.front -= tradeLots;
  }

  onLevelChange(q: QueueState, _prevLots: number, newLots: number): void {
    if (newLots < q.front) q.front = newLots;
  }
}

export type ProbFamily = 'power' | 'log';
export type ProbVariant = 1 | 2 | 3;

export class ProbQueueModel implements QueueModel {
  readonly name: string;
  private readonly f: (x: number) => number;

  constructor(
    readonly family: ProbFamily,
    readonly variant: ProbVariant = 1,
    /** Exponent of the power family (hftbacktest's examples use 2). */
    readonly n = 2,
  ) {
    if (family !== 'power' && family !== 'log') throw new ConfigError(`queue model family must be "power" or "log", got "${String(family)}"`, { field: 'queueModel.family' });
    if (variant !== 1 && variant !== 2 && variant !== 3) throw new ConfigError(`queue model variant must be 1, 2 or 3, got ${String(variant)}`, { field: 'queueModel.variant' });
    if (family === 'power' && !(n > 0 && Number.isFinite(n))) throw new ConfigError(`power queue model exponent must be > 0, got ${n}`, { field: 'queueModel.power' });
    this.f = family === 'power' ? (x) => Math.pow(x, n) : (x) => Math.log1p(x);
    this.name = family === 'power' ? `prob-power${n}-v${variant}` : `prob-log-v${variant}`;
  }

  /** Probability that a decrease of the level came from behind us. */
  probBehind(front: number, back: number): number {
    const f = this.f;
    let p: number;
    if (this.variant === 1) p = f(back) / (f(back) + f(front));
    else if (this.variant === 2) p = f(back) / f(back + front);
    else p = 1 - f(front / (front + back));
    // 0/0 (empty level, nobody ahead or behind): all decreases are ours to ignore; hftbacktest uses 1.
    return Number.isFinite(p) ? p : 1;
  }

  onPlace(q: QueueState, levelLots: number): void {
    q.front = levelLots;
    q.tradedSinceLevelChange = 0;
  }

  onTrade(q: QueueState, tradeLots: number): void {
    q.front -= tradeLots;
    q.tradedSinceLevelChange += tradeLots;
  }

  onLevelChange(q: QueueState, prevLots: number, newLots: number): void {
    const chg = prevLots - newLots - q.tradedSinceLevelChange;
    q.tradedSinceLevelChange = 0;
    if (chg <= 0) {
      if (newLots < q.front) q.front = newLots;
      return;
    }
    const front = q.front;
    const back = prevLots - front;
    const p = this.probBehind(front, back);
    const est = front - (1 - p) * chg + Math.min(back - p * chg, 0);
    q.front = Math.min(est, newLots);
  }
}

/** A queue model by name, in the scenario's words (`execution.queue`): risk-averse, or probabilistic with the log or power family. */
export type QueueModelConfig =
  | { model: 'risk-averse' }
  | { model: 'prob-log' | 'prob-power'; variant?: ProbVariant; /** Exponent of the power family (default 2). */ power?: number };

export function createQueueModel(cfg: QueueModelConfig): QueueModel {
  if (cfg.model === 'risk-averse') return new RiskAverseQueueModel();
  if (cfg.model === 'prob-log' || cfg.model === 'prob-power') return new ProbQueueModel(cfg.model === 'prob-power' ? 'power' : 'log', cfg.variant ?? 1, cfg.power ?? 2);
  throw new ConfigError(`unknown queue model "${String((cfg as { model: unknown }).model)}" (risk-averse, prob-log, prob-power)`, { field: 'queueModel.model' });
}
