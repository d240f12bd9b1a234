/**
 * `node --import tsx bench/record.ts [--speed 50] [--depth 0ms]`: what `maker record` sustains.
 *
 * The real BTCUSDT sample (93,954 messages, 5.75 min) is imported into a temporary store and
 * replayed by the local exchange (in this process) at `--speed`× on a virtual clock; the recorder
 * runs as its own process (`maker record --venue … --json`), so its CPU is measured apart. Prints
 * messages recorded, the replay's wall time, messages/s, the recorder's CPU seconds and CPU share
 * (of one core) and whether every message arrived (S' = S for depth, trade, bookTicker).
 *
 * `--symbols 10 [--rate 270] [--seconds 30]`: the recorder's CPU share at Binance-like rates for
 * several symbols. The local exchange serves the synthetic market for N symbols (BTCUSDT, ETHUSDT,
 * …), at the speed that makes each symbol's wire messages (depth@100ms, trade, aggTrade,
 * bookTicker, markPrice@1s) about `--rate` per second (BTCUSDT's real sample: ~270/s); the
 * recorder (its own process, `--depth 100ms`, every stream) records for `--seconds`. Prints the
 * rate it recorded, its CPU share of one core and µs of CPU per message.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng } from '../src/core/random.ts';
import { ExchangeServer, LocalExchange, storeMarket, syntheticMarket } from '../src/exchange-fake/index.ts';
import { syntheticInstrument } from '../src/synthetic/index.ts';
import type { MarketEvent } from '../src/model/events.ts';
import { eventsFromBatch, importEvents, readEvents } from '../src/store/index.ts';
import { HBT_BTC, loadRealEvents, realSpecs } from '../scripts/shared-data.ts';

const { values } = parseArgs({ options: { speed: { type: 'string', default: '50' }, depth: { type: 'string', default: '0ms' }, symbols: { type: 'string' }, rate: { type: 'string', default: '270' }, seconds: { type: 'string', default: '30' } } });
const speed = Number(values.speed);
const VENUE = 'binance-usdm';
const dir = mkdtempSync(join(tmpdir(), 'record-bench-'));
const NAMES = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT', 'XRPUSDT', 'DOGEUSDT', 'ADAUSDT', 'LINKUSDT', 'AVAXUSDT', 'LTCUSDT', 'DOTUSDT', 'TRXUSDT'];

/** Wire messages per data second of one synthetic symbol (depth conflated to 100 ms, trades aggregated as the exchange does). */
function syntheticRate(): number {
  const inst = syntheticInstrument('BTCUSDT');
  const t0 = 1_700_000_000_000_000;
  const spanUs = 120e6;
  let n = 0;
  let lastAgg = '';
  const depthSlots = new Set<number>();
  outer: for (const batch of syntheticMarket([inst], 1, t0, 200)) {
    for (const e of batch) {
      if (e.tsExchangeUs - t0 > spanUs) break outer;
      if (e.type === 'trade') {
        // The trade, and an aggTrade per run of trades with one match time, price and side (any other event closes the run).
        const key = `${e.tsTransactUs}/${e.priceTicks}/${e.buyerIsMaker}`;
        n += key === lastAgg ? 1 : 2;
        lastAgg = key;
        continue;
      }
      lastAgg = '';
      if (e.type === 'depth') depthSlots.add(Math.floor(e.tsExchangeUs / 100_000));
      else if (e.type === 'bookTicker' || e.type === 'markPrice') n++;
    }
  }
  return (n + depthSlots.size) / (spanUs / 1e6);
}

/**
 * `maker record --json` as its own process against the local exchange on `port`; `last()` is its
 * latest status line, `connected` waits (bounded) for its two stream connections.
 */
