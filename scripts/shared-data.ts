/**
 * The shared real data, for tests, benches and scripts: where it lives and one way to load it.
 *
 * The recordings and the captured exchangeInfo sit in `../shared` next to the repo (see
 * ../shared/data/real/SOURCES.md); they are read in place, never copied into the project. Events
 * are loaded through the production importers (`importSources`) with the instrument specs of the
 * captured 2022 exchangeInfo, so tests see exactly what a backtest sees: prices in integer ticks,
 * quantities in integer lots, times in integer µs since the epoch, in file (line) order.
 *
 * `MAKER_SHARED_DIR` overrides the location of `../shared` (point it at a missing directory to see
 * the real-data tests report themselves as skipped).
 *
 * This module lives outside tests/ so benches and scripts can use it; tests import it through
 * tests/support/shared-data.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { importSources } from '../src/importers/index.ts';
import type { MarketEvent, MarketEventType } from '../src/model/events.ts';
import { loadExchangeInfoFile } from '../src/adapter/binance/index.ts';
import { SpecRegistry } from '../src/model/instrument.ts';

export const REPO_ROOT = join(import.meta.dirname, '..');
export const SHARED = process.env.MAKER_SHARED_DIR ?? join(REPO_ROOT, '..', 'shared');
export const REAL = join(SHARED, 'data', 'real');

/** hftbacktest collector recordings (gzip, `<recv ns> <json>` lines), 2024-08-08, ~5.75 min each. */
export const HBT_DIR = join(REAL, 'hftbacktest', 'usdm');
export const HBT_BTC = join(HBT_DIR, 'btcusdt_20240808.gz');
export const HBT_ETH = join(HBT_DIR, 'ethusdt_20240808.gz');

/** cryptofeed raw recording (5 symbols, aggTrade, depth@100ms, bookTicker). */
export const CRYPTOFEED_FILE = join(REAL, 'cryptofeed', 'BINANCE_FUTURES-1125a2.0');

/** nautilus_trader test data: Binance historical order-book CSVs and Tardis CSVs. */
export const NAUTILUS_DIR = join(REAL, 'nautilus_trader');
export const NAUTILUS_BINANCE_DIR = join(NAUTILUS_DIR, 'binance');
export const NAUTILUS_DEPTH_SNAP = join(NAUTILUS_BINANCE_DIR, 'btcusdt-depth-snap.csv');
export const NAUTILUS_DEPTH_UPDATE = join(NAUTILUS_BINANCE_DIR, 'btcusdt-depth-update.csv');
export const NAUTILUS_TARDIS_DIR = join(NAUTILUS_DIR, 'tardis');
export const NAUTILUS_TARDIS_TRADES = join(NAUTILUS_TARDIS_DIR, 'trades.csv');
export const NAUTILUS_TARDIS_QUOTES = join(NAUTILUS_TARDIS_DIR, 'quotes.csv');
export const NAUTILUS_TARDIS_BOOK_5 = join(NAUTILUS_TARDIS_DIR, 'binance-futures_book_snapshot_5_BTCUSDT.csv');
export const NAUTILUS_TARDIS_BOOK_25 = join(NAUTILUS_TARDIS_DIR, 'binance-futures_book_snapshot_25_BTCUSDT.csv');

/** Binance API fixtures; the full USDⓈ-M exchangeInfo captured in 2022 (BTCUSDT tick 0.1, ETHUSDT 0.01, step 0.001). */
export const BINANCE_FIXTURES = join(SHARED, 'data', 'binance-fixtures');
export const EXCHANGE_INFO = join(BINANCE_FIXTURES, 'python-resources', 'http_responses', 'http_futures_market_exchange_info.json');

/** The captured exchangeInfo is there (most real-data code needs at least the specs). */
export const haveShared = existsSync(EXCHANGE_INFO);
/** The BTCUSDT sample and its specs are there: what the single-sample real tests and benches need. */
export const haveReal = existsSync(HBT_BTC) && haveShared;

/** A fresh registry with every symbol of the captured exchangeInfo. */
export function realSpecs(): SpecRegistry {
  const specs = new SpecRegistry();
  specs.addAll(loadExchangeInfoFile(EXCHANGE_INFO));
  return specs;
}

export interface LoadRealOptions<T extends MarketEventType> {
  /** Keep only these event types (in file order); default: all. */
  types?: readonly T[];
  /** Specs to import with; default `realSpecs()`. */
  specs?: SpecRegistry;
}

/** Every event of `file` (or of the files of a directory), in memory, through `importSources`. */
export async function loadRealEvents<T extends MarketEventType = MarketEventType>(
  file: string,
  opts: LoadRealOptions<T> = {},
): Promise<Extract<MarketEvent, { type: T }>[]> {
  const keep = opts.types === undefined ? null : new Set<MarketEventType>(opts.types);
  const out: Extract<MarketEvent, { type: T }>[] = [];
  for await (const batch of importSources([file], { specs: opts.specs ?? realSpecs() }).events) {
    for (const e of batch) if (keep === null || keep.has(e.type)) out.push(e as Extract<MarketEvent, { type: T }>);
  }
  return out;
}
