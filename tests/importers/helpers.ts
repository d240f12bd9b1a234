// Shared helpers for the importer tests: spec registries and draining an import session.
// The shared-data paths come from tests/support/shared-data.ts (re-exported here).
import { existsSync } from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { importSources, type ImportOptions } from '../../src/importers/index.ts';
import type { MarketEvent } from '../../src/model/events.ts';
import { SpecRegistry, type InstrumentSpec } from '../../src/model/instrument.ts';
import { realSpecs } from '../support/shared-data.ts';

export { EXCHANGE_INFO, REAL, SHARED } from '../support/shared-data.ts';
export const FIXTURES = join(import.meta.dirname, 'fixtures');
/** Whether one shared-data path is present (these tests skip file by file). */
export const haveShared = (p: string): boolean => existsSync(p);

export function manualSpec(symbol: string, tickSize: string, stepSize: string): InstrumentSpec {
  return {
    symbol,
    baseAsset: symbol.replace(/USDT$/, ''),
    quoteAsset: 'USDT',
    marginAsset: 'USDT',
    contractType: 'PERPETUAL',
    tickSize,
    minPrice: tickSize,
    maxPrice: '1000000',
    stepSize,
    minQty: stepSize,
    maxQty: '100000',
    marketMinQty: stepSize,
    marketMaxQty: '100000',
    minNotional: '5',
    source: { kind: 'manual', asOf: '2020-09-01T00:00:00.000Z' },
  };
}

/** BTCUSDT tick 0.1 / step 0.001 and ETHUSDT 0.01 / 0.001, as in the captured 2022 exchangeInfo. */
export function exchangeInfoRegistry(): SpecRegistry {
  return realSpecs();
}

/** A registry that needs no shared data: BTCUSDT and ETHUSDT with the 2022 filters. */
export function localRegistry(btcTick = '0.1'): SpecRegistry {
  const reg = new SpecRegistry();
  reg.add(manualSpec('BTCUSDT', btcTick, '0.001'));
  reg.add(manualSpec('ETHUSDT', '0.01', '0.001'));
  return reg;
}

export async function collect(inputs: string[], opts: ImportOptions) {
  const session = importSources(inputs, opts);
  const events: MarketEvent[] = [];
  let batches = 0;
  for await (const b of session.events) {
    batches++;
    for (const e of b) events.push(e);
  }
  return { events, batches, stats: session.stats() };
}

/** Temporary directories of the importing test file, removed after its tests. */
const temps: string[] = [];
afterAll(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'maker-importers-'));
  temps.push(d);
  return d;
}

export function writeTemp(dir: string, name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
