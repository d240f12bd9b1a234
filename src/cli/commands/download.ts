/**
 * `maker download`: data.binance.vision USDⓈ-M archives for a date range and symbols, verified
 * against their `.CHECKSUM` files, resumable, kept under `--out` at the server's paths
 * (src/cli/download/), then optionally imported into the store (`--import`, the `maker import`
 * path; fundingRate into the store's funding side table as `maker data import` does).
 *
 * Output: the plan (monthly or daily per symbol and type) and warnings on stderr, a progress bar
 * on stderr, the summary on stdout; with `--json` one JSON object per line on stdout instead
 * (`plan`, `file`, `fallback`, `retry`, `checksum-mismatch`, `progress` at most once a second,
 * `summary`, then `import` / `funding` / `import-skipped`).
 *
 * No network: a host name that does not resolve fails the archive at once (no retries: ENOTFOUND;
 * one: EAI_AGAIN), naming the host, and the archives after it are not tried.
 *
 * SIGINT / SIGTERM (src/cli/interrupt.ts): no archive is started after it, the requests under way
 * are aborted; verified archives stay, a `.zip.part` with bytes stays for the next run to resume,
 * nothing is imported, and one line says what is kept (exit 130 / 143). A second signal exits at once.
 *
 * Exit status: 0 everything there (or only missing archives with --allow-missing), 1 archives
 * missing or failed (the summary lists them; nothing is imported then, except missing ones with
 * --allow-missing), 2 bad option or unusable output location, 130 / 143 stopped by SIGINT / SIGTERM
 * (during --import: as `maker import`).
 */
import { Option, type Command } from 'commander';
import { ConfigError } from '../../core/errors.ts';
import { fundingFilePath, readVisionFundingRate, writeFundingHistory } from '../../importers/index.ts';
import { DEFAULT_TYPES, KLINE_INTERVALS, TYPE_INFO, VISION_TYPES, parseDayOption, parseSymbols, parseTypes, planArchives } from '../download/layout.ts';
import { sleepMs } from '../download/http.ts';
import { Interrupts, interruptedError } from '../interrupt.ts';
import { formatPlan, formatSummary, summarisePlan } from '../download/report.ts';
import { runDownloads, type DownloadEvent, type DownloadResult } from '../download/run.ts';
import { assertOutputDir } from '../output-check.ts';
import { Progress } from '../progress.ts';
import { collect, registryFromFiles } from '../specs.ts';
import { runImport } from './import.ts';

/** The longest Retry-After `maker download` honours (10 min): a server asking for more fails the archive (run again later) rather than being asked again early. */
const MAX_RETRY_AFTER_MS = 600_000;

export const DEFAULT_BASE_URL = 'https://data.binance.vision';
export const DEFAULT_DOWNLOAD_DIR = 'data/raw/binance-vision';

interface DownloadCliOptions {
  symbols: string;
  from: string;
  to?: string;
  types: string;
  interval: string;
  out: string;
  baseUrl: string;
  daily: boolean;
  concurrency: string;
  timeoutS: string;
  retries: string;
  allowMissing: boolean;
  import: boolean;
  store?: string;
  venue: string;
  spec: string[];
  inferSpec: boolean;
  json: boolean;
  quiet: boolean;
}

function intOption(v: string, key: string, min: number, max: number): number {
  const n = /^[0-9]+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ConfigError(`must be an integer from ${min} to ${max}, got "${v}"`, { field: key });
  return n;
}

function secondsOption(v: string, key: string): number {
  const n = Number(v);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(v) || !(n > 0) || n > 3600) throw new ConfigError(`must be a number of seconds above 0 and at most 3600, got "${v}"`, { field: key });
  return n;
}

function setExit(cmd: Command, code: number): void {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  (root as Command & { exitStatus?: number }).exitStatus = code;
}

