// `maker exchange --raw`: raw files replayed without a store. The merged stream must be the store
// replay's (receive-time order, ties to the file/symbol listed first, daily parts of one recording
// chained), so the same files replay the same whether imported first or not. Synthetic recordings
// written here (two symbols with interleaved and equal receive times, one split over two daily
// files) run without ../shared; the hftbacktest recordings run when ../shared is there.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalExchange, rawMarket, storeMarket } from '../../src/exchange-fake/index.ts';
import { importSources } from '../../src/importers/index.ts';
import type { MarketEvent } from '../../src/model/events.ts';
import { SpecRegistry } from '../../src/model/instrument.ts';
import { StoreWriter } from '../../src/store/index.ts';
import { syntheticInstrument } from '../../src/synthetic/index.ts';
import { Rng } from '../../src/core/random.ts';
import { recording, writeRecordings } from './raw-recording.ts';
import { HBT_BTC, HBT_ETH, haveReal, realSpecs } from '../support/shared-data.ts';

let dir = '';
let files: ReturnType<typeof writeRecordings>;
const specs = () => {
  const r = new SpecRegistry();
  r.add(syntheticInstrument('BTCUSDT').spec);
  r.add(syntheticInstrument('ETHUSDT').spec);
  return r;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'exraw-test-'));
  files = writeRecordings(dir);
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

async function collect(source: AsyncIterable<MarketEvent[]>): Promise<MarketEvent[]> {
  const out: MarketEvent[] = [];
  for await (const b of source) for (const e of b) out.push(e);
  return out;
}

/** What `maker import` does: one import session over the files into a fresh store. */
async function importStore(inputs: string[], registry: SpecRegistry): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'exraw-store-'));
  const w = new StoreWriter({ root, venue: 'binance-usdm' });
  const known = new Set<string>();
  for await (const batch of importSources(inputs, { specs: registry }).events) {
    for (const e of batch) {
      if (known.has(e.symbol)) continue;
      known.add(e.symbol);
      w.addInstrument(registry.get(e.symbol));
    }
    await w.write(batch);
  }
  await w.commit({ importer: 'test', inputs: inputs.map((path) => ({ path, bytes: 0 })) });
  return root;
}

/** The fields every replay of an event must agree on (the store's decoding builds its own objects). */
function key(e: MarketEvent): string {
  return JSON.stringify(e);
}

