/**
 * `maker exchange`: serves a local Binance USDⓈ-M exchange on loopback until SIGINT/SIGTERM. The
 * market is the synthetic market, a store's replay (--store, --from) or raw files' (--raw); orders meet it through the
 * backtest's simulated exchange. Accounts come from --accounts (a YAML file), else the built-in test
 * account. Prints the URLs and the accounts; `--json`: one JSON line.
 */
import type { Command } from 'commander';
import { collect, formatWarning, registryFromFiles } from '../specs.ts';
import { ConfigError, MakerError } from '../../core/errors.ts';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { ExchangeServer, keyTypeOf, LocalExchange, loadAccountsFile, loadFaultPlanFile, parseRateLimitsFlag, rawMarket, storeMarket, syntheticMarket, type ExchangeAccount, type LocalExchangeOptions } from '../../exchange-fake/index.ts';
import type { Instrument } from '../../model/instrument.ts';
import { bookSourceOf, loadScenarioFile, parseTimeRange } from '../../scenario/index.ts';
import { feeSchedule } from '../../backtest/index.ts';
import type { SimExchangeOptions } from '../../sim-exchange/index.ts';
import { Rng } from '../../core/random.ts';
import { parseSeedOption } from '../options.ts';
import { syntheticInstrument } from '../../synthetic/index.ts';

interface ExchangeCliOptions {
  port: string;
  host: string;
  symbols: string;
  seed: string;
  speed: string;
  json: boolean;
  store?: string;
  raw?: string[];
  spec: string[];
  inferSpec: boolean;
  venue: string;
  from?: string;
  accounts?: string;
  rateLimits: string;
  faults?: string;
  admin: boolean;
  scenario?: string;
  set: string[];
}

/** The built-in test account (loopback only; not a Binance credential). */
export const DEFAULT_ACCOUNT: ExchangeAccount = {
  name: 'test',
  apiKey: 'makerTestApiKey0000000000000000000000000000000000000000000000000',
  secret: 'makerTestSecret000000000000000000000000000000000000000000000000',
};

function positiveNumber(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${flag} must be a positive number, got "${v}"`, { field: flag });
  return n;
}

/**
 * What listening on `host:port` failing means, naming the option to change: the port is taken or
 * privileged (--port), the host is not an address of this machine or does not resolve (--host).
 */
export function listenError(e: unknown, port: number, host: string): MakerError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const at = `${host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new ConfigError(`port ${port} is in use on ${host} (EADDRINUSE; another maker exchange?): choose another --port, or --port 0 for a free one`, { field: '--port' });
    case 'EACCES':
    case 'EPERM':
      return new ConfigError(`not allowed to listen on ${at} (${code}; ports below 1024 need privileges): choose another --port, or --port 0 for a free one`, { field: '--port' });
    case 'EADDRNOTAVAIL':
      return new ConfigError(`${host} is not an address of this machine (EADDRNOTAVAIL): give one of its addresses, e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`, { field: '--host' });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return new ConfigError(`cannot resolve the host "${host}" (${code}): give an address of this machine, e.g. 127.0.0.1 or 0.0.0.0`, { field: '--host' });
    default:
      return new ConfigError(`cannot listen on ${at} (--host ${host} --port ${port}): ${(e as Error).message ?? String(e)}`, { field: '--host' });
  }
}

/**
 * Listens on `host:port` and closes again, before the market data loads (a store or raw files take
 * seconds to minutes): a --host that is not an address of this machine, a name that does not
 * resolve or a --port in use fails at once, naming the option (`listenError`), instead of after the
 * wait. The server binds again once the data is ready; should another process take the port in
 * between, that bind fails with the same message.
 */
export async function checkListen(port: number, host: string): Promise<void> {
  const probe = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen({ port, host }, () => resolve());
    });
  } catch (e) {
    throw listenError(e, port, host);
  } finally {
    await new Promise<void>((resolve) => (probe.listening ? probe.close(() => resolve()) : resolve()));
  }
}

