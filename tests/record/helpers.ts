// Test support for `maker record`: a source store S cut from the real BTCUSDT recording, the
// local exchange replaying S on a virtual clock (so the exchange times it serves are S's own), a
// recorder pointed at it, and S read back for comparison.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/random.ts';
import { ExchangeServer, LocalExchange, parseFaults, storeMarket, type FaultLogEntry } from '../../src/exchange-fake/index.ts';
import type { MarketEvent } from '../../src/model/events.ts';
import { eventsFromBatch, importEvents, openStore, readEvents, readMeta, type GapRecord } from '../../src/store/index.ts';
import { Recorder } from '../../src/record/index.ts';
import { ACCOUNT } from '../exchange-fake/helpers.ts';
import { HBT_BTC, loadRealEvents, realSpecs } from '../support/shared-data.ts';

export const VENUE = 'binance-usdm';

export function tempDir(tag: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `record-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The first `seconds` of the real BTCUSDT recording (receive time), imported into a store at `dir`. */
export async function buildSourceStore(dir: string, seconds: number): Promise<MarketEvent[]> {
  const all = await loadRealEvents(HBT_BTC);
  const end = all[0].tsReceiveUs + seconds * 1e6;
  const events = all.filter((e) => e.tsReceiveUs <= end);
  const inst = realSpecs().get('BTCUSDT');
  await importEvents({ root: dir, venue: VENUE, instruments: [inst], provenance: { importer: 'test', inputs: [{ path: 'btcusdt_20240808.gz' }] } }, [events]);
  return events;
}

/** Every event of a store's symbol in replay order. */
export async function readStore(root: string, symbol = 'BTCUSDT'): Promise<MarketEvent[]> {
  const out: MarketEvent[] = [];
  for await (const b of readEvents(root, { venue: VENUE, symbol })) for (const e of eventsFromBatch(b)) out.push(e);
  return out;
}

/**
 * The local exchange replaying store `root` at `speed`× on a virtual clock that stands at the
 * data's first exchange time until `release()`: server time = data time / speed from there, so the
 * exchange times it serves are the store's own (not shifted to today).
 */
export async function startReplayExchange(root: string, speed: number, maxConnectionMs?: number) {
  const { instruments, source } = await storeMarket(root, VENUE, ['BTCUSDT']);
  const first = (await readStore(root))[0].tsExchangeUs;
  let releasedAtUs: number | undefined;
  const clockUs = () => (releasedAtUs === undefined ? first : first + Math.floor((Date.now() * 1000 - releasedAtUs) * speed));
  const ex = new LocalExchange({
    instruments,
    source,
    speed: 1,
    clockUs,
    accounts: [ACCOUNT],
    execution: { rng: new Rng(1), queueModel: { model: 'prob-power', variant: 2, power: 3 }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } }, funding: { mode: 'off' } },
  });
  const server = new ExchangeServer(ex, [ACCOUNT], { streams: maxConnectionMs === undefined ? {} : { maxConnectionMs } });
  const port = await server.listen();
  return {
    ex,
    server,
    port,
    base: `http://127.0.0.1:${port}`,
    /** Starts the replay (events at the first time are delivered at once) and lets the clock run. */
    async release() {
      await ex.start();
      releasedAtUs = Date.now() * 1000;
      ex.pump();
    },
    async close() {
      ex.stop();
      await server.close();
    },
  };
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An event without its receive time (what the recorder cannot reproduce), as a comparable string. */
export function wireIdentity(e: MarketEvent): string {
  const { tsReceiveUs: _r, ...rest } = e;
  return JSON.stringify(rest);
}

/** Non-snapshot events of one type, as identities, in order. */
export function streamOf(events: readonly MarketEvent[], type: MarketEvent['type']): string[] {
  return events.filter((e) => e.type === type).map(wireIdentity);
}

/**
 * The events of S between two gap edges are the only ones S' may lack: S' equals S with, per gap,
 * the messages strictly between `before` and `after` removed (matched on the stream's id and E).
 */
export function expectedAfterGaps(S: readonly MarketEvent[], type: 'depth' | 'trade' | 'bookTicker', gaps: readonly { before: { id: number; tsExchangeUs: number } | null; after: { id: number; tsExchangeUs: number } }[]): string[] {
  const evs = S.filter((e) => e.type === type);
  const idOf = (e: MarketEvent): number => (e.type === 'depth' ? e.finalUpdateId : e.type === 'trade' ? e.tradeId : e.type === 'bookTicker' ? e.updateId : -1);
  const drop = new Set<number>();
  for (const g of gaps) {
    const at = (edge: { id: number; tsExchangeUs: number }) => evs.findIndex((e) => idOf(e) === edge.id && (type !== 'bookTicker' || e.tsExchangeUs === edge.tsExchangeUs));
    const i = g.before === null ? -1 : at(g.before);
    const j = at(g.after);
    if (j < 0 || (g.before !== null && i < 0)) throw new Error(`gap edge not in S: ${JSON.stringify(g)}`);
    for (let k = i + 1; k < j; k++) drop.add(k);
  }
  return evs.filter((_, k) => !drop.has(k)).map(wireIdentity);
}

export async function gapsOf(root: string): Promise<GapRecord[]> {
  const store = await openStore(root);
  return store.dates(VENUE, 'BTCUSDT').flatMap((d) => readMeta(join(root, VENUE, 'BTCUSDT', d))!.recording?.gaps ?? []);
}

/**
 * Records S (replayed at 10×) while `inject` adds faults 1.5 s into the replay, and waits for
 * `settled` (the recorder's reaction) before letting the replay run to its end.
 */
export async function recordUnder(srcDir: string, outDir: string, faults: unknown[], settled: (rec: Recorder) => boolean, stallMs = 5_000) {
  const S = await readStore(srcDir);
  const x = await startReplayExchange(srcDir, 10);
  const logs: string[] = [];
  const rec = new Recorder({
    symbols: ['BTCUSDT'], rest: x.base, ws: x.base.replace('http', 'ws'), out: outDir,
    streams: { depthSpeed: '0ms', trade: true, aggTrade: false, bookTicker: true, markPrice: false },
    flushMs: 100, stallMs, log: (l) => logs.push(l),
  });
  let faultLog: readonly FaultLogEntry[] = [];
  try {
    await rec.start();
    await waitFor('both routes connected', () => rec.status().connections === 2, 5_000);
    await x.release();
    await new Promise((r) => setTimeout(r, 1_500));
    x.server.faults.add(parseFaults(faults));
    await waitFor('the recorder to react', () => settled(rec), 10_000);
    await waitFor('the replay to end', () => x.ex.ended, 30_000);
    await new Promise((r) => setTimeout(r, 500));
    faultLog = [...x.server.faults.log];
  } finally {
    await rec.stop();
    await x.close();
  }
  return { S, S2: await readStore(outDir), rec, logs, faultLog, gaps: await gapsOf(outDir) };
}

