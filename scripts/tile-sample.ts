/**
 * Builds a long store from the real BTCUSDT 2024-08-08 sample (5.75 min, hftbacktest recording) by
 * repeating it with shifted times and ids, for the replay and backtest benchmarks.
 *
 *   node --import tsx scripts/tile-sample.ts [--hours 24] [--out .bench-cache]
 *
 * How a tile is made (tile 0 is the recording unchanged; tile k >= 1 is tile 0 with):
 * - times: every ts_receive, ts_exchange and ts_transact (match time T, of every stream) + k·P, where P = (last − first receive
 *   time of the sample) + 1 ms, so receive times never step back across a tile boundary;
 * - update ids (depth U/u/pu and bookTicker u): + k·D with D = u_last − pu_bridge + 1, where
 *   u_last is the sample's last depth `u` and pu_bridge the `pu` of the diff that bridges the REST
 *   snapshot; trade ids: + k·(t_last − t_first + 1), so trade ids stay consecutive;
 * - the REST snapshot and the depth diffs recorded before it (u < lastUpdateId, which a sync drops
 *   in tile 0 anyway) are left out; right before the bridging diff (same stamps; it may be recorded
 *   before the snapshot line) comes one synthetic depth diff with
 *   U = u = pu_bridge + k·D and pu = u_last + (k−1)·D, which continues the pu chain of tile k−1
 *   and turns the book tile k−1 ends with into the snapshot's book: every level of the end book
 *   that is not in the snapshot is set to 0, every snapshot level to its quantity. The next diff
 *   is the bridging one, whose pu is pu_bridge + k·D: the chain is unbroken, so the whole store
 *   syncs once and `maker data check` shows 0 gaps, 0 crossed and the bookTicker oracle matching in
 *   every tile (each tile replays the same book states as tile 0).
 * - the store ends at first receive time + hours (the last tile is cut there).
 *
 * Written through StoreWriter into `<out>/tile-<hours>h/` (git-ignored). A fingerprint file
 * (the sample's size and sha256, hours, TILE_VERSION) makes a second call a no-op; by content, not
 * mtime, since ../shared is re-provisioned with new mtimes and a 24 h tile takes ~12 minutes to build.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { DepthDiff, DepthSnapshot, MarketEvent } from '../src/model/events.ts';
import type { Instrument } from '../src/model/instrument.ts';
import { StoreWriter, type Compression } from '../src/store/index.ts';
import { HBT_BTC, loadRealEvents, realSpecs } from './shared-data.ts';

const TILE_VERSION = 3;
export const SAMPLE = HBT_BTC;
export const TILE_VENUE = 'binance-usdm';
export const TILE_SYMBOL = 'BTCUSDT';

export async function loadSample(): Promise<{ events: MarketEvent[]; instrument: Instrument }> {
  const specs = realSpecs();
  return { events: await loadRealEvents(SAMPLE, { specs }), instrument: specs.get(TILE_SYMBOL)! };
}

interface Plan {
  periodUs: number;
  idStep: number;
  tradeIdStep: number;
  snapshotIndex: number;
  lastUpdateId: number;
  puBridge: number;
  uLast: number;
  /** Levels of the bridge diff: end book → snapshot book. */
  bridge: { bidTicks: number[]; bidLots: number[]; askTicks: number[]; askLots: number[] };
}

function plan(events: MarketEvent[]): Plan {
  const snapshotIndex = events.findIndex((e) => e.type === 'snapshot');
  const snap = events[snapshotIndex] as DepthSnapshot;
  const L = snap.lastUpdateId;
  const diffs = events.filter((e): e is DepthDiff => e.type === 'depth');
  const bridging = diffs.find((d) => d.finalUpdateId >= L)!;
  const uLast = diffs[diffs.length - 1].finalUpdateId;
  const trades = events.filter((e) => e.type === 'trade');
  const first = events[0].tsReceiveUs;
  const last = events[events.length - 1].tsReceiveUs;
  // End-of-sample book: the snapshot plus every diff from the bridging one on.
  const bids = new Map<number, number>();
  const asks = new Map<number, number>();
  snap.bidTicks.forEach((p, i) => bids.set(p, snap.bidLots[i]));
  snap.askTicks.forEach((p, i) => asks.set(p, snap.askLots[i]));
  for (const d of diffs) {
    if (d.finalUpdateId < L) continue;
    d.bidTicks.forEach((p, i) => (d.bidLots[i] === 0 ? bids.delete(p) : bids.set(p, d.bidLots[i])));
    d.askTicks.forEach((p, i) => (d.askLots[i] === 0 ? asks.delete(p) : asks.set(p, d.askLots[i])));
  }
  const side = (end: Map<number, number>, ticks: number[], lots: number[]) => {
    const inSnap = new Set(ticks);
    const t: number[] = [];
    const l: number[] = [];
    for (const p of [...end.keys()].sort((a, b) => a - b)) if (!inSnap.has(p)) t.push(p), l.push(0);
    return { t: [...t, ...ticks], l: [...l, ...lots] };
  };
  const b = side(bids, snap.bidTicks, snap.bidLots);
  const a = side(asks, snap.askTicks, snap.askLots);
  return {
    periodUs: last - first + 1000,
    idStep: uLast - bridging.prevFinalUpdateId + 1,
    tradeIdStep: trades.length > 0 ? (trades[trades.length - 1] as { tradeId: number }).tradeId - (trades[0] as { tradeId: number }).tradeId + 1 : 0,
    snapshotIndex,
    lastUpdateId: L,
    puBridge: bridging.prevFinalUpdateId,
    uLast,
    bridge: { bidTicks: b.t, bidLots: b.l, askTicks: a.t, askLots: a.l },
  };
}

