// A seeded toy limit-order-book at the touch, for micro-price tests: queues do ±1 lot random walks;
// a queue that empties moves its price a tick away (a fresh queue of 1..10 lots appears there), and
// a 2-tick spread is filled next by a new order on either side. A large bid queue against a small
// ask queue therefore predicts an up move, which is what the micro-price should learn.
import { Rng } from '../../src/core/random.ts';

export interface TouchState {
  bidTicks: number;
  bidLots: number;
  askTicks: number;
  askLots: number;
}

export function* touchWalk(seed: number | string, steps: number): Generator<TouchState> {
  const rng = new Rng(seed);
  const s: TouchState = { bidTicks: 1000, bidLots: 5, askTicks: 1001, askLots: 5 };
  for (let i = 0; i < steps; i++) {
    if (s.askTicks - s.bidTicks >= 2) {
      if (rng.next() < 0.5) {
        s.bidTicks++;
        s.bidLots = rng.intBetween(1, 10);
      } else {
        s.askTicks--;
        s.askLots = rng.intBetween(1, 10);
      }
    } else {
      const r = rng.int(4);
      if (r === 0) s.bidLots++;
      else if (r === 1) s.bidLots--;
      else if (r === 2) s.askLots++;
      else s.askLots--;
      if (s.bidLots === 0) {
        s.bidTicks--;
        s.bidLots = rng.intBetween(1, 10);
      }
      if (s.askLots === 0) {
        s.askTicks++;
        s.askLots = rng.intBetween(1, 10);
      }
      s.bidLots = Math.min(s.bidLots, 30);
      s.askLots = Math.min(s.askLots, 30);
    }
    yield { ...s };
  }
}
