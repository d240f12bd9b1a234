/**
 * `maker data check` and `maker data synth`.
 *
 * check: replays raw recordings or the store through the Binance book sync and reports, per symbol,
 * gaps, resyncs, crossed books, trade-id gaps and the bookTicker oracle. Exit status 0 when clean,
 * 1 when it found gaps / crossings / mismatches, 2 on unusable input.
 * synth: writes the seeded synthetic market as a raw recording (the hftbacktest collector layout) to
 * a new file: `--out` must not exist (nothing is ever replaced), is checked for writability before
 * the market is generated, and appears only complete; a failure, SIGINT or SIGTERM leaves no partial file behind
 * (`writeRecordingFile` in src/synthetic/recording.ts). `--seed` is strict (digits only).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { ConfigError, InputError } from '../../core/errors.ts';
import { FORMAT_IDS } from '../../importers/index.ts';
import type { FormatId } from '../../importers/index.ts';
import { DataChecker, isClean, type CheckReport } from '../../marketdata/index.ts';
import { Instrument } from '../../model/instrument.ts';
import { eventsFromBatch, inspectStore, openStore, partitionDir, readEvents, readMeta } from '../../store/index.ts';
import { DEFAULT_SYNTHETIC, generateSynthetic, syntheticInstrument, syntheticRecordingChunks, writeRecordingFile } from '../../synthetic/index.ts';
import { formatUs } from '../../core/clock.ts';
import { fundingFilePath, readVisionFundingRate, writeFundingHistory } from '../../importers/index.ts';
import { parseSeedOption } from '../options.ts';
import { assertNewOutputFile } from '../output-check.ts';
import { Progress } from '../progress.ts';
import { collect, formatWarning, openSources } from '../specs.ts';

interface CheckCliOptions {
  json: boolean;
  spec: string[];
  inferSpec: boolean;
  format?: FormatId;
  symbol?: string;
  venue?: string;
  synthetic: boolean;
  seed: string;
  durationS: string;
  quiet: boolean;
}

/** A directory is a store when it holds `<venue>/<SYMBOL>/<YYYY-MM-DD>/meta.json`. */
export function isStoreDir(path: string): boolean {
  if (!existsSync(path) || !statSync(path).isDirectory()) return false;
  for (const venue of readdirSync(path)) {
    const vdir = `${path}/${venue}`;
    if (venue.startsWith('.') || !statSync(vdir).isDirectory()) continue;
    for (const sym of readdirSync(vdir)) {
      const sdir = `${vdir}/${sym}`;
      if (!statSync(sdir).isDirectory()) continue;
      if (readdirSync(sdir).some((d) => /^\d{4}-\d{2}-\d{2}$/.test(d) && existsSync(`${sdir}/${d}/meta.json`))) return true;
    }
  }
  return false;
}

function positiveNumber(v: string, key: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`must be a positive number, got "${v}"`, { field: key });
  return n;
}

