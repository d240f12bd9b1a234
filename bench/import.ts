// Import benchmark: parse the raw BTCUSDT 2024-08-08 recording (gzip, 93,954 messages) end to end
// into MarketEvent batches. Standalone: `node --import tsx bench/import.ts [runs] [--json-only]`
// (--json-only: the general JSON.parse path for every line, for comparison).
import { pathToFileURL } from 'node:url';
import { importSources } from '../src/importers/index.ts';
import { HBT_BTC, realSpecs } from '../scripts/shared-data.ts';

export interface ImportBenchResult {
  /** Messages per wall-clock second (what a user sees; inflated by other load on the machine). */
  messagesPerSec: { min: number; median: number; max: number };
  /** Messages per second of this process's CPU time (user + system), less sensitive to a shared machine. */
  messagesPerCpuSec: { min: number; median: number; max: number };
  messages: number;
}

function stat(xs: number[]): { min: number; median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[(s.length - 1) >> 1], max: s[s.length - 1] };
}

export async function benchImport(opts: { runs: number; fastPaths?: boolean }): Promise<ImportBenchResult> {
  const specs = realSpecs();
  const rates: number[] = [];
  const cpuRates: number[] = [];
  let messages = 0;
  // One unmeasured warm-up run so the JIT has compiled the parsers.
  for (let r = -1; r < Math.max(1, opts.runs); r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const session = importSources([HBT_BTC], { specs, fastPaths: opts.fastPaths });
    let n = 0;
    for await (const batch of session.events) n += batch.length;
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    messages = session.stats().files[0].lines;
    if (n !== 93_954) throw new Error(`expected 93,954 events, got ${n}`);
    if (r >= 0) {
      rates.push(messages / seconds);
      cpuRates.push(messages / ((cpu.user + cpu.system) / 1e6));
    }
  }
  return { messagesPerSec: stat(rates), messagesPerCpuSec: stat(cpuRates), messages };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = Number(process.argv[2] ?? 5);
  const fastPaths = !process.argv.includes('--json-only');
  const r = await benchImport({ runs, fastPaths });
  const f = (x: number) => Math.round(x).toLocaleString('en-US');
  const g = (s: { min: number; median: number; max: number }) => `min ${f(s.min)} median ${f(s.median)} max ${f(s.max)}`;
  process.stdout.write(`import${fastPaths ? '' : ' (--json-only)'}: ${r.messages} messages, ${runs} runs; messages/s wall ${g(r.messagesPerSec)}; per CPU second ${g(r.messagesPerCpuSec)}\n`);
}
