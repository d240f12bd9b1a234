/**
 * Replay benchmark: read-only replay of the tiled BTCUSDT stores (scripts/tile-sample.ts, 1 h and
 * 24 h) through `readEvents` + `ColumnarBatch` (the store's one decoder, as the backtest reads it),
 * touching every event's type and stamps and, through `flatDepthAt`, every level of every depth
 * event and snapshot (checksums, so nothing is optimised away). Until the decoders were unified
 * this walked the same rows with `ReplayCursor`, doing the same reads, so figures from before are
 * comparable; `checksum` is unchanged. Each measurement runs in its own child process, so its peak
 * RSS (`VmHWM`, bench/rss.ts) belongs to that length alone.
 *
 *   node --import tsx bench/replay.ts [runs]          # builds the tiles on first use (minutes)
 *   node --import tsx bench/replay.ts --child <root>  # one measurement, prints JSON
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FlatDepthDiff } from '../src/model/events.ts';
import { ColumnarBatch, readEvents } from '../src/store/index.ts';
import { TILE_SYMBOL, TILE_VENUE, ensureTile } from '../scripts/tile-sample.ts';
import { peakRssMB } from './rss.ts';

export interface Stat {
  min: number;
  median: number;
  max: number;
}

interface ChildResult {
  seconds: number;
  /** CPU time (user + system) of the replay itself, less sensitive to other load on the machine. */
  cpuSeconds: number;
  events: number;
  levels: number;
  spanUs: number;
  peakRssMB: number;
  /** Over every depth level. */
  checksum: number;
  /** Over every event's exchange stamp. */
  stampChecksum: number;
}

async function measure(root: string): Promise<ChildResult> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const d: FlatDepthDiff = { tsExchangeUs: 0, firstUpdateId: 0, finalUpdateId: 0, prevFinalUpdateId: 0, bidTicks: EMPTY, bidLots: EMPTY, bidStart: 0, bidEnd: 0, askTicks: EMPTY, askLots: EMPTY, askStart: 0, askEnd: 0 };
  let events = 0;
  let levels = 0;
  let checksum = 0;
  let stampChecksum = 0;
  let first = NaN;
  let last = NaN;
  for await (const batch of readEvents(root, { venue: TILE_VENUE, symbol: TILE_SYMBOL })) {
    const b = new ColumnarBatch(batch);
    for (let k = 0; k < b.length; k++) {
      events++;
      const rx = b.tsReceiveUsAt(k);
      if (first !== first) first = rx;
      last = rx;
      stampChecksum = (stampChecksum ^ b.tsExchangeUsAt(k)) | 0;
      const type = b.typeAt(k);
      if (type === 'depth' || type === 'snapshot') {
        b.flatDepthAt(k, d);
        // 32-bit integer checksum: touches every level at the cost of a few integer operations (a
        // float modulo per level used to cost ~15 % of the measured time).
        for (let i = d.bidStart; i < d.bidEnd; i++) checksum = (Math.imul(checksum, 31) + d.bidTicks[i] + d.bidLots[i]) | 0;
        for (let i = d.askStart; i < d.askEnd; i++) checksum = (Math.imul(checksum, 31) + d.askTicks[i] + d.askLots[i]) | 0;
        levels += d.bidEnd - d.bidStart + d.askEnd - d.askStart;
      }
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, events, levels, spanUs: last - first, peakRssMB: peakRssMB(), checksum, stampChecksum };
}

const EMPTY = new Float64Array(0);

function runChild(root: string): ChildResult {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'replay.ts'), '--child', root], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

function statOf(xs: number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[(s.length - 1) >> 1], max: s[s.length - 1] };
}

export interface ReplayBenchResult {
  eventsPerSec: Stat;
  levelsPerSec: Stat;
  /** Seconds to replay 24 h (measured on the 24 h tile). */
  daySeconds: Stat;
  /** CPU seconds to replay 24 h. */
  dayCpuSeconds: Stat;
  /** Seconds and CPU seconds to replay the 1 h tile. */
  hourSeconds: Stat;
  hourCpuSeconds: Stat;
  peakRssMB1h: Stat;
  peakRssMB24h: Stat;
  events24h: number;
  levels24h: number;
}

export async function benchReplay(opts: { runs: number; log?: (s: string) => void }): Promise<ReplayBenchResult> {
  const log = opts.log ?? (() => {});
  const root1 = await ensureTile(1, undefined, log);
  const root24 = await ensureTile(24, undefined, log);
  const r1: ChildResult[] = [];
  const r24: ChildResult[] = [];
  for (let r = 0; r < Math.max(1, opts.runs); r++) {
    r1.push(runChild(root1));
    r24.push(runChild(root24));
    log(`replay run ${r + 1}: 1 h ${r1[r].seconds.toFixed(2)} s (${r1[r].cpuSeconds.toFixed(2)} s CPU) / ${r1[r].peakRssMB} MB; 24 h ${r24[r].seconds.toFixed(2)} s (${r24[r].cpuSeconds.toFixed(2)} s CPU) / ${r24[r].peakRssMB} MB`);
  }
  const day = r24.map((x) => (x.seconds * 86_400_000_000) / x.spanUs);
  const dayCpu = r24.map((x) => (x.cpuSeconds * 86_400_000_000) / x.spanUs);
  return {
    eventsPerSec: statOf(r24.map((x) => x.events / x.seconds)),
    levelsPerSec: statOf(r24.map((x) => x.levels / x.seconds)),
    daySeconds: statOf(day),
    dayCpuSeconds: statOf(dayCpu),
    hourSeconds: statOf(r1.map((x) => x.seconds)),
    hourCpuSeconds: statOf(r1.map((x) => x.cpuSeconds)),
    peakRssMB1h: statOf(r1.map((x) => x.peakRssMB)),
    peakRssMB24h: statOf(r24.map((x) => x.peakRssMB)),
    events24h: r24[0].events,
    levels24h: r24[0].levels,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--child') {
    console.log(JSON.stringify(await measure(process.argv[3])));
  } else {
    const runs = Number(process.argv[2] ?? 3);
    const r = await benchReplay({ runs, log: (s) => process.stderr.write(`${s}\n`) });
    const f = (s: Stat, d = 0) => `min ${s.min.toFixed(d)} median ${s.median.toFixed(d)} max ${s.max.toFixed(d)}`;
    console.log(`replay 24 h tile: ${r.events24h} events, ${r.levels24h} depth levels; runs: ${runs}`);
    console.log(`events/s     ${f(r.eventsPerSec)}`);
    console.log(`levels/s     ${f(r.levelsPerSec)}`);
    console.log(`1 h seconds  ${f(r.hourSeconds, 2)}; CPU ${f(r.hourCpuSeconds, 2)}`);
    console.log(`day seconds  ${f(r.daySeconds, 2)}; CPU ${f(r.dayCpuSeconds, 2)}`);
    console.log(`peak RSS MB  1 h: ${f(r.peakRssMB1h)}; 24 h: ${f(r.peakRssMB24h)}`);
  }
}
