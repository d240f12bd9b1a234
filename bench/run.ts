/**
 * `npm run bench [-- --json] [-- --runs N] [-- --only book,import,read] [-- --soak-minutes 10]`
 *
 * Runs each benchmark several times (these machines are noisy) and prints min / median / max.
 * With --json, prints the medians as one JSON object on stdout (progress goes to stderr):
 *   {"book": {"oursLevelUpdatesPerSec", "tardisLevelUpdatesPerSec", "ccxtLevelUpdatesPerSec"},
 *    "import": {"messagesPerSec"}, "read": {"rowsPerSec"}, "decision": {"nsPerEvent", "depthOnlyNsPerEvent"},
 *    "replay": {"eventsPerSec", "daySeconds", "peakRssMB1h", "peakRssMB24h"},
 *    "backtest": {"eventsPerSec", "daySeconds", "dayRunThreadSeconds", "peakRssMB1h", "peakRssMB24h", "shares"}, "peakRssMB"}
 *    "sweep": {"runsPerMin1", "runsPerMin2", "piscinaRunsPerMin1", "piscinaRunsPerMin2"} (8 quickstart runs; bench/sweep.ts)
 *    "sweepQueue": {"local1", "local2", "warmLocal1", "warmLocal2", "queue1", "queue2" (runs/min), "queueVsWarmLocal1", "queueVsWarmLocal2", "queueCpuMsPerRun", "loadAverage"} (real sample; bench/sweep-queue.ts)
 *    "exchange": {"restRoundTripsPerSec", "wsRoundTripsPerSec", "restP50Ms", "restP99Ms", "wsP50Ms", "wsP99Ms",
 *                 "streamMessagesPerSec", "soak": {seconds, heapStartMB, heapEndMB, heapSlopeMBPerMin, rssStartMB, rssEndMB}}
 * `exchange` loads `maker exchange` on loopback (server in a child process); its memory soak lasts
 * 1 minute unless --soak-minutes says otherwise.
 * `live` runs `maker live` against `maker exchange` (bench/live.ts) for --live-minutes (default 2) at 10x market speed:
 *    "live": {tickToOrder, reportToCommand: {n, p50, p99, max} ms, heapStartMB, heapEndMB, heapSlopeMBPerMin, replayMatched, ...}
 * `live-dashboard` runs it twice more, for --live-minutes each: no dashboard client, then 10 SSE clients on the
 * dashboard (2 of them never reading): "liveDashboard": {none, clients10} (tick-to-order of each, SSE counters, load).
 * `replay` builds the tiled 1 h / 24 h stores on first use (scripts/tile-sample.ts; minutes, then cached).
 * Benchmarks that need ../shared/data/real report themselves skipped when it is absent.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { HBT_BTC as REAL_BTC } from '../scripts/shared-data.ts';

export interface Stat {
  min: number;
  median: number;
  max: number;
}


function fmt(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n < 10 ? n.toFixed(2) : n.toFixed(1);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { json: { type: 'boolean', default: false }, runs: { type: 'string', default: '5' }, only: { type: 'string' }, 'soak-minutes': { type: 'string', default: '1' }, 'live-minutes': { type: 'string', default: '2' } },
    allowPositionals: false,
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
  const only = values.only ? new Set(values.only.split(',')) : null;
  const want = (k: string) => only === null || only.has(k);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const rows: [string, Stat, string][] = [];
  const out: Record<string, unknown> = {};
  const haveReal = existsSync(REAL_BTC);
  if (!haveReal) log(`skipped: book and import benchmarks (no ${REAL_BTC})`);

  if (want('book') && haveReal) {
    log('book: applying BTCUSDT 2024-08-08 depth diffs (ours vs tardis-dev vs ccxt) ...');
    const { benchBook } = await import('./book.ts');
    const r = await benchBook({ runs });
    rows.push(['book apply, ours', r.oursLevelUpdatesPerSec, 'level updates/s']);
    rows.push(['book apply, tardis-dev OrderBook', r.tardisLevelUpdatesPerSec, 'level updates/s']);
    rows.push(['book apply, ccxt OrderBook', r.ccxtLevelUpdatesPerSec, 'level updates/s']);
    out.book = {
      oursLevelUpdatesPerSec: r.oursLevelUpdatesPerSec.median,
      tardisLevelUpdatesPerSec: r.tardisLevelUpdatesPerSec.median,
      ccxtLevelUpdatesPerSec: r.ccxtLevelUpdatesPerSec.median,
      vsTardis: r.oursLevelUpdatesPerSec.median / r.tardisLevelUpdatesPerSec.median,
      vsCcxt: r.oursLevelUpdatesPerSec.median / r.ccxtLevelUpdatesPerSec.median,
    };
  }
  if (want('import') && haveReal) {
    log('import: parsing BTCUSDT 2024-08-08 raw recording ...');
    const { benchImport } = await import('./import.ts');
    const r = await benchImport({ runs });
    rows.push(['import (parse raw recording)', r.messagesPerSec, 'messages/s']);
    out.import = { messagesPerSec: r.messagesPerSec.median };
  }
  if (want('decision') && haveReal) {
    log('decision: signal + strategy + risk + OMS per book event, BTCUSDT 2024-08-08 (TradingCore, GLFT) ...');
    // Each in a child process running the bundled code, as `maker` runs it (bench/decision-child.ts).
    const { decisionInChild } = await import('./decision.ts');
    const r = await decisionInChild(runs, false, log);
    rows.push(['decision pipeline (CPU ns per book event)', r.nsPerEvent, 'ns/event']);
    // The same with the strategy side on the depth book alone (bookTickers not applied): the default
    // before issue 9's fused book, for comparison with the target's first measurements.
    const d = await decisionInChild(runs, true, log);
    rows.push(['decision, strategy on depth only', d.nsPerEvent, 'ns/event']);
    out.decision = { nsPerEvent: r.nsPerEvent.median, depthOnlyNsPerEvent: d.nsPerEvent.median };
  }
  if (want('read')) {
    log('read: streaming a 2M-row store ...');
    const { benchStore } = await import('./store.ts');
    const r = await benchStore({ runs });
    rows.push(['store read (columnar batches)', r.rowsPerSec, 'rows/s']);
    out.read = { rowsPerSec: r.rowsPerSec.median };
  }
  if (want('replay') && haveReal) {
    log('replay: tiled BTCUSDT 1 h and 24 h stores, one child process per run and length ...');
    const { benchReplay } = await import('./replay.ts');
    const r = await benchReplay({ runs: Math.min(runs, 3), log });
    rows.push(['replay 24 h tile (ColumnarBatch)', r.eventsPerSec, 'events/s']);
    rows.push(['replay, seconds for the day', r.daySeconds, 's']);
    rows.push(['replay peak RSS, 1 h', r.peakRssMB1h, 'MB']);
    rows.push(['replay peak RSS, 24 h', r.peakRssMB24h, 'MB']);
    out.replay = { eventsPerSec: r.eventsPerSec.median, daySeconds: r.daySeconds.median, peakRssMB1h: r.peakRssMB1h.median, peakRssMB24h: r.peakRssMB24h.median };
  }
  if (want('backtest') && haveReal) {
    log('backtest: full pipeline (GLFT scenario) over the tiled BTCUSDT 1 h and 24 h stores, one child process per run and length ...');
    const { benchBacktest } = await import('./backtest.ts');
    const r = await benchBacktest({ runs: Math.min(runs, 3), log });
    rows.push(['backtest 24 h tile (full pipeline)', r.eventsPerSec, 'events/s']);
    rows.push(['backtest, seconds for the day', r.daySeconds, 's']);
    rows.push(["backtest, run's thread CPU s for the day", r.dayRunThreadSeconds, 's']);
    rows.push(['backtest peak RSS, 1 h', r.peakRssMB1h, 'MB']);
    rows.push(['backtest peak RSS, 24 h', r.peakRssMB24h, 'MB']);
    out.backtest = { eventsPerSec: r.eventsPerSec.median, daySeconds: r.daySeconds.median, dayRunThreadSeconds: r.dayRunThreadSeconds.median, peakRssMB1h: r.peakRssMB1h.median, peakRssMB24h: r.peakRssMB24h.median, shares: r.shares };
    log(`backtest time shares (CPU profile of the 1 h run): ${Object.entries(r.shares).map(([k, v]) => `${k} ${(v * 100).toFixed(1)} %`).join(', ')}`);
  }
  if (want('sweep')) {
    log('sweep: 8 runs of the synthetic quickstart (3 min each), plain worker_threads vs piscina, 1 and 2 workers ...');
    const { benchSweep } = await import('./sweep.ts');
    const r = await benchSweep({ runs: Math.min(runs, 3), log });
    rows.push(['sweep, worker_threads, 1 worker', r.threads1, 'runs/min']);
    rows.push(['sweep, worker_threads, 2 workers', r.threads2, 'runs/min']);
    rows.push(['sweep, piscina, 1 worker', r.piscina1, 'runs/min']);
    rows.push(['sweep, piscina, 2 workers', r.piscina2, 'runs/min']);
    out.sweep = { runsPerMin1: r.threads1.median, runsPerMin2: r.threads2.median, piscinaRunsPerMin1: r.piscina1.median, piscinaRunsPerMin2: r.piscina2.median };
  }
  if (want('sweep-queue')) {
    log('sweep-queue: GLFT on the real BTCUSDT sample, local pool vs BullMQ queue (redis-server on loopback), 1 and 2 workers ...');
    const { benchSweepQueue } = await import('./sweep-queue.ts');
    const r = await benchSweepQueue({ runs: Math.min(runs, 3), log });
    if ('skipped' in r) log(`skipped: sweep-queue benchmark (${r.skipped})`);
    else {
      rows.push(['sweep real sample, local pool, 1 thread (cold)', r.local1, 'runs/min']);
      rows.push(['sweep real sample, local pool, 2 threads (cold)', r.local2, 'runs/min']);
      rows.push(['sweep real sample, local pool, 1 thread (warm)', r.warmLocal1, 'runs/min']);
      rows.push(['sweep real sample, local pool, 2 threads (warm)', r.warmLocal2, 'runs/min']);
      rows.push(['sweep real sample, queue, 1 worker (warm)', r.queue1, 'runs/min']);
      rows.push(['sweep real sample, queue, 2 workers (warm)', r.queue2, 'runs/min']);
      rows.push(['sweep queue CPU (enqueuer + redis-server)', r.queueCpuMsPerRun, 'ms/run']);
      out.sweepQueue = { local1: r.local1.median, local2: r.local2.median, warmLocal1: r.warmLocal1.median, warmLocal2: r.warmLocal2.median, queue1: r.queue1.median, queue2: r.queue2.median, queueVsWarmLocal1: r.queue1.median / r.warmLocal1.median, queueVsWarmLocal2: r.queue2.median / r.warmLocal2.median, queueCpuMsPerRun: r.queueCpuMsPerRun.median, loadAverage: r.loadAverage };
    }
  }
  if (want('exchange')) {
    const soakMin = Number(values['soak-minutes']);
    if (!(soakMin > 0)) throw new Error(`--soak-minutes must be a positive number, got ${values['soak-minutes']}`);
    log(`exchange: maker exchange on loopback (order round trips over REST and ws-fapi, latency, streams to 10 subscribers, ${soakMin} min memory soak) ...`);
    const { benchExchange } = await import('./exchange.ts');
    const r = await benchExchange({ runs: Math.min(runs, 3), soakMs: soakMin * 60_000, log });
    rows.push(['exchange REST order round trips (8 keep-alive conns)', r.restRoundTripsPerSec, 'requests/s']);
    rows.push(['exchange ws-fapi order round trips (8 conns)', r.wsRoundTripsPerSec, 'requests/s']);
    rows.push(['exchange REST round trip p50', r.restP50Ms, 'ms']);
    rows.push(['exchange REST round trip p99', r.restP99Ms, 'ms']);
    rows.push(['exchange ws-fapi round trip p50', r.wsP50Ms, 'ms']);
    rows.push(['exchange ws-fapi round trip p99', r.wsP99Ms, 'ms']);
    rows.push(['exchange stream messages to 10 subscribers', r.streamMessagesPerSec, 'messages/s']);
    const s = r.soak;
    log(`exchange soak (${s.seconds} s, ${s.roundTrips} order round trips, ${s.streamMessages} stream messages): server heap ${s.heapStartMB.toFixed(1)} -> ${s.heapEndMB.toFixed(1)} MB (slope ${s.heapSlopeMBPerMin.toFixed(2)} MB/min), RSS ${s.rssStartMB.toFixed(0)} -> ${s.rssEndMB.toFixed(0)} MB`);
    out.exchange = {
      restRoundTripsPerSec: r.restRoundTripsPerSec.median, wsRoundTripsPerSec: r.wsRoundTripsPerSec.median, restP50Ms: r.restP50Ms.median, restP99Ms: r.restP99Ms.median,
      wsP50Ms: r.wsP50Ms.median, wsP99Ms: r.wsP99Ms.median, streamMessagesPerSec: r.streamMessagesPerSec.median,
      soak: { seconds: s.seconds, heapStartMB: s.heapStartMB, heapEndMB: s.heapEndMB, heapSlopeMBPerMin: s.heapSlopeMBPerMin, rssStartMB: s.rssStartMB, rssEndMB: s.rssEndMB },
    };
  }
  if (want('live')) {
    const minutes = Number(values['live-minutes']);
    if (!(minutes > 0)) throw new Error(`--live-minutes must be a positive number, got ${values['live-minutes']}`);
    log(`live: maker live against maker exchange on loopback (market 10x real time, ${minutes} min; tick-to-order latency, heap) ...`);
    const { benchLive } = await import('./live.ts');
    const r = await benchLive({ seconds: minutes * 60, speed: 10, log });
    const one = (v: number): Stat => ({ min: v, median: v, max: v });
    if (r.tickToOrder !== null) {
      rows.push(['live tick-to-order p50', one(r.tickToOrder.p50), 'ms']);
      rows.push(['live tick-to-order p99', one(r.tickToOrder.p99), 'ms']);
      rows.push(['live tick-to-order max', one(r.tickToOrder.max), 'ms']);
    }
    if (r.reportToCommand !== null) {
      rows.push(['live report-to-command p50', one(r.reportToCommand.p50), 'ms']);
      rows.push(['live report-to-command p99', one(r.reportToCommand.p99), 'ms']);
    }
    log(`live (${r.seconds} s at ${r.speed}x: ${r.marketEvents} market events, ${r.commands} commands, ${r.reports} reports; exit ${r.exitCode}, replay ${r.replayMatched ? 'matched' : 'DIFFERED'}): heap ${r.heapStartMB.toFixed(1)} -> ${r.heapEndMB.toFixed(1)} MB (slope ${r.heapSlopeMBPerMin.toFixed(2)} MB/min)`);
    out.live = r;
  }
  if (want('live-dashboard')) {
    const minutes = Number(values['live-minutes']);
    const { benchLive } = await import('./live.ts');
    const runs2: Record<string, Awaited<ReturnType<typeof benchLive>>> = {};
    for (const [name, clients] of [['none', 0], ['clients10', 10]] as const) {
      log(`live-dashboard: maker live with ${clients} dashboard SSE clients${clients ? ' (2 never reading)' : ''}, ${minutes} min at 10x ...`);
      const r = await benchLive({ seconds: minutes * 60, speed: 10, log: () => {}, dashboardClients: clients, slowClients: clients > 0 ? 2 : 0 });
      runs2[name] = r;
      const one = (v: number): Stat => ({ min: v, median: v, max: v });
      if (r.tickToOrder !== null) for (const q of ['p50', 'p99'] as const) rows.push([`live tick-to-order ${q}, ${clients} dashboard clients`, one(r.tickToOrder[q]), 'ms']);
      log(`  ${r.marketEvents} market events, load ${r.load.start.toFixed(1)} -> ${r.load.end.toFixed(1)} on ${r.load.cpus} CPUs${r.dashboard ? `; SSE ${JSON.stringify(r.dashboard.server)}, ${r.dashboard.framesReceived} frames received` : ''}`);
    }
    out.liveDashboard = runs2;
  }
  out.peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);

  if (values.json) {
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  const w = Math.max(...rows.map((r) => r[0].length), 10);
  console.log(`${'benchmark'.padEnd(w)}  ${'min'.padStart(10)}  ${'median'.padStart(10)}  ${'max'.padStart(10)}  unit   (runs: ${runs})`);
  for (const [name, s, unit] of rows) console.log(`${name.padEnd(w)}  ${fmt(s.min).padStart(10)}  ${fmt(s.median).padStart(10)}  ${fmt(s.max).padStart(10)}  ${unit}`);
  const b = out.book as { vsTardis: number; vsCcxt: number } | undefined;
  if (b) console.log(`book speed-up: ${b.vsTardis.toFixed(1)}x tardis-dev (target >= 10x), ${b.vsCcxt.toFixed(1)}x ccxt (target >= 50x)`);
  // The targets (issues 3, 4 and 9), said outright next to the numbers.
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT MET');
  const dec = out.decision as { nsPerEvent: number; depthOnlyNsPerEvent: number } | undefined;
  if (dec) console.log(`decision: ${dec.nsPerEvent.toFixed(0)} ns per book event median (target < 1 µs: ${verdict(dec.nsPerEvent < 1000)}); ${dec.depthOnlyNsPerEvent.toFixed(0)} ns with the strategy on depth only`);
  const bt = out.backtest as { daySeconds: number; peakRssMB24h: number } | undefined;
  if (bt) {
    console.log(`backtest 24 h: ${bt.daySeconds.toFixed(1)} s median (target <= 30 s: ${verdict(bt.daySeconds <= 30)}), peak RSS ${bt.peakRssMB24h} MB (target <= 1 GB: ${verdict(bt.peakRssMB24h <= 1024)})`);
  }
  console.log(`peak RSS: ${out.peakRssMB} MB`);
}

await main();
