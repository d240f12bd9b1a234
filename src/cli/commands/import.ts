/**
 * `maker import <inputs...> --out <dir>`: detects each input's format, parses it into normalised
 * market events and writes the Parquet store (docs/DATA_FORMAT.md). Atomic and idempotent: the
 * store's files are replaced by rename only after the whole input parsed, and importing the same
 * input twice leaves the same files.
 *
 * `--out` is checked before any input is read (a directory or creatable, writable: a read-only or
 * mistyped location fails at once with the path and the cause, exit 2). Import never removes a file
 * it did not write: it adds and replaces only the store's own files under `<out>/<venue>/`, merging
 * what a partition file held with the new rows, and its own temporaries.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { ConfigError, InputError, IoError } from '../../core/errors.ts';
import { FORMAT_IDS, listInputFiles } from '../../importers/index.ts';
import type { FormatId, ImportStats } from '../../importers/index.ts';
import { DEFAULT_SPILL_ROWS, StoreWriter } from '../../store/index.ts';
import type { CommitSummary } from '../../store/index.ts';
import { assertOutputDir } from '../output-check.ts';
import { Interrupts } from '../interrupt.ts';
import { Progress } from '../progress.ts';
import { collect, formatWarning, openSources } from '../specs.ts';

export interface ImportCliOptions {
  out: string;
  venue: string;
  spec: string[];
  inferSpec: boolean;
  format?: FormatId;
  symbol?: string;
  skipBadLines: boolean;
  json: boolean;
  quiet: boolean;
  /** `--spill-rows` as given (a string from the command line); the writer's default when absent. */
  spillRows?: string;
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .summary('import recorded or downloaded market data into the Parquet store')
    .description(
      'Detects the format of each input and writes the store laid out as <out>/<venue>/<SYMBOL>/<YYYY-MM-DD>/<table>.parquet.\n\n' +
        'Formats: raw Binance WebSocket recordings (hftbacktest collector, .gz or plain), cryptofeed recordings, ' +
        'Tardis.dev CSV (incremental_book_L2, trades, quotes, book_snapshot_25/5, derivative_ticker), ' +
        'data.binance.vision CSV (trades, aggTrades, bookTicker, fundingRate, klines; .zip or plain) and ' +
        "Binance's historical order-book CSV (depth-snap / depth-update). A directory imports every file in it, by name.\n\n" +
        'Prices become integer ticks and quantities integer lots of the symbol\'s instrument spec, so each ' +
        'symbol needs a spec: --spec <exchangeInfo.json> (a saved GET /fapi/v1/exchangeInfo reply), or ' +
        '--infer-spec to infer tick and step from the data (with a warning). Files with several daily parts ' +
        'of one recording are given in order as one session.\n\n' +
        'Damaged inputs: a file cut short (a gzip stream that ends early, a last line cut mid-way, as a crashed ' +
        'recorder leaves it) keeps every line before the cut, and the cut is reported loudly (file, line, bytes ' +
        'lost) and recorded in the partition\'s meta.json. A line that does not parse in the middle of a file ' +
        'fails the import (exit 2, nothing written) unless --skip-bad-lines: then each such line is skipped, ' +
        'counted and reported with file:line.\n\n' +
        'SIGINT (Ctrl-C) or SIGTERM while the inputs are read stops the import: nothing is written, no spill file is left ' +
        '(exit 130 / 143). Once the store is being committed, the commit is completed first (a second signal exits at once).',
    )
    .argument('<inputs...>', 'files or directories to import')
    .requiredOption('-o, --out <dir>', 'store directory (created if missing; other files in it are never touched)')
    .option('--venue <name>', 'venue directory in the store', 'binance-usdm')
    .option('--spec <file>', 'Binance exchangeInfo JSON with the instruments (repeatable)', collect, [])
    .option('--infer-spec', 'infer tick and step of symbols without a spec from the data', false)
    .addOption(new Option('--format <id>', 'force the input format instead of detecting it').choices(FORMAT_IDS))
    .option('--symbol <SYMBOL>', 'symbol for inputs that do not name it')
    .option('--skip-bad-lines', 'skip lines that do not parse (each counted and reported with file:line) instead of failing', false)
    .option(
      '--spill-rows <n>',
      'rows held in memory (a depth diff counts its levels too) before they are sorted and spilled to a temporary ' +
        'directory in the store, merged at the commit: lower it to bound that buffer on a small machine (more disk ' +
        'passes); the store written is the same',
      String(DEFAULT_SPILL_ROWS),
    )
    .option('--json', 'print the summary as one JSON object on stdout', false)
    .option('-q, --quiet', 'no progress output', false)
    .addHelpText('after', '\nExample:\n  maker import btcusdt_20240808.gz --spec exchangeInfo.json --out data/store\n  maker data check data/store')
    .action(async (inputs: string[], opts: ImportCliOptions) => {
      await runImport(inputs, opts);
    });
}

