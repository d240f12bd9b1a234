/** Market sources for the local exchange. */
import type { MarketEvent } from '../model/events.ts';
import type { Instrument } from '../model/instrument.ts';
import { Rng } from '../core/random.ts';
import { DEFAULT_SYNTHETIC, generateSynthetic } from '../synthetic/index.ts';

/**
 * The synthetic market of the backtest's quickstart for each instrument, starting at `startUs`
 * and lasting `durationS`, merged into one data-time-ordered stream.
 */
export function* syntheticMarket(instruments: readonly Instrument[], seed: number | string, startUs: number, durationS: number): Generator<MarketEvent[]> {
  const rng = new Rng(seed);
  const gens = instruments.map((inst) =>
    generateSynthetic({ ...DEFAULT_SYNTHETIC, symbol: inst.symbol, seed: rng.fork(`synthetic/${inst.symbol}`).seed, startUs, durationS }, inst),
  );
  if (gens.length === 1) {
    yield* gens[0];
    return;
  }
  const heads: (MarketEvent[] | undefined)[] = gens.map((g) => g.next().value ?? undefined);
  const pos = heads.map(() => 0);
  for (;;) {
    const out: MarketEvent[] = [];
    for (let n = 0; n < 4096; n++) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h === undefined) continue;
        if (best < 0 || h[pos[i]].tsExchangeUs < heads[best]![pos[best]].tsExchangeUs) best = i;
      }
      if (best < 0) break;
      out.push(heads[best]![pos[best]++]);
      if (pos[best] >= heads[best]!.length) {
        heads[best] = gens[best].next().value ?? undefined;
        pos[best] = 0;
      }
    }
    if (out.length === 0) return;
    yield out;
  }
}
