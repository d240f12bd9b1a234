// Import benchmark: parse the raw BTCUSDT 2024-08-08 recording (gzip, 93,954 messages) end to end
// into MarketEvent batches. Standalone: `node --import tsx bench/import.ts [runs]`.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { importSources } from '../src/importers/index.ts';
import { SpecRegistry, loadExchangeInfoFile } from '../src/model/instrument.ts';

const SHARED = join(import.meta.dirname, '..', '..', 'shared');
const FILE = join(SHARED, 'data', 'real', 'hftbacktest', 'usdm', 'btcusdt_20240808.gz');
const EXCHANGE_INFO = join(SHARED, 'data', 'binance-fixtures', 'python-resources', 'http_responses', 'http_futures_market_exchange_info.json');

export async function benchImport(opts: { runs: number }): Promise<{ messagesPerSec: { min: number; median: number; max: number }; messages: number }> {
  const specs = new SpecRegistry();
  specs.addAll(loadExchangeInfoFile(EXCHANGE_INFO));
  const rates: number[] = [];
  let messages = 0;
  // One unmeasured warm-up run so the JIT has compiled the parsers.
  for (let r = -1; r < Math.max(1, opts.runs); r++) {
    const t0 = performance.now();
    const session = importSources([FILE], { specs });
    let n = 0;
    for await (const batch of session.events) n += batch.length;
    const seconds = (performance.now() - t0) / 1000;
    messages = session.stats().files[0].lines;
    if (n !== 93_954) throw new Error(`expected 93,954 events, got ${n}`);
    if (r >= 0) rates.push(messages / seconds);
  }
  rates.sort((a, b) => a - b);
  return { messagesPerSec: { min: rates[0], median: rates[(rates.length - 1) >> 1], max: rates[rates.length - 1] }, messages };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = Number(process.argv[2] ?? 5);
  const r = await benchImport({ runs });
  const f = (x: number) => Math.round(x).toLocaleString('en-US');
  process.stdout.write(`import: ${r.messages} messages; messages/s min ${f(r.messagesPerSec.min)} median ${f(r.messagesPerSec.median)} max ${f(r.messagesPerSec.max)}\n`);
}