export function registerExchange(program: Command): void {
  program
    .command('exchange')
    .summary('serve a local Binance USDⓈ-M exchange (REST and market streams) on loopback for clients and tests')
    .description(
      'Starts a local exchange that speaks Binance USDⓈ-M REST (/fapi/v1/...): exchangeInfo, time, ping, depth, ' +
        'ticker/bookTicker, ticker/24hr, signed order endpoints (POST/PUT/DELETE/GET order, openOrders, allOpenOrders) and account ' +
        'endpoints (v2/v3 balance, account, positionRisk; leverageBracket; a 10,000 wallet per margin asset) with ' +
        "Binance's signing (HMAC-SHA256, Ed25519 or RSA keys), timestamp/recvWindow checks and error codes. The market is the synthetic " +
        'market, or a store\'s data (--store, from --from on), replayed with its recorded spacing in real time (or --speed ' +
        'times faster), its times mapped onto the wall clock; orders fill against it through the same simulated ' +
        'exchange as `maker backtest` (queue model, fees, Binance reject codes).\n\n' +
        '--raw <files...> replays recorded or downloaded files as they are, without a store: the formats maker import ' +
        'reads (Binance WebSocket / hftbacktest recordings, cryptofeed, Tardis.dev CSV, data.binance.vision CSV; a ' +
        'directory: its files by name), with the instruments of --spec exchangeInfo.json or --infer-spec, streamed and ' +
        'merged by receive time exactly as the store replay of their import; daily parts of one recording are read in ' +
        'order as one. The symbols served are those the files start with, or --symbols. Not with --store.\n\n' +
        'WebSocket market streams on the same port: <symbol>@depth (250 ms), @depth@100ms, @depth@500ms, @depth@0ms, ' +
        'partial depth @depth5|10|20[@100ms|@500ms], @trade, @aggTrade, @bookTicker, !bookTicker, @markPrice[@1s], @forceOrder, !forceOrder@arr (the data\'s liquidations and the accounts\' own), ' +
        '@kline_<1m..1d>, @ticker, @miniTicker, !ticker@arr, !miniTicker@arr, !markPrice@arr[@1s], as /ws/<streams>, /stream?streams=... or SUBSCRIBE, with or without ' +
        'the /public, /market, /private prefix.\n\n' +
        'User data stream: POST/PUT/DELETE /fapi/v1/listenKey, then /ws/<listenKey> (or ?listenKey=): ORDER_TRADE_UPDATE, ' +
        'TRADE_LITE, listenKeyExpired.\n\n' +
        'WebSocket API on /ws-fapi/v1: order.place, order.modify, order.cancel, order.status, account.status/balance/position (v1, v2), userDataStream.start/ping/stop, ' +
        'session.logon/status/logout (Ed25519 keys).\n\n' +
        'Accounts (--accounts <file>, a YAML list; docs/EXCHANGE_ADAPTER_SPEC.md, scenarios/exchange-accounts.yaml): API keys ' +
        'with an HMAC secret, an Ed25519 or an RSA public key, wallets per margin asset, leverage (every symbol and per symbol), ' +
        'margin type (CROSSED or ISOLATED, every symbol and per symbol) and position mode (dualSidePosition: true = hedge). ' +
        'Without it: one test account with 10,000 of each margin asset at 20x, cross, one-way. Orders beyond the margin the ' +
        'leverage allows are rejected -2019, as in `maker backtest`; an isolated position has its own wallet and is ' +
        'liquidated alone; leverage, marginType, positionMargin, positionSide/dual, commissionRate, symbolConfig; ' +
        'ACCOUNT_UPDATE and ACCOUNT_CONFIG_UPDATE on the user stream.\n\n' +
        'Funding: at the funding times and rates of the data\'s mark prices (the synthetic market: every 8 h from 00:00 UTC), booked as in ' +
        '`maker backtest`, with ACCOUNT_UPDATE reason FUNDING_FEE.\n\n' +
        "Rate limits as Binance counts them (REST and ws-fapi together): request weight per IP per minute (2400), orders per " +
        'account per 10 s (300) and per minute (1200), X-MBX-USED-WEIGHT-1M and X-MBX-ORDER-COUNT-10S/1M on every reply, 429 ' +
        'with Retry-After, then 418 IP bans (2 minutes, doubling up to 3 days) for clients that keep sending; --rate-limits ' +
        'off counts without refusing, a number multiplies the limits.\n\n' +
        'Faults on demand (docs/FAULTS.md): --faults plan.yaml injects dropped connections, depth gaps, stalls, listenKey ' +
        'expiry, 503/-1007 with or without the order applied, 429 then 418, clock skew, -5022, latency, fills racing cancels ' +
        'and maintenance; --admin adds the same through HTTP under /admin/faults. Each fault applied is a JSON line on stderr.\n\n' +
        'The replay delivers in bounded steps (at most 2,000 events or 10 ms, then pending requests are served): at a speed ' +
        'this machine cannot keep up with, the server keeps answering and the market is late rather than stalled; a warning ' +
        'line on stderr (with --json a JSON line {"warning":"replay-behind","lagMs",...}) says so once it is over 1 s behind.\n\n' +
        'Stops on SIGINT/SIGTERM, closing every connection. A --port in use (or privileged) or a --host that is not an address ' +
        'of this machine is an error naming the option and the value (exit 2), checked before any market data is read; so is ' +
        'every bad option or file.',
    )
    .option('--port <n>', 'TCP port (0: a free one)', '8090')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--symbols <list>', 'comma-separated symbols to serve (of the store with --store; with --raw default: the symbols the files start with)', 'BTCUSDT')
    .option('--seed <n>', 'seed of the synthetic market', '1')
    .option('--speed <x>', 'replay speed (1 = real time)', '1')
    .option('--store <dir>', 'replay this store (maker import --out <dir>) instead of the synthetic market')
    .option('--venue <name>', 'venue directory in the store', 'binance-usdm')
    .option('--raw <files...>', 'replay these recorded or downloaded files (what maker import reads; a directory: its files by name) directly, without a store')
    .option('--spec <file>', "with --raw: Binance exchangeInfo JSON with the files' instruments (repeatable), as maker import --spec", collect, [])
    .option('--infer-spec', 'with --raw: infer tick and step of symbols without a spec from the data, as maker import --infer-spec', false)
    .option('--from <utc>', 'with --store or --raw: start the replay at this UTC time (the book is built up to it at once), e.g. 2024-08-08T23:54:00Z')
    .option('--accounts <file>', 'accounts YAML: API keys (HMAC secret, Ed25519 or RSA public key), balances, leverage')
    .option('--rate-limits <mode>', "binance (Binance's limits), off (count and report, never refuse) or a multiplier of Binance's limits, e.g. 10", 'binance')
    .option('--faults <file>', 'fault plan YAML (docs/FAULTS.md): faults injected at times or on the Nth matching request')
    .option('--admin', 'serve the fault admin API under /admin/faults (POST a fault, GET the log, DELETE to clear)', false)
    .option('--scenario <file>', "simulate orders with this scenario's execution section (queue model, fees, crossing and partial fills, self-trade prevention) and data.book; its strategy, latency and data are not used")
    .option('--set <key=value...>', 'override scenario keys, as in maker backtest (e.g. execution.fees.default.makerRate=0.0001); needs --scenario', [])
    .option('--json', 'print one JSON line {rest, ws, wsApi, accounts} on stdout, then nothing else', false)
    .addHelpText('after', '\nExamples:\n  maker exchange\n  maker exchange --port 0 --json\n  maker exchange --symbols BTCUSDT,ETHUSDT --speed 10\n  maker exchange --store data/store --symbols BTCUSDT --from 2024-08-08T23:54:00Z --speed 10\n  maker exchange --raw btcusdt_20240808.gz ethusdt_20240808.gz --spec exchangeInfo.json --speed 10\n  maker exchange --accounts scenarios/exchange-accounts.yaml\n  maker exchange --faults examples/faults.yaml --admin')
    .action(async (opts: ExchangeCliOptions, cmd: Command) => {
      // A seed is digits (as every command's), normalised: "007" is seed 7.
      opts.seed = String(parseSeedOption(opts.seed, '--seed'));
      // The files first: their mistakes are reported before any data is read.
      executionOf(opts);
      const accountsFile = opts.accounts === undefined ? undefined : loadAccountsFile(opts.accounts);
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be 0..65535, got "${opts.port}"`, { field: '--port' });
      const speed = positiveNumber(opts.speed, '--speed');
      const rateLimits = parseRateLimitsFlag(opts.rateLimits);
      if (typeof rateLimits === 'string') throw new ConfigError(rateLimits, { field: '--rate-limits' });
      const symbols = opts.symbols.split(',').map((s) => s.trim()).filter((s) => s !== '');
      for (const s of symbols) if (!/^[A-Z0-9]{2,20}$/.test(s)) throw new ConfigError(`--symbols: "${s}" is not an upper-case symbol such as BTCUSDT`, { field: '--symbols' });
      if (symbols.length === 0) throw new ConfigError('--symbols: at least one symbol', { field: '--symbols' });
      if (opts.raw !== undefined && opts.store !== undefined) throw new ConfigError('--raw and --store are two market sources: give one (--raw replays files as they are, --store a store maker import wrote)', { field: '--raw' });
      if (opts.raw === undefined && (opts.spec.length > 0 || opts.inferSpec)) throw new ConfigError(`${opts.spec.length > 0 ? '--spec' : '--infer-spec'} needs --raw (a store keeps its own specs; the synthetic market has its own)`, { field: opts.spec.length > 0 ? '--spec' : '--infer-spec' });
      const replayed = opts.store !== undefined || opts.raw !== undefined;
      let fromUs: number | undefined;
      if (opts.from !== undefined) {
        if (!replayed) throw new ConfigError('--from needs --store or --raw (the synthetic market starts now)', { field: '--from' });
        try {
          fromUs = parseTimeRange(`${opts.from}..${opts.from}`).fromUs;
        } catch (e) {
          throw new ConfigError(`--from: ${(e as Error).message} (e.g. 2024-08-08T23:54:00Z)`, { field: '--from' });
        }
      }
      // The address before the data: a bad --host / --port fails now, not after the load.
      await checkListen(port, opts.host);
      let instruments: Instrument[];
      let source: LocalExchangeOptions['source'];
      if (opts.store !== undefined) {
        if (!existsSync(opts.store)) throw new ConfigError(`--store: ${opts.store} does not exist (import data with maker import --out ${opts.store})`, { field: '--store' });
        ({ instruments, source } = await storeMarket(opts.store, opts.venue, symbols));
      } else if (opts.raw !== undefined) {
        const explicit = cmd.getOptionValueSource('symbols') === 'cli';
        ({ instruments, source } = await rawMarket(opts.raw, {
          specs: registryFromFiles(opts.spec),
          inferSpecs: opts.inferSpec,
          symbols: explicit ? symbols : undefined,
          onWarning: (w) => process.stderr.write(opts.json ? `${JSON.stringify({ warning: w.code, file: w.file, symbol: w.symbol, message: w.message })}\n` : formatWarning(w)),
        }));
      } else {
        instruments = symbols.map((s) => syntheticInstrument(s));
        source = syntheticMarket(instruments, opts.seed, Date.now() * 1000, 30 * 86_400 * speed);
      }
      accountsFile?.checkAgainst(instruments);
      const accounts = accountsFile?.accounts ?? [DEFAULT_ACCOUNT];
      const known = { symbols: instruments.map((i) => i.symbol), accounts: accounts.flatMap((a) => [a.name, a.apiKey]) };
      const faults = opts.faults === undefined ? [] : loadFaultPlanFile(opts.faults, known);
      const ex = new LocalExchange({
        instruments,
        source,
        speed,
        accounts,
        startDataUs: fromUs,
        // Funding at the data's funding times (mark prices), mapped onto server time by the local exchange.
        execution: executionOf(opts),
      });
      // Recorded data brings its own aggregate trades (or has none); the synthetic market's are built from its trades.
      const server = new ExchangeServer(ex, accounts, { rateLimits, faults, admin: opts.admin, streams: { aggTradesFromTrades: !replayed } });
      // Each fault applied, as one JSON line on stderr (the log users and tests assert on).
      server.faults.onLog((e) => process.stderr.write(`${JSON.stringify(e)}\n`));
      let bound: number;
      try {
        bound = await server.listen({ port, host: opts.host });
      } catch (e) {
        throw listenError(e, port, opts.host);
      }
      // A replay this machine cannot keep up with is late, never silent: one warning when it first
      // falls over a second behind the clock (it still delivers every event, in order).
      let warned = false;
      ex.onLag((lagUs) => {
        if (warned || lagUs < 1_000_000) return;
        warned = true;
        const lagMs = Math.round(lagUs / 1000);
        process.stderr.write(
          opts.json
            ? `${JSON.stringify({ warning: 'replay-behind', lagMs, speed })}\n`
            : `maker exchange: warning: the replay is ${(lagMs / 1000).toFixed(1)} s behind the clock at speed ${speed}× (more events than this machine delivers in time); every event is still delivered, in order, late. Try a lower --speed.\n`,
        );
      });
      await ex.start();
      if (ex.sourceError !== undefined) {
        await server.close();
        // A raw file's error names its file and line already.
        if (opts.raw !== undefined && ex.sourceError instanceof MakerError) throw ex.sourceError;
        const what = opts.store !== undefined ? `--store ${opts.store}` : opts.raw !== undefined ? '--raw' : 'the synthetic market';
        throw new ConfigError(`${what}: reading the market data failed: ${ex.sourceError.message}`, { field: opts.store !== undefined ? '--store' : opts.raw !== undefined ? '--raw' : '--symbols' });
      }
      // Later failures stop the replay where it is; the server keeps serving what it has, and says so.
      ex.onSourceError((e) => process.stderr.write(`maker exchange: the market data stopped: ${e instanceof MakerError ? e.describe() : e.message}\n`));
      const base = `${opts.host}:${bound}`;
      const info = { rest: `http://${base}`, ws: `ws://${base}`, wsApi: `ws://${base}/ws-fapi/v1`, accounts: accounts.map((a) => (a.secret !== undefined ? { apiKey: a.apiKey, secret: a.secret } : { apiKey: a.apiKey })) };
      if (opts.json) process.stdout.write(`${JSON.stringify(info)}\n`);
      else {
        process.stdout.write(
          `maker exchange: local Binance USDⓈ-M on ${info.rest} (${opts.store !== undefined ? `store ${opts.store}` : opts.raw !== undefined ? `raw files ${opts.raw.join(', ')}` : 'synthetic'} ${instruments.map((i) => i.symbol).join(', ')}, speed ${speed}×)\n` +
            `  REST     ${info.rest}/fapi/v1/...\n` +
            `  streams  ${info.ws}/ws/<stream>, ${info.ws}/stream?streams=... (also under /public, /market)\n` +
            `  ws-fapi  ${info.wsApi}\n` +
            (accountsFile === undefined
              ? `  API key  ${DEFAULT_ACCOUNT.apiKey}\n  secret   ${DEFAULT_ACCOUNT.secret}\n  (a test account for this local exchange only)\n`
              : `  accounts from ${accountsFile.file}:\n${accounts.map((a) => `    ${a.name}  ${a.apiKey}  ${keyTypeOf(a)}\n`).join('')}`) +
            'Ctrl-C stops it.\n',
        );
      }
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      ex.stop();
      await server.close();
      if (!opts.json) process.stdout.write('maker exchange: stopped\n');
    });
}

/**
 * How the local exchange simulates orders: a scenario's `execution` section (and `data.book`) when
 * `--scenario` is given, else the defaults below. Funding always follows the data's mark prices
 * (the wire has no funding schedule of its own); latency is the wire's own.
 */
function executionOf(opts: ExchangeCliOptions): Omit<SimExchangeOptions, 'instruments'> {
  const base = { rng: new Rng(`exchange/${opts.seed}`), funding: { mode: 'data' } as const };
  if (opts.scenario === undefined) {
    if (opts.set.length > 0) throw new ConfigError('--set needs --scenario (the keys it overrides are a scenario\'s)', { field: '--set' });
    return { ...base, queueModel: { model: 'prob-power', variant: 2, power: 3 }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } } };
  }
  const s = loadScenarioFile(opts.scenario, { set: opts.set });
  return {
    ...base,
    queueModel: s.execution.queue,
    fees: feeSchedule(s),
    crossingFills: s.execution.crossingFills,
    selfTradePrevention: s.execution.selfTradePrevention,
    partialFills: s.execution.partialFills,
    bookSource: bookSourceOf(s.data.book),
  };
}
