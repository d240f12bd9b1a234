/**
 * Rate budgets the caller hands to `OrderManager.decide`. A budget is asked once per command, in
 * the OMS's priority order (cancels, flatten, modifies, replaces, new orders); a refused command is
 * simply not sent this decision. Time comes from the injected clock (µs).
 */
import type { Clock } from '../core/clock.ts';
import type { VenueCommand } from '../model/venue.ts';

export type CommandKind = VenueCommand['kind'];

export interface CommandBudget {
  /** Consumes one unit for a command of this kind; false = do not send it now. */
  tryTake(kind: CommandKind): boolean;
}

/**
 * A token bucket: `capacity` tokens, refilled at `refillPerSecond`. With `cancelsFree`, cancels
 * never consume tokens (Binance counts submits and modifies against the ORDERS limit, not cancels,
 * and a market maker must always be able to pull quotes).
 */
export class TokenBucket implements CommandBudget {
  private tokens: number;
  private lastUs: number;

  constructor(
    private readonly clock: Clock,
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    private readonly opts: { cancelsFree?: boolean } = {},
  ) {
    if (!(capacity > 0) || !(refillPerSecond >= 0)) throw new RangeError('TokenBucket needs capacity > 0 and refillPerSecond ≥ 0');
    this.tokens = capacity;
    this.lastUs = clock.nowUs();
  }

  tryTake(kind: CommandKind): boolean {
    if (kind === 'cancel' && this.opts.cancelsFree) return true;
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Tokens available now (fractional while refilling). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = this.clock.nowUs();
    if (now > this.lastUs) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.lastUs) * this.refillPerSecond) / 1_000_000);
      this.lastUs = now;
    }
  }
}