export function registerDownload(program: Command): void {
  program
    .command('download')
    .summary('download data.binance.vision history (checksums verified, resumable) and optionally import it')
    .description(
      'Downloads data.binance.vision USDⓈ-M futures archives for the symbols and the days from --from to --to ' +
        '(inclusive, UTC), checks each zip against its .CHECKSUM file (sha256) and keeps it under --out at the ' +
        "server's path (data/futures/um/<daily|monthly>/<type>/<SYMBOL>/...).\n\n" +
        `Types (--types, comma separated): ${VISION_TYPES.join(', ')}; default ${DEFAULT_TYPES.join(',')} ` +
        '(what a top-of-book backtest reads). Kline types take --interval. fundingRate exists as monthly archives ' +
        'only, bookDepth and metrics as daily only. A whole calendar month in the range is fetched as one monthly ' +
        'archive (--daily: never), and as its daily archives when the monthly one is not on the server (a month not ' +
        'published yet); the plan printed first says which.\n\n' +
        'Resumable: a verified zip already under --out is not fetched again; a partial download (<name>.zip.part) ' +
        'is resumed with an HTTP Range request. A zip whose checksum does not match is deleted and downloaded again ' +
        'once; a second mismatch fails that archive, naming the file. Every request has a timeout (--timeout-s: ' +
        'no answer or no bytes for that long), failures are retried --retries times with exponential backoff (0.5 s ' +
        'doubling to 30 s), or after the server\'s Retry-After when it asks for longer; a Retry-After over 10 min fails ' +
        'that archive instead of asking again early.\n\n' +
        'A host that does not resolve (no network, DNS down, a wrong --base-url) fails at once naming the host ' +
        '(not retried; once for a DNS server that does not answer), and the archives after it are not tried.\n\n' +
        'An archive not on the server (404) is reported as missing and the others go on; the run then exits 1 with ' +
        'the list, unless --allow-missing.\n\n' +
        '--import then writes what was downloaded into the store (--store; as `maker import` does, with --spec or ' +
        '--infer-spec; fundingRate into the funding side table, as `maker data import`). bookDepth, metrics and ' +
        'premiumIndexKlines are downloaded but not imported (no importer reads them). Nothing is imported when an ' +
        'archive failed, or is missing without --allow-missing.\n\n' +
        'Ctrl-C (SIGINT) or SIGTERM: no archive is started after it and the requests under way are aborted; verified ' +
        'archives are kept, a partial download (<name>.zip.part) is kept for the next run to resume, nothing is imported, ' +
        'and one line says what is kept (exit 130 / 143). During --import it stops as `maker import` does. A second ' +
        'signal exits at once.\n\n' +
        'Exit status: 0 all there, 1 archives missing or failed, 2 bad option or unusable output location, ' +
        '130 / 143 stopped by SIGINT / SIGTERM.',
    )
    .requiredOption('--symbols <list>', 'symbols, comma separated (BTCUSDT,ETHUSDT)')
    .requiredOption('--from <YYYY-MM-DD>', 'first day (UTC)')
    .option('--to <YYYY-MM-DD>', 'last day, inclusive (default: --from)')
    .option('--types <list>', 'data types, comma separated', DEFAULT_TYPES.join(','))
    .addOption(new Option('--interval <interval>', 'kline interval of the kline types').choices(KLINE_INTERVALS).default('1m'))
    .option('-o, --out <dir>', 'directory for the archives (mirrors the server layout)', DEFAULT_DOWNLOAD_DIR)
    .option('--base-url <url>', 'archive server', DEFAULT_BASE_URL)
    .option('--daily', 'daily archives only, never monthly ones (fundingRate excepted: monthly only)', false)
    .option('--concurrency <n>', 'archives downloaded at once', '4')
    .option('--timeout-s <seconds>', 'abort a request that gets no answer or no bytes for this long', '30')
    .option('--retries <n>', 'retries per request after the first attempt', '5')
    .option('--allow-missing', 'archives not on the server do not fail the run (still listed)', false)
    .option('--import', 'import the downloaded archives into the store (--store)', false)
    .option('--store <dir>', 'store directory for --import')
    .option('--venue <name>', 'venue directory in the store', 'binance-usdm')
    .option('--spec <file>', 'Binance exchangeInfo JSON with the instruments, for --import (repeatable)', collect, [])
    .option('--infer-spec', 'for --import: infer tick and step of symbols without a spec from the data', false)
    .option('--json', 'progress and summary as JSON lines on stdout', false)
    .option('-q, --quiet', 'no progress bar', false)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  maker download --symbols BTCUSDT --from 2024-01-01 --to 2024-01-31 --types bookTicker,trades\n' +
        '  maker download --symbols BTCUSDT,ETHUSDT --from 2024-08-01 --to 2024-08-07 --import --store data/store --spec exchangeInfo.json\n' +
        '  maker download --symbols BTCUSDT --from 2024-01-01 --to 2024-03-31 --types markPriceKlines --interval 1m --json',
    )
    .action(async (opts: DownloadCliOptions, cmd: Command) => {
      setExit(cmd, await runDownloadCommand(opts));
    });
}

