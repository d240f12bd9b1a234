/**
 * `maker record`: records Binance USDⓈ-M market streams and book snapshots into the store until
 * SIGINT/SIGTERM (or --duration). Status: one terminal line per second on stderr, or with --json
 * one JSON line per second on stdout. Exit 0 after a clean stop; 2 for bad options or an unknown
 * symbol; 3 when the journal or the store could not be written (what was written stays).
 */
import type { Command } from 'commander';
import { TIMER_MAX_MS } from '../../core/clock.ts';
import { ConfigError, MakerError } from '../../core/errors.ts';
import { Interrupts } from '../interrupt.ts';
import { Recorder, describeError, type RecorderStatus, type StreamSelection } from '../../record/index.ts';

interface RecordCliOptions {
  symbols: string;
  out: string;
  venue?: string;
  rest: string;
  ws: string;
  depth: string;
  trades: string;
  bookTicker: boolean;
  markPrice: boolean;
  forceOrder: boolean;
  json: boolean;
  flush: string;
  compactEvery: string;
  rotateAfter: string;
  overlap: string;
  stallTimeout: string;
  duration?: string;
  startTimeout: string;
  journal?: string;
  weightBudget: string;
}

/** `500ms`, `10s`, `15m`, `1h`, `23h30m` → ms. */
export function parseDurationMs(text: string, flag: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms']!;
    end = re.lastIndex;
  }
  if (end !== text.length || end === 0 || !(total > 0)) throw new ConfigError(`${flag} must be a duration such as 500ms, 10s, 15m, 1h or 23h30m, got "${text}"`, { field: flag });
  // A longer timer fires after 1 ms: a 720h run would stop at once.
  if (total > TIMER_MAX_MS) throw new ConfigError(`${flag} must be at most 596h (24.8 days, the longest timer Node keeps), got "${text}"; for longer, leave it out and stop the process with SIGINT or SIGTERM`, { field: flag });
  return total;
}

export function statusLine(s: RecorderStatus, prev: RecorderStatus | undefined): string {
  const dt = prev === undefined ? 1 : Math.max(1e-3, (s.tsUs - prev.tsUs) / 1e6);
  const parts = Object.entries(s.streams).map(([k, v]) => {
    const rate = (v.messages - (prev?.streams[k]?.messages ?? 0)) / dt;
    return `${k} ${rate.toFixed(0)}/s lag ${(v.lagUs / 1000).toFixed(0)}ms${v.gaps > 0 ? ` gaps ${v.gaps}` : ''}`;
  });
  return `${parts.join(' | ')} | gaps ${s.gaps} resyncs ${s.resyncs} malformed ${s.malformed} | ${(s.bytesWritten / 1e6).toFixed(1)} MB journal, ${s.eventsCompacted} events stored`;
}