function spawnRecorder(port: number, symbols: string[], out: string, depth: string) {
  const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'bin', 'maker.js'), 'record', '--symbols', symbols.join(','), '--venue', `http://127.0.0.1:${port}`, '--out', out, '--depth', depth, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let last: Record<string, unknown> = {};
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const l = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
      if (l.type !== 'log') last = l;
      buf = buf.slice(nl + 1);
    }
  });
  let exited = false;
  child.on('exit', () => (exited = true));
  return {
    child,
    last: () => last,
    async connected(timeoutMs: number): Promise<void> {
      const until = Date.now() + timeoutMs;
      while (last.connections !== 2) {
        if (exited) throw new Error('the recorder exited before connecting');
        if (Date.now() > until) {
          child.kill('SIGTERM');
          throw new Error(`the recorder did not connect within ${timeoutMs / 1000} s`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

async function symbolsBench(count: number, ratePerSymbol: number, seconds: number): Promise<void> {
  if (!(count >= 1 && count <= NAMES.length)) throw new Error(`--symbols: 1..${NAMES.length}`);
  const symbols = NAMES.slice(0, count);
  const instruments = symbols.map((s) => syntheticInstrument(s));
  const perDataSecond = syntheticRate();
  const sp = ratePerSymbol / perDataSecond;
  const ex = new LocalExchange({
    instruments, source: syntheticMarket(instruments, 1, Date.now() * 1000, Math.ceil((seconds + 60) * sp)), speed: sp,
    accounts: [], execution: { rng: new Rng(1), queueModel: { model: 'prob-power', variant: 2, power: 3 }, fees: { default: { makerRate: '0', takerRate: '0' } }, funding: { mode: 'off' } },
  });
  const server = new ExchangeServer(ex, [], { streams: { aggTradesFromTrades: true } });
  const port = await server.listen();
  await ex.start();
  const out = join(dir, 'out');
  const rec = spawnRecorder(port, symbols, out, '100ms');
  const child = rec.child;
  const messages = () => Object.values((rec.last().streams ?? {}) as Record<string, { messages: number }>).reduce((n, s) => n + s.messages, 0);
  await rec.connected(60_000);
  // Let the books sync, then measure.
  await new Promise((r) => setTimeout(r, 3_000));
  const cpu0 = rec.last().cpuUs as number;
  const m0 = messages();
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu1 = rec.last().cpuUs as number;
  const m1 = messages();
  const ms = Date.now() - t0;
  const gaps = rec.last().gaps;
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  ex.stop();
  await server.close();
  const msgs = m1 - m0;
  console.log(JSON.stringify({ symbols: count, exchangeSpeed: Number(sp.toFixed(2)), targetPerSymbolPerSec: ratePerSymbol, messagesPerSec: Math.round(msgs / (ms / 1000)), recorderCpuSeconds: (cpu1 - cpu0) / 1e6, cpuShareOfOneCore: Number(((cpu1 - cpu0) / 1000 / ms).toFixed(4)), cpuMicrosPerMessage: Number(((cpu1 - cpu0) / msgs).toFixed(1)), gaps }));
}

if (values.symbols !== undefined) {
  try {
    await symbolsBench(Number(values.symbols), Number(values.rate), Number(values.seconds));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}
const read = async (root: string) => {
  const out: MarketEvent[] = [];
  for await (const b of readEvents(root, { venue: VENUE, symbol: 'BTCUSDT' })) for (const e of eventsFromBatch(b)) out.push(e);
  return out;
};
try {
  const src = join(dir, 'src');
  const events = await loadRealEvents(HBT_BTC);
  await importEvents({ root: src, venue: VENUE, instruments: [realSpecs().get('BTCUSDT')], provenance: { importer: 'bench', inputs: [] } }, [events]);
  const S = await read(src);
  const { instruments, source } = await storeMarket(src, VENUE, ['BTCUSDT']);
  const first = S[0].tsExchangeUs;
  let released: number | undefined;
  const ex = new LocalExchange({
    instruments, source, speed: 1,
    clockUs: () => (released === undefined ? first : first + Math.floor((Date.now() * 1000 - released) * speed)),
    accounts: [], execution: { rng: new Rng(1), queueModel: { model: 'prob-power', variant: 2, power: 3 }, fees: { default: { makerRate: '0', takerRate: '0' } }, funding: { mode: 'off' } },
  });
  const server = new ExchangeServer(ex, []);
  const port = await server.listen();
  const out = join(dir, 'out');
  const rec = spawnRecorder(port, ['BTCUSDT'], out, String(values.depth));
  const child = rec.child;
  await rec.connected(60_000);
  const cpu0 = rec.last().cpuUs as number;
  await ex.start();
  released = Date.now() * 1000;
  const t0 = Date.now();
  ex.pump();
  while (!ex.ended) await new Promise((r) => setTimeout(r, 50));
  const replayMs = Date.now() - t0;
  const received = () => Object.values(rec.last().streams as Record<string, { messages: number; duplicates: number }>).reduce((n, s) => n + s.messages - s.duplicates, 0);
  while (received() < S.length - 1 && Date.now() - t0 < replayMs + 30_000) await new Promise((r) => setTimeout(r, 100));
  const catchUpMs = Date.now() - t0;
  const cpu1 = rec.last().cpuUs as number;
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  ex.stop();
  await server.close();
  const S2 = await read(out);
  const same = (['depth', 'trade', 'bookTicker'] as const).every((t) => {
    const a = S.filter((e) => e.type === t).map(({ tsReceiveUs: _, ...r }) => JSON.stringify(r));
    const b = S2.filter((e) => e.type === t).map(({ tsReceiveUs: _, ...r }) => JSON.stringify(r));
    return a.length === b.length && a.every((x, i) => x === b[i]);
  });
  const msgs = received();
  console.log(JSON.stringify({ speed, messages: msgs, replaySeconds: replayMs / 1000, allReceivedSeconds: catchUpMs / 1000, messagesPerSec: Math.round(msgs / (catchUpMs / 1000)), recorderCpuSeconds: (cpu1 - cpu0) / 1e6, cpuShareOfOneCore: (cpu1 - cpu0) / 1000 / catchUpMs, cpuMicrosPerMessage: (cpu1 - cpu0) / msgs, sameAsSource: same, journalBytes: rec.last().bytesWritten }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
