/**
 * Backtest benchmark (issue 4, "Speed and memory"): the full pipeline — store replay, the engine,
 * the simulated exchange, the trading core (GLFT), the run recorder, metrics and the written run
 * directory — over the real BTCUSDT 2024-08-08 sample tiled to 1 h and 24 h
 * (scripts/tile-sample.ts), with the `btcusdt-20240808-glft` scenario pointed at the tile store.
 *
 * Each measurement runs in its own child process, so its peak RSS (`VmHWM`, see `peakRssMB`) belongs to
 * that length alone (peak RSS must not grow with the run length). The children run the code as
 * `maker backtest` does: bench/backtest-child.ts bundled by bin/bundle.js (cached in
 * node_modules/.cache/maker/); the profile child below loads the sources through tsx instead, so
 * that its self time is attributed by source file.
 *
 * Time shares: a child run under the V8 sampling profiler (`--cpu-prof`, 1 h tile) whose self time
 * is attributed by source file: decode/read (src/store, the feed), book (src/book), strategy/decision
 * (src/trader, signal, strategy, risk, oms, portfolio), exchange (src/sim-exchange),
 * engine+report (src/backtest engine, recorder, hasher, the Parquet writer of the recorder), GC,
 * startup (module loading and TypeScript transpiling; excluded from the total the other shares
 * sum to, and given relative to it) and the rest (Node internals, crypto). The profiler slows the run a little; the shares are
 * what it is good for, not the absolute time.
 *
 *   node --import tsx bench/backtest.ts [runs]                    # 1 h and 24 h, runs each (default 3)
 *   node --import tsx bench/backtest-child.ts <store> [--no-out]   # one measurement, prints JSON
 *   node --import tsx bench/backtest.ts --shares                   # time shares only (1 h tile)
 *
 * The store is decoded as a backtest decodes it (store/decode-thread.ts, `auto` by default: in a
 * worker thread from 2 M rows, so for the 24 h tile and not the 1 h one); `MAKER_DECODE_THREAD=main`
 * or `worker` in the environment chooses for every child (the hashes are the same). The recorder's
 * fills / orders tables are encoded as a backtest encodes them (backtest/report/encode-thread.ts,
 * `auto` by default: in a worker thread from 4 M events, so the 24 h tile only);
 * `MAKER_ENCODE_THREAD=main` keeps them in the run's thread (the files are the same bytes).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cachedBundle } from '../bin/bundle.js';
import { ensureTile } from '../scripts/tile-sample.ts';
import { peakRssMB } from './rss.ts';
import { mainThreadCpuSeconds } from './thread-cpu.ts';

export interface Stat {
  min: number;
  median: number;
  max: number;
}

const ROOT = join(import.meta.dirname, '..');
const SCENARIO = join(ROOT, 'scenarios', 'btcusdt-20240808-glft.yaml');

interface ChildResult {
  /** Wall seconds of the run (backtest + writing the run directory). */
  seconds: number;
  /** CPU seconds (user + system, all threads) of the same. */
  cpuSeconds: number;
  /** CPU seconds of the run's own thread (the main thread; NaN off Linux): what bounds the wall time, less moved by the machine's load. */
  runThreadCpuSeconds: number;
  /** Seconds spent writing the run directory (included in `seconds`). */
  writeSeconds: number;
  events: number;
  commands: number;
  fills: number;
  spanUs: number;
  peakRssMB: number;
  hash: string;
  /** Where the store was decoded: MAKER_DECODE_THREAD of the run (store/decode-thread.ts; auto when unset) and the thread it chose for the run's rows. */
  decodeThread: string;
  /** Whether the recorder encoded its tables in a worker (MAKER_ENCODE_THREAD, `auto` when unset: from 4 M events, so the 24 h tile only). */
  encodeThread: boolean;
}