/** Tile k of the sample (k >= 1), as described in the header. */
function* tile(events: MarketEvent[], p: Plan, k: number): Generator<MarketEvent> {
  const dt = k * p.periodUs;
  const di = k * p.idStep;
  const dtr = k * p.tradeIdStep;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    // Every time an event carries moves with it, the match time T included (T left behind would put a
    // tile's prints and bookTickers in tile 0's past on the exchange's match-time clock).
    const ts = e.type === 'markPrice' ? { tsReceiveUs: e.tsReceiveUs + dt, tsExchangeUs: e.tsExchangeUs + dt } : { tsReceiveUs: e.tsReceiveUs + dt, tsExchangeUs: e.tsExchangeUs + dt, tsTransactUs: e.tsTransactUs + dt };
    switch (e.type) {
      case 'snapshot':
        break;
      case 'depth':
        if (e.prevFinalUpdateId === p.puBridge)
          yield {
            type: 'depth', symbol: e.symbol, ...ts, tsTransactUs: e.tsTransactUs + dt,
            firstUpdateId: p.puBridge + di, finalUpdateId: p.puBridge + di, prevFinalUpdateId: p.uLast + di - p.idStep,
            ...p.bridge,
          };
        if (e.finalUpdateId >= p.lastUpdateId)
          yield { ...e, ...ts, tsTransactUs: e.tsTransactUs + dt, firstUpdateId: e.firstUpdateId + di, finalUpdateId: e.finalUpdateId + di, prevFinalUpdateId: e.prevFinalUpdateId + di };
        break;
      case 'bookTicker':
        yield { ...e, ...ts, updateId: e.updateId === -1 ? -1 : e.updateId + di };
        break;
      case 'trade':
        yield { ...e, ...ts, tradeId: e.tradeId + dtr };
        break;
      default:
        yield { ...e, ...ts };
    }
  }
}

/** Builds (or reuses) the tiled store of `hours` hours; returns its root. */
export async function ensureTile(hours: number, out = join(import.meta.dirname, '..', '.bench-cache'), log: (s: string) => void = () => {}, compression: Compression = 'SNAPPY'): Promise<string> {
  const root = join(out, compression === 'SNAPPY' ? `tile-${hours}h` : `tile-${hours}h-${compression.toLowerCase()}`);
  const st = statSync(SAMPLE);
  const sampleSha256 = createHash('sha256').update(readFileSync(SAMPLE)).digest('hex');
  const fingerprint = JSON.stringify({ TILE_VERSION, hours, sampleBytes: st.size, sampleSha256 });
  const fpFile = join(root, 'fingerprint.json');
  if (existsSync(fpFile) && readFileSync(fpFile, 'utf8') === fingerprint) return root;
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const { events, instrument } = await loadSample();
  const p = plan(events);
  const endUs = events[0].tsReceiveUs + hours * 3_600_000_000;
  const w = new StoreWriter({ root, venue: TILE_VENUE, compression });
  w.addInstrument(instrument);
  const t0 = performance.now();
  let n = 0;
  let buf: MarketEvent[] = [];
  outer: for (let k = 0; ; k++) {
    for (const e of k === 0 ? events : tile(events, p, k)) {
      if (e.tsReceiveUs >= endUs) break outer;
      buf.push(e);
      if (buf.length === 65_536) {
        await w.write(buf);
        n += buf.length;
        buf = [];
      }
    }
    if (k % 20 === 0) log(`tile ${k}: ${n} events, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  await w.write(buf);
  n += buf.length;
  await w.commit({
    importer: 'tile-sample',
    inputs: [{ path: 'hftbacktest/usdm/btcusdt_20240808.gz', bytes: st.size }],
    options: { hours: String(hours), periodUs: String(p.periodUs), idStep: String(p.idStep), tradeIdStep: String(p.tradeIdStep) },
  });
  writeFileSync(fpFile, fingerprint);
  log(`tile-${hours}h: ${n} events written in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return root;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { hours: { type: 'string', default: '24' }, out: { type: 'string' }, compression: { type: 'string', default: 'SNAPPY' } } });
  const root = await ensureTile(Number(values.hours), values.out, (s) => process.stderr.write(`${s}\n`), values.compression as Compression);
  console.log(root);
}