export function registerRecord(program: Command): void {
  program
    .command('record')
    .summary('record Binance USDⓈ-M market data (streams and book snapshots) into the store')
    .description(
      'Records, per symbol, diff depth (@depth@100ms, or every diff with --depth 0ms), @trade and @aggTrade, @bookTicker, ' +
        '@markPrice@1s and, with --force-order, @forceOrder (liquidation orders: at most one per symbol per second, the largest) from Binance USDⓈ-M (public endpoints, no key) or any venue speaking its protocol (--venue for the ' +
        'local `maker exchange`), with a REST book snapshot at the start and after every gap or reconnect. Every message goes ' +
        'first into an append-only journal (<out>/.journal/<venue>/, flushed every --flush), then into the Parquet store ' +
        '(compacted every --compact-every and at the stop, with the store\'s atomic partition commit). Connections are ' +
        'replaced before Binance\'s 24 h cut without losing a message; a dropped or stalled connection reconnects with ' +
        'back-off, and the stretch it missed is marked as a gap in the partition\'s meta.json (docs/DATA_FORMAT.md). After ' +
        'a crash (kill -9) the next start compacts what the journal holds and marks a session break.\n\n' +
        'Network trouble while recording is not an exit: a venue that drops every connection is retried with back-off. ' +
        'The start is bounded: a REST API that does not answer exchangeInfo and the server time within --start-timeout is exit 3.\n\n' +
        'Exit status: 0 stopped by SIGINT/SIGTERM or --duration (counted from the command\'s start; also a signal during start-up); ' +
        '2 bad options or unknown symbol; 3 the journal or the store could not be written (disk full, no permission): recording ' +
        'stopped, what was written is kept; also 3 when the REST API did not answer at start within --start-timeout, or --duration ' +
        'elapsed before the recording started; 130 (143 after a SIGTERM) a second SIGINT/SIGTERM during the stop: exited before compacting, the journal ' +
        'keeps the data and the next start compacts it.',
    )
    .requiredOption('--symbols <list>', 'comma-separated symbols, e.g. BTCUSDT,ETHUSDT (checked against exchangeInfo)')
    .requiredOption('--out <dir>', 'store directory')
    .option('--venue <url>', 'a venue base URL for REST and streams (e.g. http://127.0.0.1:8090 for maker exchange); overrides --rest/--ws')
    .option('--rest <url>', 'REST base URL', 'https://fapi.binance.com')
    .option('--ws <url>', 'stream base URL (routes /public and /market are added)', 'wss://fstream.binance.com')
    .option('--depth <speed>', 'diff depth speed: 100ms, 0ms (every diff, undocumented on Binance), 250ms or 500ms', '100ms')
    .option('--trades <list>', 'trade streams: trade, aggTrade, both (trade,aggTrade) or none', 'trade,aggTrade')
    .option('--no-book-ticker', 'do not record @bookTicker')
    .option('--no-mark-price', 'do not record @markPrice@1s')
    .option('--force-order', 'also record <symbol>@forceOrder (liquidation orders, /market route; store table force_orders)', false)
    .option('--json', 'status as one JSON line per second on stdout (for supervisors)', false)
    .option('--flush <duration>', 'journal flush interval (at most what a kill -9 can lose)', '200ms')
    .option('--compact-every <duration>', 'journal segment length: compacted into the store when closed', '1h')
    .option('--rotate-after <duration>', 'replace each connection after this long (Binance closes them at 24 h)', '23h30m')
    .option('--overlap <duration>', 'how long the replacement connection overlaps the old one', '5s')
    .option('--stall-timeout <duration>', 'a connection without a message for this long is dropped and reconnected', '15s')
    .option('--weight-budget <n>', 'REST weight per minute the recorder allows itself (Binance: 2400 per IP)', '1200')
    .option('--duration <duration>', 'stop after this long, counted from the command\'s start (a start still under way then stops too: exit 3)')
    .option('--start-timeout <duration>', 'the REST API (--rest or --venue) must answer each start-up request (exchangeInfo, server time) within this, retries included, else exit 3 naming the URL', '60s')
    .option('--journal <dir>', 'journal directory (default <out>/.journal/binance-usdm)')
    .addHelpText('after', '\nExamples:\n  maker record --symbols BTCUSDT,ETHUSDT --out data/store\n  maker record --symbols BTCUSDT --venue http://127.0.0.1:8090 --out data/store --depth 0ms\n  maker record --symbols BTCUSDT --out data/store --json > record.jsonl\n  maker record --symbols BTCUSDT,ETHUSDT --out data/store --force-order')
    .action(async (opts: RecordCliOptions, cmd: Command) => {
      const symbols = opts.symbols.split(',').map((s) => s.trim()).filter((s) => s !== '');
      for (const s of symbols) if (!/^[A-Z0-9]{2,30}$/.test(s)) throw new ConfigError(`--symbols: "${s}" is not an upper-case symbol such as BTCUSDT`, { field: '--symbols' });
      if (symbols.length === 0) throw new ConfigError('--symbols: at least one symbol', { field: '--symbols' });
      if (!['100ms', '0ms', '250ms', '500ms'].includes(opts.depth)) throw new ConfigError(`--depth must be 100ms, 0ms, 250ms or 500ms, got "${opts.depth}"`, { field: '--depth' });
      const trades = opts.trades === 'none' ? [] : opts.trades === 'both' ? ['trade', 'aggTrade'] : opts.trades.split(',').map((s) => s.trim());
      for (const t of trades) if (t !== 'trade' && t !== 'aggTrade') throw new ConfigError(`--trades: "${t}" is not trade or aggTrade`, { field: '--trades' });
      let rest = opts.rest;
      let ws = opts.ws;
      if (opts.venue !== undefined) {
        if (!/^https?:\/\//.test(opts.venue)) throw new ConfigError(`--venue must be an http(s) URL such as http://127.0.0.1:8090, got "${opts.venue}"`, { field: '--venue' });
        rest = opts.venue.replace(/\/$/, '');
        ws = rest.replace(/^http/, 'ws');
      }
      const budget = Number(opts.weightBudget);
      if (!Number.isInteger(budget) || budget < 20) throw new ConfigError(`--weight-budget must be an integer >= 20 (a snapshot weighs 20), got "${opts.weightBudget}"`, { field: '--weight-budget' });
      const streams: StreamSelection = { depthSpeed: opts.depth as StreamSelection['depthSpeed'], trade: trades.includes('trade'), aggTrade: trades.includes('aggTrade'), bookTicker: opts.bookTicker, markPrice: opts.markPrice, forceOrder: opts.forceOrder };
      const durationMs = opts.duration === undefined ? undefined : parseDurationMs(opts.duration, '--duration');
      const log = (line: string) => {
        if (opts.json) process.stdout.write(`${JSON.stringify({ type: 'log', message: line })}\n`);
        else process.stderr.write(`\r\x1b[Kmaker record: ${line}\n`);
      };
      const rec = new Recorder({
        symbols,
        rest,
        ws,
        out: opts.out,
        journalDir: opts.journal,
        streams,
        flushMs: parseDurationMs(opts.flush, '--flush'),
        segmentMs: parseDurationMs(opts.compactEvery, '--compact-every'),
        rotateAfterMs: parseDurationMs(opts.rotateAfter, '--rotate-after'),
        overlapMs: parseDurationMs(opts.overlap, '--overlap'),
        stallMs: parseDurationMs(opts.stallTimeout, '--stall-timeout'),
        weightBudget: budget,
        startTimeoutMs: parseDurationMs(opts.startTimeout, '--start-timeout'),
        restOption: opts.venue !== undefined ? '--venue' : '--rest',
        log,
      });
      // The first SIGINT / SIGTERM stops the recorder (flush, compact: exit 0); a second one, while
      // that runs, exits at once: the journal keeps what is not in the store yet, for the next start.
      const interrupts = new Interrupts('maker record', {
        onFirst: () => void rec.stop(),
        secondNote: `before the journal was compacted; ${rec.journalDir} keeps it and the next start compacts it`,
      });
      // The recorder's timers (REST back-off, reconnects) are unref'd: while it starts, runs and
      // stops, this handle keeps the process alive. Without it, a venue that went away (every
      // connection dropped, a reconnect pending) emptied the event loop and Node exited with
      // status 13 ("unsettled top-level await"), silently and without compacting the journal.
      const alive = setInterval(() => {}, 1 << 30);
      const setExit = (code: number) => {
        let root: Command = cmd;
        while (root.parent) root = root.parent;
        (root as Command & { exitStatus?: number }).exitStatus = code;
      };
      // --duration counts from here, start included (a venue slow to answer cannot stretch it).
      let durationElapsed = false;
      let timer: NodeJS.Timeout | undefined;
      if (durationMs !== undefined)
        timer = setTimeout(() => {
          durationElapsed = true;
          void rec.stop();
        }, durationMs);
      try {
        await rec.start();
      } catch (e) {
        await rec.stop(e);
        clearInterval(alive);
        if (timer !== undefined) clearTimeout(timer);
        interrupts.close();
        if (interrupts.received !== undefined) {
          // The signal closed the REST client under the start (exchangeInfo, the clock offset): not an I/O failure.
          process.stderr.write(`maker record: stopped by ${interrupts.received} during start-up, before recording began; nothing new was recorded\n`);
          return;
        }
        if (!(e instanceof MakerError && e.code === 'E_IO')) throw e;
        const why = durationElapsed ? `--duration ${opts.duration} elapsed before the recording started (${describeError(e)})` : describeError(e);
        process.stderr.write(`maker record: STOPPED at start: ${why}\n`);
        setExit(3);
        return;
      }
      let prev: RecorderStatus | undefined;
      const tick = setInterval(() => {
        const s = rec.status();
        if (opts.json) process.stdout.write(`${JSON.stringify({ type: 'status', ...s })}\n`);
        else if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${statusLine(s, prev).slice(0, (process.stderr.columns ?? 200) - 1)}`);
        prev = s;
      }, 1000);
      tick.unref();
      await rec.done;
      clearInterval(alive);
      clearInterval(tick);
      if (timer !== undefined) clearTimeout(timer);
      interrupts.close();
      const s = rec.status();
      if (rec.error !== undefined) {
        process.stderr.write(`\nmaker record: STOPPED: ${describeError(rec.error)}; the journal (${rec.journalDir}) keeps what was not yet in the store: the next start compacts it\n`);
        setExit(3);
        return;
      }
      if (opts.json) process.stdout.write(`${JSON.stringify({ type: 'stopped', ...s })}\n`);
      else process.stderr.write(`\nmaker record: stopped; ${s.eventsCompacted} events stored, ${s.gaps} gaps, ${s.resyncs} resyncs, ${s.malformed} malformed messages\n`);
    });
}
