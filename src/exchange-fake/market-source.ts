/** Market sources for the local exchange. */
import type { MarketEvent } from '../model/events.ts';
import { Rng } from '../core/random.ts';
import { ConfigError } from '../core/errors.ts';
import { Instrument } from '../model/instrument.ts';
import { ColumnarBatch, mergeSources, openStore, readEvents } from '../store/index.ts';
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

/**
 * A store's market data for the local exchange: the symbols' instruments from the store's specs, and
 * their events from `fromUs` on (receive time; absent: the start of the data), merged into one
 * stream. Snapshots and diffs before `fromUs` are not read: the first partition's snapshot must be
 * at or after it for the depth book to sync, so `storeMarket` starts at the latest snapshot at or
 * before `fromUs` and the caller fast-forwards to `fromUs` (see `LocalExchange`'s `startDataUs`).
 */
export async function storeMarket(root: string, venue: string, symbols: readonly string[]): Promise<{ instruments: Instrument[]; source: AsyncIterable<MarketEvent[]> }> {
  const store = await openStore(root);
  const instruments: Instrument[] = [];
  for (const symbol of symbols) {
    if (store.dates(venue, symbol).length === 0) throw new ConfigError(`--store: ${root} has no data for ${venue}/${symbol} (import it with maker import)`, { field: '--store' });
    instruments.push(new Instrument(store.spec(venue, symbol)));
  }
  const sources = symbols.map((symbol) =>
    (async function* () {
      for await (const b of readEvents(root, { venue, symbol })) yield new ColumnarBatch(b);
    })(),
  );
  async function* events(): AsyncGenerator<MarketEvent[]> {
    for await (const batch of mergeSources(sources, 8192)) {
      const out = new Array<MarketEvent>(batch.length);
      for (let k = 0; k < batch.length; k++) out[k] = batch.eventAt(k);
      yield out;
    }
  }
  return { instruments, source: events() };
}
