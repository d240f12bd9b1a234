/**
 * `maker live`: the scenario's trading core on Binance USDⓈ-M (or `maker exchange`, or, with
 * `--paper`, an in-process local exchange on the synthetic market or the scenario's store), until
 * SIGINT/SIGTERM, the kill file or `--duration`. `maker replay <run dir>`: the same core over the
 * session's journal, compared command by command.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError, MakerError } from '../../core/errors.ts';
import { Rng } from '../../core/random.ts';
import { ExchangeServer, LocalExchange, storeMarket, syntheticMarket, type ExchangeAccount, type LocalExchangeOptions } from '../../exchange-fake/index.ts';
import { acquireFileLease, credentialsFrom, EXIT, journalToStore, type FileLease, LiveDashboard, LiveMarketFeed, LiveSession, replayJournal, WallClock, wallTimers, type SessionSummary } from '../../live/index.ts';
import type { Instrument } from '../../model/instrument.ts';
import { bookSourceOf, loadScenarioFile, type Scenario } from '../../scenario/index.ts';
import { syntheticInstrument } from '../../synthetic/index.ts';
import { feeSchedule } from '../../backtest/index.ts';
import { writeLiveSessionReport } from '../../live-report/index.ts';
import type { Credentials } from '../../adapter/binance/index.ts';
import { parseDurationMs } from './record.ts';

interface LiveCliOptions {
  scenario: string;
  set: string[];
  paper: boolean;
  venue?: string;
  ws?: string;
  out: string;
  duration?: string;
  json: boolean;
  dashboard?: string;
  dashboardHost: string;
  lock?: string;
  /** false with --no-report. */
  report: boolean;
}

/** `--dashboard <port>`: an integer 0..65535 (0 picks a free port). */
function dashboardPort(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new ConfigError(`--dashboard takes a port number 0..65535 (0: any free port), got "${v}"`, { field: '--dashboard' });
  return n;
}

/** The dashboard token: from the variable live.dashboard.tokenEnv names, or random (undefined). */
function dashboardToken(s: Scenario, env: NodeJS.ProcessEnv): string | undefined {
  const name = s.live.dashboard.tokenEnv;
  if (name === null) return undefined;
  const v = env[name];
  if (v === undefined || v === '') throw new ConfigError(`the dashboard token variable ${name} is not set (live.dashboard.tokenEnv); unset the key for a random token`, { field: 'live.dashboard.tokenEnv' });
  if (v.length < 16) throw new ConfigError(`the dashboard token in ${name} is shorter than 16 characters (live.dashboard.tokenEnv)`, { field: 'live.dashboard.tokenEnv' });
  return v;
}

const collect = (v: string, acc: string[]): string[] => [...acc, v];

/** The in-process local exchange of `--paper`: the scenario's market (synthetic, or its store from data.range), one account with the scenario's balances. */
async function paperVenue(s: Scenario): Promise<{ rest: string; ws: string; credentials: Credentials; close: () => Promise<void>; describe: string }> {
  let instruments: Instrument[];
  let source: LocalExchangeOptions['source'];
  let startDataUs: number | undefined;
  if (s.data.source === 'store') {
    ({ instruments, source } = await storeMarket(s.data.store!, s.data.venue, s.data.symbols));
    startDataUs = s.data.range?.fromUs;
  } else {
    instruments = s.data.symbols.map((sym) => syntheticInstrument(sym));
    source = syntheticMarket(instruments, s.seed, Date.now() * 1000, 30 * 86_400);
  }
  const credentials: Credentials = { apiKey: `paper${randomBytes(30).toString('hex')}`, secret: randomBytes(32).toString('hex'), keyType: 'HMAC' };
  const balances: Record<string, string> = {};
  for (const [asset, amount] of Object.entries(s.account.balances)) balances[asset.toUpperCase()] = amount;
  const account: ExchangeAccount = { name: 'paper', apiKey: credentials.apiKey, secret: credentials.secret, balances, leverage: s.account.leverage };
  const ex = new LocalExchange({
    instruments,
    source,
    speed: 1,
    accounts: [account],
    startDataUs,
    margin: s.account.margin,
    execution: {
      rng: new Rng(`paper/${s.seed}`),
      funding: { mode: 'data' },
      queueModel: s.execution.queue,
      fees: feeSchedule(s),
      crossingFills: s.execution.crossingFills,
      selfTradePrevention: s.execution.selfTradePrevention,
      partialFills: s.execution.partialFills,
      bookSource: bookSourceOf(s.data.book),
    },
  });
  const server = new ExchangeServer(ex, [account], { streams: { aggTradesFromTrades: s.data.source !== 'store' } });
  const port = await server.listen({ port: 0, host: '127.0.0.1' });
  await ex.start();
  if (ex.sourceError !== undefined) {
    await server.close();
    throw new ConfigError(`--paper: reading the market data failed: ${ex.sourceError.message}`, { field: 'data' });
  }
  const rest = `http://127.0.0.1:${port}`;
  return {
    rest,
    ws: rest.replace(/^http/, 'ws'),
    credentials,
    describe: `paper: in-process local exchange on ${rest} (${s.data.source === 'store' ? `store ${s.data.store}` : 'synthetic market'} ${s.data.symbols.join(', ')})`,
    async close() {
      ex.stop();
      await server.close();
    },
  };
}

