/**
 * `maker exchange`: serves a local Binance USDⓈ-M exchange on loopback until SIGINT/SIGTERM. The
 * market is the synthetic market (the store replay comes next); orders meet it through the
 * backtest's simulated exchange. Prints the URLs and the test account; `--json`: one JSON line.
 */
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.ts';
import { ExchangeServer, LocalExchange, syntheticMarket, type ApiAccount } from '../../exchange-fake/index.ts';
import { Rng } from '../../core/random.ts';
import { syntheticInstrument } from '../../synthetic/index.ts';

interface ExchangeCliOptions {
  port: string;
  host: string;
  symbols: string;
  seed: string;
  speed: string;
  json: boolean;
  store?: string;
  accounts?: string;
}

/** The built-in test account (loopback only; not a Binance credential). */
export const DEFAULT_ACCOUNT: ApiAccount = {
  name: 'test',
  apiKey: 'makerTestApiKey0000000000000000000000000000000000000000000000000',
  secret: 'makerTestSecret000000000000000000000000000000000000000000000000',
};

function positiveNumber(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${flag} must be a positive number, got "${v}"`, { field: flag });
  return n;
}

export function registerExchange(program: Command): void {
  program
    .command('exchange')
    .summary('serve a local Binance USDⓈ-M exchange (REST) on loopback for clients and tests')
    .description(
      'Starts a local exchange that speaks Binance USDⓈ-M REST (/fapi/v1/...): exchangeInfo, time, ping, depth, ' +
        'ticker/bookTicker, and signed order endpoints (POST/PUT/DELETE/GET order, openOrders, allOpenOrders) with ' +
        "Binance's HMAC-SHA256 signing, timestamp/recvWindow checks and error codes. The market is the synthetic " +
        'market replayed in real time (or --speed times faster); orders fill against it through the same simulated ' +
        'exchange as `maker backtest` (queue model, fees, Binance reject codes).\n\n' +
        'Not yet served (issue 10, next): WebSocket market and user streams, ws-fapi, account/positions/balance ' +
        'endpoints, listenKey, rate-limit enforcement, fault injection, replaying a store (--store), accounts files.\n\n' +
        'Stops on SIGINT/SIGTERM, closing every connection.',
    )
    .option('--port <n>', 'TCP port (0: a free one)', '8090')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--symbols <list>', 'comma-separated symbols of the synthetic market', 'BTCUSDT')
    .option('--seed <n>', 'seed of the synthetic market', '1')
    .option('--speed <x>', 'replay speed (1 = real time)', '1')
    .option('--store <dir>', 'replay a store instead of the synthetic market (not implemented yet)')
    .option('--accounts <file>', 'accounts YAML with API keys and balances (not implemented yet)')
    .option('--json', 'print one JSON line {rest, ws, wsApi, accounts} on stdout, then nothing else', false)
    .addHelpText('after', '\nExamples:\n  maker exchange\n  maker exchange --port 0 --json\n  maker exchange --symbols BTCUSDT,ETHUSDT --speed 10')
    .action(async (opts: ExchangeCliOptions) => {
      if (opts.store !== undefined) throw new ConfigError('--store: replaying a store in `maker exchange` is not implemented yet (issue 10); the synthetic market is served', { field: '--store' });
      if (opts.accounts !== undefined) throw new ConfigError('--accounts: accounts files are not implemented yet (issue 10); the built-in test account is used', { field: '--accounts' });
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be 0..65535, got "${opts.port}"`, { field: '--port' });
      const speed = positiveNumber(opts.speed, '--speed');
      const symbols = opts.symbols.split(',').map((s) => s.trim()).filter((s) => s !== '');
      for (const s of symbols) if (!/^[A-Z0-9]{2,20}$/.test(s)) throw new ConfigError(`--symbols: "${s}" is not an upper-case symbol such as BTCUSDT`, { field: '--symbols' });
      if (symbols.length === 0) throw new ConfigError('--symbols: at least one symbol', { field: '--symbols' });
      const instruments = symbols.map((s) => syntheticInstrument(s));
      const startUs = Date.now() * 1000;
      const accounts = [DEFAULT_ACCOUNT];
      const ex = new LocalExchange({
        instruments,
        source: syntheticMarket(instruments, opts.seed, startUs, 30 * 86_400 * speed),
        speed,
        accounts,
        execution: { rng: new Rng(`exchange/${opts.seed}`), queueModel: { model: 'prob-power', variant: 2, power: 3 }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } } },
      });
      const server = new ExchangeServer(ex, accounts);
      const bound = await server.listen({ port, host: opts.host });
      await ex.start();
      const base = `${opts.host}:${bound}`;
      const info = { rest: `http://${base}`, ws: `ws://${base}`, wsApi: `ws://${base}/ws-fapi/v1`, accounts: accounts.map((a) => ({ apiKey: a.apiKey, secret: a.secret })) };
      if (opts.json) process.stdout.write(`${JSON.stringify(info)}\n`);
      else {
        process.stdout.write(
          `maker exchange: local Binance USDⓈ-M on ${info.rest} (synthetic ${symbols.join(', ')}, speed ${speed}×)\n` +
            `  REST     ${info.rest}/fapi/v1/...\n` +
            `  streams  ${info.ws} (not served yet)\n` +
            `  ws-fapi  ${info.wsApi} (not served yet)\n` +
            `  API key  ${DEFAULT_ACCOUNT.apiKey}\n  secret   ${DEFAULT_ACCOUNT.secret}\n` +
            '  (a test account for this local exchange only)\nCtrl-C stops it.\n',
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