export function registerData(program: Command): void {
  const data = program.command('data').summary('check and generate market data, import funding history').description('Market-data utilities: check a recording or the store, write a synthetic recording, import a funding-rate history into the store.');

  data
    .command('check')
    .summary('replay data through the book sync and report gaps, crossings and bookTicker mismatches')
    .description(
      'Replays raw recordings (any format `maker import` reads) or a store directory through the Binance ' +
        'book sync and reports per symbol: depth events, sequence gaps, resyncs, crossed books, trades, ' +
        'trade-id gaps, liquidation orders (forceOrder: counted), the bookTicker oracle (bookTickers whose u equals a depth event\'s final u must show ' +
        'the replayed best bid/ask exactly: total / checked / matched), the fused book against every bookTicker ' +
        '(share of bookTickers whose best bid/ask the depth book alone and the fused book show, fused mismatches) and ' +
        'the depth-vs-bookTicker lag (median / p99 of the receive time from a bookTicker ahead of the depth book to the ' +
        'first depth event reaching its update id), first/last exchange time, the median ' +
        'receive-minus-exchange clock offset and the final book.\n\n' +
        'Messages of streams maker does not map are skipped and counted (skippedStreams).\n\n' +
        'A store is first checked file by file against the SHA-256, size and row count its partitions\' ' +
        'meta.json recorded: a damaged file is named (exit 1) and its partition not replayed; files a killed ' +
        'import left behind are listed as leftovers (ignored by readers, removed by the next import). A store ' +
        'written by `maker record` also lists its sessions and marked gaps per partition (meta.json recording); ' +
        'a depth or trade-id gap the recorder marked, and bookTickers inside a marked stretch, are set aside ' +
        '(known, not damage); a gap it did not mark still fails the check.\n\n' +
        'Raw inputs are inventoried, not judged at the first fault: every line that does not parse and a file ' +
        'cut short are listed with file:line and kind (damage), every sequence gap with its exchange time and ' +
        'update ids (gapList; the first 100 per symbol, the rest counted).\n\n' +
        'Exit status: 0 clean, 1 damaged input or store files / gaps / crossings / mismatches found or a book that never synced, 2 unusable input.',
    )
    .argument('[inputs...]', 'recordings, CSV files, directories, or a store directory')
    .option('--json', 'print the report as one JSON object on stdout', false)
    .option('--spec <file>', 'Binance exchangeInfo JSON with the instruments (repeatable; raw inputs only)', collect, [])
    .option('--infer-spec', 'infer tick and step of symbols without a spec from the data', false)
    .addOption(new Option('--format <id>', 'force the input format instead of detecting it').choices(FORMAT_IDS))
    .option('--symbol <SYMBOL>', 'raw inputs: symbol for inputs that do not name it; store: check only this symbol')
    .option('--venue <name>', 'store: check only this venue')
    .option('--synthetic', 'check the embedded seeded synthetic market instead of inputs', false)
    .option('--seed <n>', 'seed of the synthetic market', '1')
    .option('--duration-s <seconds>', 'length of the synthetic market in seconds', '60')
    .option('-q, --quiet', 'no progress output', false)
    .addHelpText('after', '\nExamples:\n  maker data check --synthetic\n  maker data check btcusdt_20240808.gz --spec exchangeInfo.json\n  maker data check data/store --json')
    .action(async (inputs: string[], opts: CheckCliOptions, cmd: Command) => {
      const report = await runCheck(inputs, opts);
      if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else process.stdout.write(formatReport(report));
      setExit(cmd, isClean(report) ? 0 : 1);
    });

  data
    .command('synth')
    .summary('write the seeded synthetic market as a raw recording')
    .description(
      'Writes the embedded synthetic BTCUSDT-like market as a raw Binance WebSocket recording\n(`<receive ns> <json>` lines, gzip when the name ends in .gz), the layout `maker import` reads.\n\n' +
        'Output: --out must not exist (an existing file is never replaced; remove it yourself); missing parent ' +
        'directories are created. The location is checked for writability before writing; the file appears only ' +
        'when complete, and a failure (e.g. a full disk) or SIGINT / SIGTERM leaves nothing behind.\n\n' +
        'Exit status: 0 written, 2 bad option or unusable output location, 130 / 143 stopped by SIGINT / SIGTERM.',
    )
    .requiredOption('-o, --out <file>', 'output file, new (.gz for gzip)')
    .option('--seed <n>', 'seed (a non-negative integer)', '1')
    .option('--duration-s <seconds>', 'length in seconds', '60')
    .option('--symbol <SYMBOL>', 'symbol', 'BTCUSDT')
    .action(async (opts: { out: string; seed: string; durationS: string; symbol: string }) => {
      const seed = parseSeedOption(opts.seed, '--seed')!;
      const inst = syntheticInstrument(opts.symbol.toUpperCase());
      const cfg = { ...DEFAULT_SYNTHETIC, symbol: inst.symbol, seed, durationS: positiveNumber(opts.durationS, '--duration-s') };
      assertNewOutputFile(opts.out, '--out');
      // SIGINT / SIGTERM stop the write so that its partial file is removed (the default action would kill the process and leave it).
      const stop = new AbortController();
      const onInt = (): void => stop.abort('SIGINT');
      const onTerm = (): void => stop.abort('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      try {
        await writeRecordingFile(opts.out, syntheticRecordingChunks(cfg, inst), { gzip: opts.out.endsWith('.gz'), signal: stop.signal });
      } finally {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      }
      process.stdout.write(`wrote ${opts.out} (${cfg.durationS} s of synthetic ${inst.symbol}, seed ${seed})\n`);
    });

  data
    .command('import')
    .summary('import a funding-rate history (data.binance.vision fundingRate) into the store')
    .description(
      'Reads data.binance.vision fundingRate files (SYMBOL-fundingRate-YYYY-MM.csv or .zip: calc_time, ' +
        'funding_interval_hours, last_funding_rate) and merges them into the store\'s side table ' +
        '<out>/<venue>/<SYMBOL>/funding-rate.csv (not market data: the event schema, the store format and the ' +
        'span of a run stay as they are). A backtest with execution.funding.mode: data settles each record at its ' +
        'time and rate, at the mark price or the book mid, when the data has no markPrice stream for that time.\n\n' +
        'Exit status: 0 written, 2 unreadable or unrecognised input.',
    )
    .argument('<files...>', 'fundingRate files')
    .requiredOption('-o, --out <dir>', 'store directory')
    .option('--venue <name>', 'venue directory in the store', 'binance-usdm')
    .option('--symbol <SYMBOL>', 'symbol, when the file name does not say it')
    .action(async (files: string[], opts: { out: string; venue: string; symbol?: string }) => {
      for (const f of files) {
        const { symbol, records } = await readVisionFundingRate(f, opts.symbol);
        const rows = writeFundingHistory(opts.out, opts.venue, symbol, records);
        process.stdout.write(`${f}: ${records.length} funding record(s) of ${symbol} → ${fundingFilePath(opts.out, opts.venue, symbol)} (${rows} in all)\n`);
      }
    });
}