export async function runDownloadCommand(opts: DownloadCliOptions): Promise<number> {
  // Every option is checked before the first request.
  const symbols = parseSymbols(opts.symbols);
  const types = parseTypes(opts.types);
  const fromDay = parseDayOption(opts.from, '--from');
  const toDay = opts.to === undefined ? fromDay : parseDayOption(opts.to, '--to');
  if (toDay < fromDay) throw new ConfigError(`is before --from (${opts.from})`, { field: '--to' });
  if (toDay - fromDay > 3660) throw new ConfigError('spans more than ten years; split the range', { field: '--to' });
  const concurrency = intOption(opts.concurrency, '--concurrency', 1, 64);
  const retries = intOption(opts.retries, '--retries', 0, 20);
  const timeoutMs = secondsOption(opts.timeoutS, '--timeout-s') * 1000;
  let base: URL;
  try {
    base = new URL(opts.baseUrl);
  } catch {
    throw new ConfigError(`is not a URL, got "${opts.baseUrl}"`, { field: '--base-url' });
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new ConfigError(`must be an http or https URL, got "${opts.baseUrl}"`, { field: '--base-url' });
  assertOutputDir(opts.out, '--out');
  const eventTypes = types.filter((t) => TYPE_INFO[t].importable && t !== 'fundingRate');
  if (opts.import) {
    if (!opts.store) throw new ConfigError('--import needs --store <dir>', { field: '--store' });
    assertOutputDir(opts.store, '--store');
    if (eventTypes.length > 0) {
      if (opts.spec.length === 0 && !opts.inferSpec) throw new ConfigError(`importing ${eventTypes.join(', ')} needs instrument specs: --spec <exchangeInfo.json> (a saved GET /fapi/v1/exchangeInfo) or --infer-spec`, { field: '--spec' });
      if (opts.spec.length > 0 && !opts.inferSpec) {
        const reg = registryFromFiles(opts.spec);
        const unknown = symbols.filter((s) => !reg.has(s));
        if (unknown.length > 0) throw new ConfigError(`${unknown.join(', ')} not in the exchangeInfo file(s) ${opts.spec.join(', ')} (unknown symbol, or an older file; or pass --infer-spec)`, { field: '--symbols' });
      }
    }
  } else if (opts.store || opts.spec.length > 0 || opts.inferSpec) {
    throw new ConfigError('--store, --spec and --infer-spec are for --import; add --import', { field: '--import' });
  }

  const items = planArchives({ symbols, types, fromDay, toDay, interval: opts.interval, dailyOnly: opts.daily });
  const out = (obj: object) => process.stdout.write(`${JSON.stringify(obj)}\n`);
  const progress = new Progress({ label: 'download', unit: 'bytes', quiet: opts.quiet || opts.json });
  const warn = (text: string) => {
    progress.done(); // off the bar's line; the next update draws it again
    process.stderr.write(`maker: warning: ${text}\n`);
  };
  if (opts.json) out({ event: 'plan', archives: items.length, baseUrl: opts.baseUrl, outDir: opts.out, plan: summarisePlan(items) });
  else if (!opts.quiet) process.stderr.write(`download: ${items.length} archive(s) from ${opts.baseUrl} into ${opts.out}\n${formatPlan(items, opts.interval)}\n`);

  let lastJsonMs = 0;
  const onEvent = (e: DownloadEvent): void => {
    switch (e.event) {
      case 'bytes': {
        // The total is known only once every archive answered: until then the known sizes plus their
        // mean for each archive still without one (an estimate; missing archives add nothing).
        const mean = e.filesSized > 0 ? e.knownBytes / e.filesSized : 0;
        const total = Math.max(e.doneBytes, Math.round(e.knownBytes + mean * e.filesUnsized));
        if (total === 0) return;
        if (opts.json) {
          const now = Date.now();
          if (now - lastJsonMs >= 1000 || e.filesDone === e.filesTotal) {
            lastJsonMs = now;
            out({ event: 'progress', doneBytes: e.doneBytes, knownBytes: e.knownBytes, filesDone: e.filesDone, filesTotal: e.filesTotal });
          }
        } else progress.update(e.doneBytes, total);
        return;
      }
      case 'file': {
        const o = e.outcome;
        if (opts.json) out({ event: 'file', status: o.status, path: o.archive.path, file: o.file, granularity: o.archive.granularity, bytes: o.bytes, resumedFromBytes: o.resumedFromBytes, ...(o.message ? { message: o.message } : {}) });
        return;
      }
      case 'fallback':
        if (opts.json) out({ event: 'fallback', path: e.archive.path, days: e.days });
        else warn(`${e.archive.name} is not on the server (not published yet?); using its ${e.days} daily archives`);
        return;
      case 'retry':
        if (opts.json) out(e);
        else warn(`${e.url}: ${e.reason}; retry ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)} s`);
        return;
      case 'checksum-mismatch':
        if (opts.json) out(e);
        else warn(`checksum mismatch for ${e.file}: expected sha256 ${e.expected}, got ${e.actual}; ${e.again ? 'deleted, downloading it again' : 'deleted; giving up on it'}`);
        return;
    }
  };

  // SIGINT / SIGTERM: the run stops starting archives and aborts its requests (the default action
  // killed it with no line). Closed before --import, which handles its own.
  const stop = new AbortController();
  const interrupts = new Interrupts('maker download', {
    onFirst: () => stop.abort(),
    secondNote: `the verified archives under ${opts.out} are kept, and a .zip.part is resumed by the next run`,
  });
  let result: DownloadResult;
  try {
    result = await runDownloads({
      baseUrl: opts.baseUrl,
      outDir: opts.out,
      items,
      concurrency,
      http: { timeoutMs, retries, backoffMs: 500, maxBackoffMs: 30_000, maxRetryAfterMs: MAX_RETRY_AFTER_MS, sleep: sleepMs, userAgent: 'maker-download/0.1' },
      onEvent,
      signal: stop.signal,
    });
  } finally {
    progress.done();
    interrupts.close();
  }
  if (interrupts.received !== undefined) {
    // Also when the signal came as the last archive finished: the user asked to stop, so no import.
    const count = (s: string) => result.outcomes.filter((o) => o.status === s).length;
    const kept = count('downloaded') + count('present');
    const parts = result.partsKept.length;
    const what = [
      `${kept} verified archive(s) are kept under ${opts.out} (${count('downloaded')} downloaded now, ${count('present')} already there)`,
      ...(parts > 0 ? [`${parts} partial download(s) (.zip.part) are kept for the same command to resume`] : []),
      ...(result.unfinished - parts > 0 ? [`${result.unfinished - parts} not fetched`] : []),
      ...(count('failed') + count('missing') > 0 ? [`${count('failed')} failed and ${count('missing')} missing`] : []),
    ];
    throw interruptedError(interrupts.received, `${result.stopped ? 'before the download was complete' : 'as the download ended'}: ${what.join('; ')}${opts.import ? '; nothing was imported' : ''}`);
  }
  const missing = result.outcomes.filter((o) => o.status === 'missing');
  const failed = result.outcomes.filter((o) => o.status === 'failed');
  const status = failed.length > 0 || (missing.length > 0 && !opts.allowMissing) ? 1 : 0;
  if (opts.json) {
    out({
      event: 'summary',
      downloaded: result.outcomes.filter((o) => o.status === 'downloaded').length,
      present: result.outcomes.filter((o) => o.status === 'present').length,
      bytesDownloaded: result.bytesDownloaded,
      fellBack: result.fellBack.map((a) => a.path),
      missing: missing.map((o) => o.archive.path),
      failed: failed.map((o) => ({ path: o.archive.path, message: o.message })),
      exitStatus: status,
    });
  } else {
    process.stdout.write(formatSummary(result, opts.out));
    if (missing.length > 0 && !opts.allowMissing) process.stdout.write('  (exit status 1: archives are missing; --allow-missing accepts that)\n');
  }
  if (!opts.import) return status;

  if (status !== 0) {
    const reason = failed.length > 0 ? `${failed.length} archive(s) failed; rerun to retry them (verified archives are kept)` : `${missing.length} archive(s) missing; pass --allow-missing to import what is there`;
    if (opts.json) out({ event: 'import-skipped', reason });
    else process.stderr.write(`maker: not imported: ${reason}\n`);
    return status;
  }
  const have = result.outcomes.filter((o) => o.status === 'downloaded' || o.status === 'present');
  const skipped = [...new Set(have.filter((o) => !TYPE_INFO[o.archive.type].importable).map((o) => o.archive.type))];
  if (skipped.length > 0) {
    const reason = `${skipped.join(', ')} downloaded but not imported (maker has no importer for ${skipped.length > 1 ? 'them' : 'it'})`;
    if (opts.json) out({ event: 'import-skipped', types: skipped, reason });
    else warn(reason);
  }
  const funding = have.filter((o) => o.archive.type === 'fundingRate');
  for (const o of funding) {
    const { symbol, records } = await readVisionFundingRate(o.file, o.archive.symbol);
    const rows = writeFundingHistory(opts.store!, opts.venue, symbol, records);
    const table = fundingFilePath(opts.store!, opts.venue, symbol);
    if (opts.json) out({ event: 'funding', symbol, file: o.file, records: records.length, table, rows });
    else process.stdout.write(`${o.archive.name}: ${records.length} funding record(s) of ${symbol} → ${table} (${rows} in all)\n`);
  }
  const events = have.filter((o) => TYPE_INFO[o.archive.type].importable && o.archive.type !== 'fundingRate').map((o) => o.file);
  if (events.length > 0) {
    await runImport(
      events,
      { out: opts.store!, venue: opts.venue, spec: opts.spec, inferSpec: opts.inferSpec, skipBadLines: false, json: opts.json, quiet: opts.quiet || opts.json },
      opts.json ? (r) => out({ event: 'import', ...r }) : undefined,
    );
  }
  return status;
}