describe('rawMarket', () => {
  it('replays the files exactly as the store replay of their import: receive-time order, ties to the file listed first, daily parts chained', async () => {
    const raw = await rawMarket([files.btc1, files.eth, files.btc2], { specs: specs() });
    expect(raw.instruments.map((i) => i.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    const rawEvents = await collect(raw.source);
    const root = await importStore([files.btc1, files.btc2, files.eth], specs());
    try {
      const stored = await collect((await storeMarket(root, 'binance-usdm', ['BTCUSDT', 'ETHUSDT'])).source);
      expect(rawEvents.length).toBe(stored.length);
      expect(rawEvents.length).toBe(600 + 400);
      for (let i = 0; i < stored.length; i++) if (key(rawEvents[i]) !== key(stored[i])) expect({ i, raw: rawEvents[i] }).toEqual({ i, raw: stored[i] });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    // The check above can fail: the merge interleaves the symbols, and ties go to the lane of the file listed first.
    for (let i = 1; i < rawEvents.length; i++) expect(rawEvents[i].tsReceiveUs).toBeGreaterThanOrEqual(rawEvents[i - 1].tsReceiveUs);
    const tie = rawEvents.findIndex((e, i) => i > 0 && e.tsReceiveUs === rawEvents[i - 1].tsReceiveUs);
    expect(tie).toBeGreaterThan(0);
    expect([rawEvents[tie - 1].symbol, rawEvents[tie].symbol]).toEqual(['BTCUSDT', 'ETHUSDT']);
    const firstEth = rawEvents.findIndex((e) => e.symbol === 'ETHUSDT');
    expect(firstEth).toBeLessThan(5);
    // With ETHUSDT's file first, its lane wins the ties.
    const swapped = await collect((await rawMarket([files.eth, files.btc1, files.btc2], { specs: specs() })).source);
    expect(swapped.map(key)).not.toEqual(rawEvents.map(key));
    const t = swapped.findIndex((e, i) => i > 0 && e.tsReceiveUs === swapped[i - 1].tsReceiveUs);
    expect([swapped[t - 1].symbol, swapped[t].symbol]).toEqual(['ETHUSDT', 'BTCUSDT']);
  });

  it('gives the local exchange the same depth books at every point of the replay as the store does', async () => {
    const root = await importStore([files.btc1, files.btc2, files.eth], specs());
    try {
      let now = 5_000_000_000_000_000;
      const make = (m: Awaited<ReturnType<typeof rawMarket>> | Awaited<ReturnType<typeof storeMarket>>) =>
        new LocalExchange({ instruments: m.instruments, source: m.source, speed: 1, accounts: [], clockUs: () => now, execution: { rng: new Rng(1), queueModel: { model: 'prob-power', variant: 2, power: 3 }, fees: { default: { makerRate: '0', takerRate: '0' } } } });
      const a = make(await rawMarket([files.btc1, files.eth, files.btc2], { specs: specs() }));
      const b = make(await storeMarket(root, 'binance-usdm', ['BTCUSDT', 'ETHUSDT']));
      await a.start();
      await b.start();
      let checked = 0;
      for (let step = 0; step < 70; step++) {
        now += 9_000;
        a.pump();
        b.pump();
        for (const s of ['BTCUSDT', 'ETHUSDT']) {
          const x = a.book(s)!;
          const y = b.book(s)!;
          expect([x.isValid(), x.lastUpdateId(), x.topLevels('bid', 10), x.topLevels('ask', 10)]).toEqual([y.isValid(), y.lastUpdateId(), y.topLevels('bid', 10), y.topLevels('ask', 10)]);
          if (x.isValid()) checked++;
        }
      }
      expect(checked).toBeGreaterThan(100);
      expect(a.eventsDelivered).toBe(b.eventsDelivered);
      a.stop();
      b.stop();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('serves the symbols the files start with, or --symbols; events of other symbols are skipped with one warning', async () => {
    const warnings: string[] = [];
    const only = await rawMarket([files.btc1, files.eth], { specs: specs(), symbols: ['ETHUSDT'], onWarning: (w) => warnings.push(`${w.code} ${w.file} ${w.message}`) });
    expect(only.instruments.map((i) => i.symbol)).toEqual(['ETHUSDT']);
    const events = await collect(only.source);
    expect(events.length).toBe(400);
    expect(events.every((e) => e.symbol === 'ETHUSDT')).toBe(true);
    expect(warnings).toEqual([`W_SYMBOL_SKIPPED ${files.btc1} events of BTCUSDT are skipped: not among --symbols`]);
  });

  it('names the file that is unreadable, of an unknown format, out of order, or a symbol without a spec', async () => {
    const bad = join(dir, 'notes.txt');
    writeFileSync(bad, 'hello world\n');
    await expect(rawMarket([files.btc1, bad], { specs: specs() })).rejects.toThrow(/unrecognised input format/);
    await expect(rawMarket([files.btc1, bad], { specs: specs() })).rejects.toMatchObject({ location: { file: bad } });
    await expect(rawMarket([join(dir, 'missing.gz')], { specs: specs() })).rejects.toMatchObject({ code: 'E_INPUT', location: { file: join(dir, 'missing.gz') } });
    await expect(rawMarket([files.btc1], { specs: new SpecRegistry() })).rejects.toThrow(/no instrument spec for symbol BTCUSDT; pass --spec/);
    // The second daily part given first: its lane goes back in time at the first line of the other file.
    const source = (await rawMarket([files.btc2, files.btc1], { specs: specs() })).source;
    const err = await collect(source).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'E_INPUT', location: { file: files.btc1 } });
    expect(String((err as Error).message)).toMatch(/receive time goes backwards.*maker import/);
  });
});

describe('rawMarket streams', () => {
  it('starts before a file is read through: batches arrive, then a bad line at the end stops the replay there, naming file and line', async () => {
    const big = join(dir, 'btcusdt_20240105.txt');
    writeFileSync(big, `${recording('BTCUSDT', 60_000, 0, 100, 0, 30_000, 10_000).join('\n')}\n12345 {not json\n`);
    const m = await rawMarket([big], { specs: specs() });
    let events = 0;
    let batches = 0;
    const err = await (async () => {
      for await (const b of m.source) {
        events += b.length;
        batches++;
      }
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(batches).toBeGreaterThanOrEqual(3);
    expect(events).toBeGreaterThan(24_000);
    expect(err).toMatchObject({ location: { file: big, line: 30_001 } });
  });
});

describe.skipIf(!haveReal)('rawMarket on the hftbacktest recordings', () => {
  it('replays BTCUSDT and ETHUSDT exactly as the store replay of their import', async () => {
    const raw = await rawMarket([HBT_BTC, HBT_ETH], { specs: realSpecs() });
    expect(raw.instruments.map((i) => i.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    const root = await importStore([HBT_BTC, HBT_ETH], realSpecs());
    try {
      const stored = (await storeMarket(root, 'binance-usdm', ['BTCUSDT', 'ETHUSDT'])).source[Symbol.asyncIterator]();
      let buf: MarketEvent[] = [];
      let pos = 0;
      let n = 0;
      for await (const batch of raw.source) {
        for (const e of batch) {
          if (pos >= buf.length) {
            const r = await stored.next();
            expect(r.done).toBe(false);
            buf = r.value as MarketEvent[];
            pos = 0;
          }
          const s = buf[pos++];
          if (key(e) !== key(s)) expect({ n, e }).toEqual({ n, e: s });
          n++;
        }
      }
      expect(pos).toBe(buf.length);
      expect((await stored.next()).done).toBe(true);
      expect(n).toBeGreaterThan(160_000);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);
});