/** Damage records listed in a check report; beyond this only counted. */
const MAX_DAMAGE_IN_REPORT = 200;

function setExit(cmd: Command, code: number): void {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  (root as Command & { exitStatus?: number }).exitStatus = code;
}

export async function runCheck(inputs: string[], opts: CheckCliOptions): Promise<CheckReport> {
  const progress = new Progress({ label: 'check', unit: 'bytes', quiet: opts.quiet || opts.json });
  if (opts.synthetic) {
    if (inputs.length > 0) throw new ConfigError('give either inputs or --synthetic, not both', { field: '--synthetic' });
    const inst = syntheticInstrument();
    const checker = new DataChecker(() => inst);
    const cfg = { ...DEFAULT_SYNTHETIC, seed: parseSeedOption(opts.seed, '--seed')!, durationS: positiveNumber(opts.durationS, '--duration-s') };
    for (const batch of generateSynthetic(cfg, inst)) checker.onBatch(batch);
    return checker.report();
  }
  if (inputs.length === 0) throw new ConfigError('no inputs: give files, directories or a store directory, or --synthetic', { field: 'inputs' });
  for (const p of inputs) if (!existsSync(p)) throw new InputError('no such file or directory', { file: p });

  if (inputs.length === 1 && isStoreDir(inputs[0])) {
    const root = inputs[0];
    const store = await openStore(root);
    // First the files against their recorded hashes; partitions with a damaged file are not replayed.
    const integrity = await inspectStore(root, { venue: opts.venue, symbol: opts.symbol?.toUpperCase() });
    const damagedDates = new Set(integrity.damaged.map((c) => `${c.venue}/${c.symbol}/${c.date}`));
    const reports: CheckReport = { symbols: {}, skippedStreams: {}, store: integrity };
    for (const venue of store.venues()) {
      if (opts.venue && venue !== opts.venue) continue;
      for (const symbol of store.symbols(venue)) {
        if (opts.symbol && symbol !== opts.symbol.toUpperCase()) continue;
        const dates = store.dates(venue, symbol).filter((d) => !damagedDates.has(`${venue}/${symbol}/${d}`));
        if (dates.length === 0) continue;
        const inst = new Instrument(store.spec(venue, symbol, dates[0]));
        const checker = new DataChecker(() => inst);
        // A recorder's store: its sessions and marked gaps (known stretches, not damage).
        const recorded = dates.flatMap((date) => {
          const rec = readMeta(partitionDir(root, venue, symbol, date))?.recording;
          return rec === undefined ? [] : [{ date, sessions: rec.sessions, gaps: rec.gaps }];
        });
        if (recorded.length > 0) checker.markRecording(symbol, recorded);
        for await (const batch of readEvents(root, { venue, symbol, dates })) checker.onBatch(eventsFromBatch(batch));
        Object.assign(reports.symbols, checker.report().symbols);
      }
    }
    if (Object.keys(reports.symbols).length === 0 && integrity.damaged.length === 0) throw new InputError('the store holds no data for the selection', { file: root });
    return reports;
  }

  // Inventory, not verdict: read past every bad line and a file cut short, and list them all.
  const { session, instrumentOf } = openSources(inputs, { ...opts, skipBadLines: true }, progress, (w) => {
    if (w.code !== 'W_DAMAGE') process.stderr.write(formatWarning(w));
  });
  const checker = new DataChecker(instrumentOf);
  try {
    for await (const batch of session.events) checker.onBatch(batch);
  } finally {
    progress.done();
  }
  if (session.stats().events === 0) throw new InputError('the inputs hold no market events', { file: inputs.join(', '), });
  const report = checker.report();
  const stats = session.stats();
  report.skippedStreams = stats.skippedStreams;
  if (stats.damageCount > 0) report.damage = { count: stats.damageCount, list: stats.damage.slice(0, MAX_DAMAGE_IN_REPORT) };
  return report;
}