/** `--spill-rows`: a positive integer in digits (the store writer's default when absent). */
function parseSpillRows(value: string | undefined): number {
  if (value === undefined) return DEFAULT_SPILL_ROWS;
  const n = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new ConfigError(`must be a positive integer written in digits, such as 1000000; got "${value}"`, { field: '--spill-rows' });
  return n;
}

/**
 * Imports `inputs` into the store at `opts.out` and reports it: the summary on stdout (with `--json`
 * one JSON object), or, when `onResult` is given (`maker download --import --json`), to it instead.
 */
export async function runImport(
  inputs: string[],
  opts: ImportCliOptions,
  onResult?: (r: { stats: ImportStats; partitions: CommitSummary['partitions'] }) => void,
): Promise<{ stats: ImportStats; commit: CommitSummary }> {
  for (const p of inputs) {
    try {
      statSync(p);
    } catch {
      throw new InputError('no such file or directory', { file: p });
    }
  }
  const spillRows = parseSpillRows(opts.spillRows);
  checkOutDir(opts.out, opts.venue);
  const { files } = listInputFiles(inputs);
  const progress = new Progress({ label: 'import', unit: 'bytes', quiet: opts.quiet });
  const warnings: string[] = [];
  const { session, instrumentOf } = openSources(inputs, opts, progress, (w) => warnings.push(formatWarning(w)));
  const writer = new StoreWriter({ root: opts.out, venue: opts.venue, spillRows });
  const known = new Set<string>();
  // SIGINT / SIGTERM while reading stop the import between batches: the writer's spill files go
  // (the default action left `.spill-<pid>-*` in the store) and nothing is committed (exit 130 / 143).
  const interrupts = new Interrupts('maker import');
  const NOTHING = `before the import was complete; nothing was written to ${opts.out}, and nothing of it is left behind`;
  try {
    for await (const batch of session.events) {
      // One turn of the event loop per batch: the reader may hand over batches without one, and the signal handler would not run.
      await interrupts.checkpoint(NOTHING);
      for (const e of batch) {
        if (known.has(e.symbol)) continue;
        known.add(e.symbol);
        writer.addInstrument(instrumentOf(e.symbol));
      }
      await writer.write(batch);
    }
    await interrupts.checkpoint(NOTHING);
  } catch (e) {
    interrupts.close();
    writer.abort();
    progress.done();
    throw e;
  }
  // From here the commit runs to its end (each partition is committed atomically): a first signal
  // now is noted, not acted on (a second one exits at once).
  const stats = session.stats();
  if (stats.events === 0) {
    interrupts.close();
    writer.abort();
    progress.done();
    throw new InputError('the inputs hold no market events; nothing was written', { file: files.join(', ') });
  }
  let commit: CommitSummary;
  try {
    commit = await writer.commit({
      importer: [...new Set(stats.files.map((f) => f.format))].join('+'),
      inputs: files.map((path) => ({ path, bytes: statSync(path).size })),
      options: opts.inferSpec || opts.skipBadLines ? { ...(opts.inferSpec ? { inferSpec: 'true' } : {}), ...(opts.skipBadLines ? { skipBadLines: 'true' } : {}) } : undefined,
      damage: stats.damageCount > 0 ? { count: stats.damageCount, first: stats.damage.slice(0, 20) } : undefined,
    });
  } finally {
    interrupts.close();
  }
  progress.done();
  if (interrupts.received !== undefined) process.stderr.write(`maker import: ${interrupts.received} came while the store was being committed: the commit was completed first\n`);
  for (const w of warnings) process.stderr.write(w);
  if (onResult) {
    onResult({ stats, partitions: commit.partitions });
  } else if (opts.json) {
    process.stdout.write(`${JSON.stringify({ stats, partitions: commit.partitions })}\n`);
  } else {
    printSummary(stats, commit, opts.out);
  }
  return { stats, commit };
}