export async function measure(store: string, writeOut: boolean): Promise<ChildResult> {
  const { loadScenarioFile } = await import('../src/scenario/index.ts');
  const { backtest } = await import('../src/backtest/index.ts');
  const { writeRunOutputs } = await import('../src/backtest/report/index.ts');
  const { resolvedScenario } = await import('../src/cli/commands/backtest.ts');
  const { decodeThreadFromEnv, useDecodeWorker } = await import('../src/store/index.ts');
  const mode = decodeThreadFromEnv();
  const scenario = loadScenarioFile(SCENARIO, { set: [`data.store=${store}`] });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const thread0 = mainThreadCpuSeconds();
  const outcome = await backtest(scenario, () => 'bench');
  const t1 = performance.now();
  if (writeOut) {
    const dir = join(mkdtempSync(join(tmpdir(), 'maker-bench-bt-')), 'run');
    writeRunOutputs(dir, outcome.result.parts.recorder, { info: outcome.info, scenario: resolvedScenario(scenario), metrics: outcome.metrics, eventCount: outcome.result.eventLogEvents });
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const thread = mainThreadCpuSeconds() - thread0;
  const st = outcome.result.stats;
  return {
    seconds: (t2 - t0) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    runThreadCpuSeconds: thread,
    writeSeconds: (t2 - t1) / 1000,
    events: st.marketEvents,
    commands: st.commandsSent,
    fills: outcome.metrics.trading.fills,
    spanUs: st.lastUs - st.firstUs,
    peakRssMB: peakRssMB(),
    hash: outcome.result.eventLogHash,
    decodeThread: `${mode} (${useDecodeWorker(mode, st.marketEvents) ? 'worker' : 'main'})`,
    encodeThread: outcome.result.parts.recorder.encodeThreadStarted,
  };
}

/**
 * How a measurement child runs: `bundle` is the cached bundle of bench/backtest-child.ts (built
 * with `maker`'s own bundler, bin/bundle.js: the code as `maker backtest` runs it), null to load the
 * sources through tsx (the profile child, whose self time is attributed by source file).
 */
function runChild(store: string, bundle: string | null, extraNodeArgs: string[] = []): ChildResult {
  const entry = bundle === null ? ['--import', 'tsx', join(import.meta.dirname, 'backtest-child.ts')] : [bundle];
  const out = execFileSync(process.execPath, [...extraNodeArgs, ...entry, store], { encoding: 'utf8', maxBuffer: 1 << 20, cwd: ROOT });
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

/** The measurement children's bundle (see `runChild`), or null where it cannot be built (then tsx, said in the log). */
async function childBundle(log: (s: string) => void): Promise<string | null> {
  try {
    return (await cachedBundle({ entry: 'bench/backtest-child.ts', name: 'bench-backtest' })).path;
  } catch (e) {
    log(`backtest: no bundle (${(e as Error).message.split('\n')[0]}); the children load the sources through tsx`);
    return null;
  }
}

function statOf(xs: number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[(s.length - 1) >> 1], max: s[s.length - 1] };
}

/** Where the self time of a CPU profile went, as fractions summing to 1. */
export type TimeShares = Record<'decode' | 'book' | 'strategy' | 'exchange' | 'engineReport' | 'gc' | 'startup' | 'other', number>;

function categoryOf(url: string, fn: string): keyof TimeShares {
  if (fn === '(garbage collector)') return 'gc';
  if (url.includes('hyparquet-writer')) return 'engineReport';
  if (url.includes('/src/store/') || url.includes('/src/backtest/feed.ts') || url.includes('hysnappy') || url.includes('hyparquet') || url.startsWith('wasm://')) return 'decode';
  if (url.startsWith('node:internal/modules') || url.includes('/tsx/') || url.includes('esbuild')) return 'startup';
  if (url.includes('/src/book/')) return 'book';
  if (url.includes('/src/sim-exchange/')) return 'exchange';
  if (/\/src\/(trader|signal|strategy|risk|oms|portfolio)\//.test(url)) return 'strategy';
  if (url.includes('/src/backtest/') || url.includes('/src/model/')) return 'engineReport';
  return 'other';
}

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
}

/** Self-time shares of `.cpuprofile` files by category (several files: the threads of one run, summed). */
export function sharesOfProfile(files: string | string[]): { shares: TimeShares; topFunctions: { name: string; share: number }[] } {
  const shares: TimeShares = { decode: 0, book: 0, strategy: 0, exchange: 0, engineReport: 0, gc: 0, startup: 0, other: 0 };
  const perFn = new Map<string, number>();
  let total = 0;
  for (const file of typeof files === 'string' ? [files] : files) {
    const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
    const byId = new Map<number, ProfileNode>();
    for (const n of p.nodes) byId.set(n.id, n);
    for (let i = 0; i < p.samples.length; i++) {
      const n = byId.get(p.samples[i])!;
      const dt = p.timeDeltas[i] ?? 0;
      const fn = n.callFrame.functionName;
      if (fn === '(idle)' || fn === '(program)' || fn === '(root)') continue;
      const cat = categoryOf(n.callFrame.url, fn);
      shares[cat] += dt;
      if (cat === 'startup') continue;
      total += dt;
      const key = `${fn || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(src|node_modules)\//, '$1/')}`;
      perFn.set(key, (perFn.get(key) ?? 0) + dt);
    }
  }
  // Shares of the run itself: startup (module loading) is reported relative to the run too, but
  // is not part of the total the other shares sum to.
  for (const k of Object.keys(shares) as (keyof TimeShares)[]) shares[k] /= total;
  const topFunctions = [...perFn.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([name, t]) => ({ name, share: t / total }));
  return { shares, topFunctions };
}

/** One profiled 1 h run; returns the time shares (all threads: the store's decode thread writes its own profile). */
export function profileShares(store: string): ReturnType<typeof sharesOfProfile> {
  const dir = mkdtempSync(join(tmpdir(), 'maker-bench-prof-'));
  try {
    runChild(store, null, ['--cpu-prof', '--cpu-prof-dir', dir]);
    return sharesOfProfile(readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface BacktestBenchResult {
  /** Market events per wall second, 24 h tile. */
  eventsPerSec: Stat;
  /** Wall seconds for the 24 h tile (scaled to exactly 24 h of data). */
  daySeconds: Stat;
  dayCpuSeconds: Stat;
  /** CPU seconds of the run's own thread for the 24 h tile (scaled to 24 h; NaN off Linux). */
  dayRunThreadSeconds: Stat;
  hourSeconds: Stat;
  peakRssMB1h: Stat;
  peakRssMB24h: Stat;
  events24h: number;
  fills24h: number;
  shares: TimeShares;
  topFunctions: { name: string; share: number }[];
  /** False when only the 1 h tile was measured (`hours24: false`). */
  measured24h: boolean;
}

export async function benchBacktest(opts: { runs: number; log?: (s: string) => void; hours24?: boolean; shares?: boolean }): Promise<BacktestBenchResult> {
  const log = opts.log ?? (() => {});
  const root1 = await ensureTile(1, undefined, log);
  const with24 = opts.hours24 ?? true;
  const root24 = with24 ? await ensureTile(24, undefined, log) : root1;
  const bundle = await childBundle(log);
  const r1: ChildResult[] = [];
  const r24: ChildResult[] = [];
  for (let r = 0; r < Math.max(1, opts.runs); r++) {
    r1.push(runChild(root1, bundle));
    if (with24) r24.push(runChild(root24, bundle));
    const a = r1[r];
    const b = r24[r];
    log(`backtest run ${r + 1}: 1 h ${a.seconds.toFixed(2)} s (${a.cpuSeconds.toFixed(2)} s CPU, ${a.events} events, ${a.fills} fills) / ${a.peakRssMB} MB` + (b ? `; 24 h ${b.seconds.toFixed(2)} s (${b.cpuSeconds.toFixed(2)} s CPU, run's thread ${b.runThreadCpuSeconds.toFixed(2)} s, ${b.events} events, ${b.fills} fills) / ${b.peakRssMB} MB, decoding: ${b.decodeThread}, encoding: ${b.encodeThread ? 'worker' : 'main'}` : ''));
  }
  const long = with24 ? r24 : r1;
  const { shares, topFunctions } = opts.shares === false ? { shares: { decode: NaN, book: NaN, strategy: NaN, exchange: NaN, engineReport: NaN, gc: NaN, startup: NaN, other: NaN }, topFunctions: [] } : profileShares(root1);
  return {
    eventsPerSec: statOf(long.map((x) => x.events / x.seconds)),
    daySeconds: statOf(long.map((x) => (x.seconds * 86_400_000_000) / x.spanUs)),
    dayCpuSeconds: statOf(long.map((x) => (x.cpuSeconds * 86_400_000_000) / x.spanUs)),
    dayRunThreadSeconds: statOf(long.map((x) => (x.runThreadCpuSeconds * 86_400_000_000) / x.spanUs)),
    hourSeconds: statOf(r1.map((x) => x.seconds)),
    peakRssMB1h: statOf(r1.map((x) => x.peakRssMB)),
    peakRssMB24h: statOf(long.map((x) => x.peakRssMB)),
    events24h: long[0].events,
    fills24h: long[0].fills,
    shares,
    topFunctions,
    measured24h: with24,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  if (args[0] === '--shares') {
    const r = profileShares(await ensureTile(1));
    console.log(JSON.stringify(r, null, 2));
  } else {
    const runs = Number(args[0] ?? 3);
    const r = await benchBacktest({ runs, log: (s) => process.stderr.write(`${s}\n`), hours24: !args.includes('--1h') });
    const f = (s: Stat, d = 0) => `min ${s.min.toFixed(d)} median ${s.median.toFixed(d)} max ${s.max.toFixed(d)}`;
    console.log(`backtest ${r.measured24h ? '24 h' : '1 h (24 h not measured)'} tile: ${r.events24h} events, ${r.fills24h} fills; runs: ${runs}`);
    console.log(`events/s     ${f(r.eventsPerSec)}`);
    console.log(`1 h seconds  ${f(r.hourSeconds, 2)}`);
    console.log(`day seconds  ${f(r.daySeconds, 2)}; CPU ${f(r.dayCpuSeconds, 2)}; run's thread CPU ${f(r.dayRunThreadSeconds, 2)}`);
    console.log(`peak RSS MB  1 h: ${f(r.peakRssMB1h)}; 24 h: ${f(r.peakRssMB24h)}`);
    console.log(`time shares  ${Object.entries(r.shares).map(([k, v]) => `${k} ${(v * 100).toFixed(1)} %`).join(', ')}`);
    for (const t of r.topFunctions) console.log(`  ${(t.share * 100).toFixed(1).padStart(5)} %  ${t.name}`);
  }
}