export function formatReport(report: CheckReport): string {
  const out: string[] = [];
  for (const [sym, s] of Object.entries(report.symbols)) {
    const bt = s.bookTicker;
    const ok = (bad: boolean) => (bad ? '  <-- problem' : '');
    out.push(`${sym}`);
    out.push(`  time            ${s.firstTsUs === null ? '-' : formatUs(s.firstTsUs)} .. ${s.lastTsUs === null ? '-' : formatUs(s.lastTsUs)}`);
    out.push(`  depth events    ${s.depthEvents.toLocaleString('en-US')} (snapshots ${s.snapshots})`);
    out.push(`  gaps            ${s.gaps}${ok(s.gaps > 0)}`);
    for (const g of s.gapList) out.push(`    gap at ${formatUs(g.tsUs)}: expected to follow u=${g.prevU}, diff has pu=${g.pu} U=${g.U} u=${g.u}`);
    if (s.gaps > s.gapList.length) out.push(`    ... and ${s.gaps - s.gapList.length} more`);
    const rc = s.recording;
    if (rc !== undefined) {
      const nS = rc.partitions.reduce((n, p) => n + p.sessions.length, 0);
      const nG = rc.partitions.reduce((n, p) => n + p.gaps.length, 0);
      out.push(`  recorded        ${nS} session(s), ${nG} marked gap(s): known stretches the recorder did not hear, set aside (depth gaps ${rc.markedDepthGaps}, trade-id gaps ${rc.markedTradeIdGaps}, bookTickers not checked ${rc.bookTickersInMarked})`);
      for (const p of rc.partitions) {
        for (const x of p.sessions) out.push(`    ${p.date} session ${x.id} from ${formatUs(x.startUs)}, clock offset ${(x.clockOffsetUs / 1000).toFixed(1)} ms`);
        for (const g of p.gaps) {
          const edge = (e: { id: number; tsReceiveUs: number }) => `id ${e.id} (received ${formatUs(e.tsReceiveUs)})`;
          out.push(`    ${p.date} gap ${g.stream} ${g.reason}: ${g.before === null ? 'from the start' : edge(g.before)} .. ${edge(g.after)}`);
        }
      }
    }
    out.push(`  resyncs         ${s.resyncs}`);
    out.push(`  crossed         ${s.crossed}${ok(s.crossed > 0)}`);
    out.push(`  trades          ${s.trades.toLocaleString('en-US')}${s.aggTrades > 0 ? ` (aggTrades ${s.aggTrades.toLocaleString('en-US')})` : ''}, id gaps ${s.tradeIdGaps}${ok(s.tradeIdGaps > 0)}`);
    if (s.forceOrders > 0) out.push(`  liquidations    ${s.forceOrders.toLocaleString('en-US')} forceOrder(s) (counted, not checked)`);
    out.push(`  bookTicker      total ${bt.total.toLocaleString('en-US')}, checked ${bt.checked}, matched ${bt.matched}${ok(bt.checked !== bt.matched)}`);
    for (const m of s.mismatches) out.push(`    mismatch at u=${m.updateId}: bookTicker ${m.expected}, replayed book ${m.replayed}`);
    const f = s.fused;
    if (f.compared > 0) {
      const pct = (n: number) => `${((100 * n) / f.compared).toFixed(1)} %`;
      out.push(`  fused book      ${f.compared.toLocaleString('en-US')} bookTickers in sync: ${f.ahead.toLocaleString('en-US')} ahead of the depth book, ${f.stale.toLocaleString('en-US')} stale (depth newer), mismatched ${f.mismatched}${ok(f.mismatched > 0)}`);
      out.push(`    best bid/ask prices equal the bookTicker's: depth book ${pct(f.depthPriceAgreed)}, fused book ${pct(f.fusedPriceAgreed)} (with quantities ${pct(f.depthAgreed)} / ${pct(f.fusedAgreed)})`);
      for (const m of f.mismatches) out.push(`    fused mismatch at u=${m.updateId}: expected ${m.expected}, fused book ${m.fused}`);
      const ms = (us: number | null) => (us === null ? '-' : `${(us / 1000).toFixed(1)} ms`);
      out.push(`  depth lag       median ${ms(f.lagMedianUs)}, p99 ${ms(f.lagP99Us)} (receive time from a bookTicker ahead of the depth book to the first depth event reaching its u)`);
    }
    out.push(`  clock offset    ${s.clockOffsetUs === null ? '-' : `${(s.clockOffsetUs / 1000).toFixed(1)} ms`} (median receive - exchange time)`);
    const fb = s.finalBook;
    out.push(`  final book      bid ${fb.bestBid ?? '-'} / ask ${fb.bestAsk ?? '-'}, levels ${fb.bidLevels} / ${fb.askLevels}${fb.valid ? '' : ` (not in sync)${s.depthEvents > 0 ? '  <-- problem' : ''}`}`);
  }
  if (report.store !== undefined) {
    const st = report.store;
    out.push(`store files     ${st.files} in ${st.partitions} partition(s): ${st.verified} match their SHA-256${st.unverified.length > 0 ? `, ${st.unverified.length} without a recorded hash (written before maker-store/3: re-import to add hashes)` : ''}`);
    for (const c of st.damaged) out.push(`  damaged       ${c.path}: ${c.message}  <-- problem`);
    for (const p of st.noMatchTime) out.push(`  no match time ${p} (written before maker-store/4: T reads as E; re-import into a new store to add it)`);
    for (const l of st.leftovers) out.push(`  leftover      ${l.path} (${l.kind}; ignored, removed by the next import into the partition)`);
  }
  if (report.damage !== undefined) {
    out.push(`damaged input   ${report.damage.count} place(s)  <-- problem`);
    for (const d of report.damage.list) out.push(`  ${d.file}:${d.line}  ${d.kind}${d.bytesLost !== undefined ? ` (${d.bytesLost} bytes lost)` : ''}: ${d.message}`);
    if (report.damage.count > report.damage.list.length) out.push(`  ... and ${report.damage.count - report.damage.list.length} more`);
  }
  const skipped = Object.entries(report.skippedStreams);
  // "<stream> X=<type>": trades that are not market prints (X ≠ MARKET), skipped at import.
  if (skipped.length > 0) out.push(`skipped unknown streams and non-market trades (not checked): ${skipped.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  out.push(isClean(report) ? 'result: clean' : 'result: problems found (exit status 1)');
  return `${out.join('\n')}\n`;
}