/**
 * Fails before any input is read when `--out` cannot be the store directory: it, or the nearest of
 * its ancestors that exists, is not a directory, or files cannot be created there (read-only file
 * system, no permission: probed with an empty file, created and removed); or `--venue` is not a
 * plain directory name, or `<out>/<venue>` exists and is not a directory. Creates nothing (the
 * writer does, at commit), and what is in `--out` is the writer's to touch: it only adds and
 * replaces the store's own files under `<out>/<venue>/` and its own temporaries.
 */
function checkOutDir(out: string, venue: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(venue)) throw new ConfigError(`must be a plain directory name (letters, digits, ".", "_", "-"), got "${venue}"`, { field: '--venue' });
  assertOutputDir(out, '--out');
  const vdir = join(out, venue);
  if (existsSync(vdir) && !statSync(vdir).isDirectory()) throw new IoError(`the venue directory ${vdir} exists and is not a directory`, { file: out, field: '--out' });
}

function printSummary(stats: ImportStats, commit: CommitSummary, out: string): void {
  const lines: string[] = [];
  lines.push(`imported ${stats.events.toLocaleString('en-US')} events from ${stats.files.length} file(s) into ${out}`);
  for (const [sym, c] of Object.entries(stats.symbols)) {
    const parts = Object.entries(c)
      .filter(([, n]) => n > 0)
      .map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`);
    lines.push(`  ${sym}: ${parts.join(', ')}`);
  }
  // Trades with X ≠ MARKET are counted as "<stream> X=<type>" (adapter/binance/market.ts).
  const skipped = Object.entries(stats.skippedStreams);
  const notMarket = skipped.filter(([s]) => s.includes(' X='));
  const unknown = skipped.filter(([s]) => !s.includes(' X='));
  if (unknown.length > 0) lines.push(`  skipped unknown streams: ${unknown.map(([s, n]) => `${s} ${n}`).join(', ')}`);
  if (notMarket.length > 0) lines.push(`  skipped trades that are not market prints (X ≠ MARKET): ${notMarket.map(([s, n]) => `${s} ${n}`).join(', ')}`);
  if (stats.skippedRows > 0) lines.push(`  skipped rows (before the first snapshot): ${stats.skippedRows}`);
  if (stats.damageCount > 0) {
    const kinds = new Map<string, number>();
    for (const d of stats.damage) kinds.set(d.kind, (kinds.get(d.kind) ?? 0) + 1);
    lines.push(`  DAMAGED INPUT: ${stats.damageCount} place(s) kept going past (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}); see the warnings above, recorded in meta.json`);
  }
  const dups = commit.partitions.reduce((s, p) => s + p.duplicateRows, 0);
  lines.push(`  wrote ${commit.partitions.length} partition file(s)${dups > 0 ? `; ${dups.toLocaleString('en-US')} duplicate rows skipped (already in the store)` : ''}`);
  for (const p of commit.partitions) lines.push(`    ${p.file}  ${p.rows.toLocaleString('en-US')} rows`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