function setExit(cmd: Command, code: number): void {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  (root as Command & { exitStatus?: number }).exitStatus = code;
}

export function registerLive(program: Command): void {
  program
    .command('live')
    .summary('trade the scenario live on Binance USDⓈ-M, on `maker exchange` (--venue), or on paper (--paper)')
    .description(
      'Runs the scenario\'s trading core (strategy, signals, risk, OMS: the same code as `maker backtest`) against a ' +
        'Binance USDⓈ-M venue: real Binance (the scenario\'s live.rest / live.ws, keys from the environment variables ' +
        'live.apiKeyEnv / live.secretEnv or live.secretFile), a `maker exchange` (--venue http://127.0.0.1:8090, its ' +
        'test key in the same variables), or --paper: an in-process local exchange on the scenario\'s market (the ' +
        'synthetic market, or data.store from data.range), no key and no network.\n\n' +
        'Start-up: the venue\'s instruments, server time, then reconciliation (live.reconcile: open orders adopt / cancel / ' +
        'halt, a position adopt / halt), the user-data stream and its account snapshot, and only then the market streams; ' +
        'the core quotes once its books are synced. Orders go over REST; an outcome the venue cannot confirm (timeout, 503, ' +
        '-1006/-1007) is settled by query, never by resending. With live.orderEntry: ws they go over the WebSocket API: ' +
        'while its connection reconnects the core decides and sends nothing (what rests stays) and decides afresh once it ' +
        'is back; after 12 failed connects in a row the session stops (exit 1).\n\n' +
        'Each session writes <out>/<run id>/: scenario.yaml, journal.log (every input of the core with its clock, every ' +
        'command, written before the command is sent) and summary.json. `maker replay <run dir>` re-runs the core over ' +
        'the journal and compares every command.\n\n' +
        'Stopping (SIGINT, SIGTERM, live.killFile appearing, --duration): no more decisions; every open order of the ' +
        'traded symbols is cancelled with DELETE /fapi/v1/allOpenOrders (streams not needed), positions are closed with ' +
        'reduce-only MARKET orders when live.shutdown.flatten is set, and both are confirmed by query within ' +
        'live.shutdown.confirmTimeoutS. Fills that race the cancels are still journalled and booked, and the trades since ' +
        'the last one the user stream delivered are read back (GET /fapi/v1/userTrades) before the journal closes. ' +
        'A second signal exits at once without confirming.\n\n' +
        'Exit status: 0 stopped and confirmed; 1 a fatal error during the session (the shutdown still ran; see ' +
        'summary.json), e.g. the WebSocket API order entry (live.orderEntry: ws) gave up reconnecting; 2 bad options, scenario or keys, ' +
        'or the venue unreachable at start (the WebSocket API not open within 30 s); 3 stopped but NOT confirmed ' +
        '(orders may rest on the venue, or the final trade read-back failed: check them); 4 refused to start by the reconciliation policy (halt, or cancel whose start-up cancels were not confirmed: check the venue); 5 the --lock ' +
        'file is held by another live session; 130 a second signal.\n\n' +
        'At the end the run directory also gets report.html (unless --no-report): the backtest\'s report of the session ' +
        'itself plus "live vs simulated": the same scenario backtested on the market the session received, live fills ' +
        'against simulated ones (count, volume, prices, match rate by order and by time), markouts and PnL side by side. ' +
        'A report that cannot be written is logged and does not change the exit status.',
    )
    .requiredOption('--scenario <file>', 'scenario YAML (the backtest\'s, plus an optional live section: docs/SCENARIO.md)')
    .option('--set <key=value>', 'override a scenario key (repeatable), e.g. --set live.shutdown.flatten=true', collect, [])
    .option('--paper', 'trade on an in-process local exchange (no key, no network)', false)
    .option('--venue <url>', 'REST base of a Binance-compatible venue, e.g. http://127.0.0.1:8090 (a maker exchange); streams at the same host over ws://')
    .option('--ws <url>', 'stream base when it differs from --venue\'s')
    .option('--out <dir>', 'parent directory of the run directory', 'reports')
    .option('--duration <time>', 'stop after this long (e.g. 30s, 10m, 2h), as on SIGINT')
    .option('--json', 'log lines as JSON on stdout; the last line is the summary', false)
    .option('--dashboard <port>', 'serve the live dashboard (page, kill switch, pause/resume, /metrics, /healthz, /readyz) on this port; 0 picks a free one. The URL and token are printed at start (docs/LIVE.md "Dashboard")')
    .option('--dashboard-host <host>', 'interface the dashboard binds to (anything but loopback exposes plain HTTP to the network)', '127.0.0.1')
    .option('--lock <file>', 'hold an exclusive lease on this file for the whole session, so two sessions sharing it never trade at once: renewed every 2 s; a file still renewed is exit 5; one not renewed for 15 s (a killed holder) is taken over; removed at the end. Use one lock file per account, on a disk both would see (deploy/README.md)')
    .option('--no-report', 'do not write report.html at the end (it replays the journal and backtests the market the session saw: seconds for a short session, longer for hours of depth; SIGINT then skips it, keeping the exit status); `maker replay <run dir> --report` writes it later')
    .addHelpText('after', '\nExamples:\n  maker live --scenario scenarios/quickstart.yaml --paper --duration 1m\n  maker live --scenario scenarios/quickstart.yaml --paper --dashboard 8091   # open the printed http://127.0.0.1:8091/#token=... URL\n  MAKER_API_KEY=... MAKER_API_SECRET=... maker live --scenario my.yaml --venue http://127.0.0.1:8090\n  maker live --scenario scenarios/live-btcusdc.yaml --lock /data/live/btcusdc.lock\n  maker replay reports/<run id>')
    .action(async (opts: LiveCliOptions, cmd: Command) => {
      const scenario = loadScenarioFile(opts.scenario, { set: opts.set });
      const scenarioText = readFileSync(opts.scenario, 'utf8');
      const durationMs = opts.duration === undefined ? undefined : parseDurationMs(opts.duration, '--duration');
      if (opts.paper && opts.venue !== undefined) throw new ConfigError('--paper and --venue exclude each other', { field: '--venue' });
      const log = (line: string): void => {
        if (opts.json) process.stdout.write(`${JSON.stringify({ type: 'log', message: line })}\n`);
        else process.stderr.write(`maker live: ${line}\n`);
      };
      // Checked before anything starts (an in-process exchange would keep the process alive).
      const port = opts.dashboard === undefined ? 0 : dashboardPort(opts.dashboard);
      const token = opts.dashboard === undefined ? undefined : dashboardToken(scenario, process.env);
      let rest = scenario.live.rest;
      let ws = scenario.live.ws;
      let wsApi = scenario.live.wsApi;
      let credentials: Credentials;
      let paper: Awaited<ReturnType<typeof paperVenue>> | undefined;
      if (opts.venue !== undefined) {
        if (!/^https?:\/\//.test(opts.venue)) throw new ConfigError(`--venue must be an http(s) URL such as http://127.0.0.1:8090, got "${opts.venue}"`, { field: '--venue' });
        rest = opts.venue.replace(/\/$/, '');
        ws = rest.replace(/^http/, 'ws');
        wsApi = `${ws}/ws-fapi/v1`;
      }
      if (opts.ws !== undefined) ws = opts.ws.replace(/\/$/, '');
      if (opts.paper) {
        paper = await paperVenue(scenario);
        ({ rest, ws, credentials } = paper);
        wsApi = `${ws}/ws-fapi/v1`;
        log(paper.describe);
      } else credentials = credentialsFrom(scenario.live, process.env);
      // Checked here (paper serves its own): a bad stream base would otherwise fail inside the user stream's connect.
      if (!/^wss?:\/\/[^/\s]/.test(ws)) {
        const field = opts.ws !== undefined ? '--ws' : 'live.ws';
        throw new ConfigError(`${field} must be a ws:// or wss:// URL such as wss://fstream.binance.com, got "${ws}"`, { field });
      }
      let dashboard: LiveDashboard | undefined;
      if (opts.dashboard !== undefined) {
        dashboard = new LiveDashboard({ host: opts.dashboardHost, port, token, wallUs: () => new WallClock().nowUs(), log });
        let url: string;
        try {
          url = await dashboard.listen();
        } catch (e) {
          await paper?.close();
          throw new ConfigError(`--dashboard: cannot listen on ${opts.dashboardHost}:${port}: ${(e as Error).message}`, { field: '--dashboard' });
        }
        if (!['127.0.0.1', 'localhost', '::1'].includes(opts.dashboardHost)) log(`WARNING: the dashboard listens on ${opts.dashboardHost}: plain HTTP, reachable from the network; the token crosses it unencrypted`);
        const tokenEnv = scenario.live.dashboard.tokenEnv;
        // The random token is printed once, here (it is the only way to learn it); a token from the environment is not echoed.
        if (opts.json) process.stdout.write(`${JSON.stringify(tokenEnv === null ? { type: 'dashboard', dashboard: url, token: dashboard.token } : { type: 'dashboard', dashboard: url, tokenEnv })}\n`);
        else process.stderr.write(`maker live: dashboard ${url}/${tokenEnv === null ? `#token=${dashboard.token}` : ` (token: the value of ${tokenEnv})`}\n`);
      }
      let lease: FileLease | undefined;
      if (opts.lock !== undefined) {
        try {
          lease = await acquireFileLease({ path: opts.lock, timers: wallTimers, log });
        } catch (e) {
          await paper?.close();
          await dashboard?.close();
          throw e;
        }
        log(`holding the lock ${opts.lock}`);
      }
      const session = new LiveSession({
        scenario,
        scenarioText,
        overrides: opts.set,
        rest,
        ws,
        wsApi,
        credentials,
        out: opts.out,
        paper: opts.paper,
        feed: (o) => new LiveMarketFeed(o),
        wallUs: () => new WallClock().nowUs(),
        timers: wallTimers,
        log,
        serverOffsetMs: opts.paper ? 0 : undefined,
        onTrader: dashboard === undefined ? undefined : (core) => dashboard.onTrader(core),
        onLatency: dashboard === undefined ? undefined : (kind, ms) => dashboard.onLatency(kind, ms),
      });
      dashboard?.attach(session);
      lease?.onLost((why) => session.fail(new Error(`lost the lock: ${why}; stopping, since another session may trade this account now`)));
      let signals = 0;
      // After the confirmed shutdown, while report.html is written: a signal stops the report only
      // (the summary and the session's exit status stand); the default action used to kill the
      // process there, leaving the report's temporary store and no summary, with status 130, which
      // reads as "the shutdown was not confirmed".
      let reporting = false;
      let reportStoppedBy: string | undefined;
      const onSignal = (sig: string): void => {
        if (reporting) {
          if (reportStoppedBy !== undefined) {
            process.stderr.write(`maker live: second ${sig}: exiting at once, without report.html; the shutdown had been ${summary.shutdown.confirmed ? 'confirmed' : 'NOT confirmed'} (summary.json in ${summary.runDir})\n`);
            process.exit(summary.exitCode);
          }
          reportStoppedBy = sig;
          return;
        }
        signals++;
        if (signals > 1) {
          process.stderr.write(`maker live: second ${sig}: exiting at once; the shutdown was NOT confirmed (check the venue for open orders)\n`);
          process.exit(130);
        }
        void session.stop(sig);
      };
      const onInt = (): void => onSignal('SIGINT');
      const onTerm = (): void => onSignal('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      let summary: SessionSummary;
      // The adapter's timers are unref'd: while the session runs or shuts down (its retries and
      // waits on those timers alone once the sockets are gone, e.g. after a start refused by the
      // venue), this handle keeps the process alive, so the shutdown finishes and the exit is its own.
      const alive = setInterval(() => {}, 1 << 30);
      try {
        try {
          await session.start();
        } catch (e) {
          await session.stop(`start failed: ${(e as Error).message}`);
          throw e;
        }
        log(`run directory ${session.runDir}`);
        if (opts.json) process.stdout.write(`${JSON.stringify({ type: 'started', runDir: session.runDir, runId: session.runId, rest, ws })}\n`);
        let timer: NodeJS.Timeout | undefined;
        if (durationMs !== undefined) timer = setTimeout(() => void session.stop(`--duration ${opts.duration}`), durationMs);
        const tick = setInterval(() => {
          const r = session.runnerStats;
          const c = session.counters;
          log(`market ${r.marketEvents} venue ${r.venueEvents} | orders ${r.sent.submit} cancels ${r.sent.cancel} modifies ${r.sent.modify} queries ${r.sent.query} | reports ${c.reports}`);
        }, 10_000);
        tick.unref();
        summary = await session.done;
        clearInterval(tick);
        if (timer !== undefined) clearTimeout(timer);
        reporting = true;
      } finally {
        clearInterval(alive);
        if (!reporting) {
          process.off('SIGINT', onInt);
          process.off('SIGTERM', onTerm);
        }
        lease?.release();
        await paper?.close();
        await dashboard?.close();
      }
      // The session report: after the shutdown (nothing is left to confirm), from the journal alone.
      let reportFile: string | null = null;
      try {
        if (opts.report && summary.runDir !== '') {
          const checkpoint = async (): Promise<void> => {
            await new Promise<void>((resolve) => setImmediate(resolve));
            if (reportStoppedBy !== undefined) throw new MakerError('E_INTERRUPTED', `stopped by ${reportStoppedBy}`, { exitCode: summary.exitCode });
          };
          try {
            const rep = await writeLiveSessionReport(summary.runDir, { checkpoint });
            reportFile = rep.file;
            log(`report ${rep.file}${rep.simulationError !== null ? ` (no live-vs-simulated section: ${rep.simulationError})` : ''}`);
          } catch (e) {
            log(`report.html NOT written: ${(e as Error).message}; maker replay ${summary.runDir} --report writes it`);
          }
        }
      } finally {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      }
      if (opts.json) process.stdout.write(`${JSON.stringify({ type: 'summary', ...summary, report: reportFile })}\n`);
      else {
        const l = summary.latencyMs.tickToOrder as { p50: number; p99: number } | null;
        process.stderr.write(
          `maker live: ${summary.exitCode === EXIT.ok ? 'stopped; every order cancelled and confirmed' : summary.exitCode === EXIT.unconfirmed ? (summary.shutdown.confirmed ? `stopped, but the final userTrades read-back failed (${summary.shutdown.tradesReconciled?.detail}): the journal may miss the last fills; check the venue's trades` : 'stopped, but the cancels were NOT confirmed: check the venue') : `stopped after a fatal error: ${summary.fatal}`}\n` +
            `  ${summary.runner.sent.submit} orders, ${summary.runner.sent.cancel} cancels, ${summary.runner.sent.modify} modifies, ${summary.core.reports} reports; position ${Object.entries(summary.positions).map(([s, l]) => `${s} ${l} lots`).join(', ')}\n` +
            (l !== null ? `  tick-to-order p50 ${l.p50.toFixed(3)} ms, p99 ${l.p99.toFixed(3)} ms\n` : '') +
            `  ${summary.runDir}/ (journal.log, summary.json${reportFile !== null ? ', report.html' : ''}); maker replay ${summary.runDir}\n`,
        );
      }
      setExit(cmd, summary.exitCode);
    });

  program
    .command('replay')
    .summary('re-run a live session\'s trading core over its journal and compare every command')
    .description(
      'Reads <run dir>/journal.log (written by `maker live`), builds the same trading core from the journalled scenario, ' +
        'instruments and balances, gives it every journalled input at its journalled clock, and compares the commands it ' +
        'gives with the ones the session sent, in order. Exit 0 when all match, 1 on any difference (the first is shown), ' +
        '2 when the journal cannot be read.\n\n' +
        '--report (re)writes <run dir>/report.html, as `maker live` does at the end of a session: the session\'s report ' +
        'and "live vs simulated" (the scenario backtested on the market the session received, fills compared by order ' +
        'and by time, markouts, PnL). The same journal gives the same bytes.',
    )
    .argument('<run dir>', 'a live run directory (or its journal.log)')
    .option('--json', 'print one JSON object {commands, matched, journalHash, replayHash, ...}', false)
    .option('--to-store <dir>', 'also write the market the session saw into a store (venue binance-usdm), to backtest the scenario on it and compare with the live fills')
    .option('--report', 'also (re)write <run dir>/report.html: the session\'s report with the "live vs simulated" section (the same bytes for the same journal)', false)
    .action(async (dir: string, opts: { json: boolean; toStore?: string; report: boolean }, cmd: Command) => {
      const r = replayJournal(dir);
      let report: { file: string; fills: { live: number; simulated: number | null }; simulationError: string | null } | null = null;
      if (opts.report) {
        const rep = await writeLiveSessionReport(dir);
        report = { file: rep.file, fills: rep.fills, simulationError: rep.simulationError };
        process.stderr.write(`replay: report ${rep.file} (${rep.fills.live} live fills, ${rep.fills.simulated ?? 'no'} simulated${rep.simulationError !== null ? `; no live-vs-simulated section: ${rep.simulationError}` : ''})\n`);
      }
      if (opts.toStore !== undefined) {
        const s = await journalToStore(dir, opts.toStore);
        const range = `${new Date(Math.floor(s.fromUs / 1000)).toISOString()}..${new Date(Math.ceil(s.toUs / 1000)).toISOString()}`;
        process.stderr.write(`replay: ${s.events} market events of ${s.symbols.join(', ')} written to ${opts.toStore}; backtest them with data.source: store, data.store: ${opts.toStore}, data.range: ${range}\n`);
      }
      const ok = r.firstDifference === null && r.commands === r.replayCommands;
      if (opts.json) process.stdout.write(`${JSON.stringify(report === null ? r : { ...r, report })}\n`);
      else {
        process.stdout.write(
          `replay: ${r.inputs} inputs, ${r.commands} commands in the journal, ${r.replayCommands} replayed, ${r.matched} matched\n` +
            `  journal ${r.journalHash}\n  replay  ${r.replayHash}\n` +
            (r.end === null ? '  the session did not end cleanly (killed?): replayed up to its last journalled input\n' : '') +
            (r.firstDifference !== null ? `  FIRST DIFFERENCE at command #${r.firstDifference.index} (t=${r.firstDifference.tUs}):\n    journal: ${r.firstDifference.journal ?? '(none)'}\n    replay:  ${r.firstDifference.replay ?? '(none)'}\n` : '  identical\n'),
        );
      }
      setExit(cmd, ok ? 0 : 1);
    });
}
