/**
 * `maker ui [--reports <dir>] [--port 0] [--host 127.0.0.1] [--json]`: serves the backtest runs of a
 * reports directory to a browser (src/ui/) until SIGINT/SIGTERM. Read-only.
 */
import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { ConfigError } from '../../core/errors.ts';
import { UiServer } from '../../ui/index.ts';

interface UiCliOptions {
  reports: string;
  port: string;
  host: string;
  json: boolean;
}

export function registerUi(program: Command): void {
  program
    .command('ui')
    .summary('browse and compare the backtest runs of a reports directory in a browser (read-only, loopback)')
    .description(
      'Serves the runs under --reports (default reports/, where maker backtest writes) on http://127.0.0.1:<port>/ (default port 8092).\n\n' +
        'The list (/): every run with its scenario, period, seed, PnL, return, Sharpe, drawdown, fills, orders, fill ratio, ' +
        'quote uptime, maker share, markout and data-quality flags (warning codes, book gaps and resyncs, lowest stream coverage); ' +
        'click a column to sort. A partial run directory (no summary.json, or files missing), a broken one (a summary that does not ' +
        'parse, a wrong schema) or a run still being written is listed with the reason.\n\n' +
        "A run (/run/<run>/): its own report.html (a sweep's leaderboard.html), and its summary.json and Parquet tables.\n\n" +
        'A comparison (tick 2 to 8 runs, then Compare: /compare?run=A&run=B): the metrics side by side, the scenario keys whose ' +
        'values differ, and equity, drawdown and position overlaid.\n\n' +
        'The same list as JSON: /api/runs.\n\n' +
        'The directory is scanned again at each visit of the list (new runs appear; unchanged summaries are cached). Runs are found ' +
        'up to 5 levels deep (sweep directories and their runs/ included; maker live sessions too, as "live" runs with their session report); symbolic links are listed, not followed. The server ' +
        'only reads: GET and HEAD, files of run directories by name, nothing outside --reports. The pages load nothing from the ' +
        'network (they work offline). Bound to 127.0.0.1 unless --host says otherwise: there is no login, so bind it to another ' +
        'interface only on a network you trust.\n\n' +
        'Stops on SIGINT/SIGTERM.',
    )
    .option('--reports <dir>', 'the reports directory (maker backtest --out)', 'reports')
    .option('--port <n>', 'TCP port (0: a free one)', '8092')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--json', 'print one JSON line {"ui":"http://HOST:PORT"} on stdout first, then nothing else', false)
    .addHelpText('after', '\nExamples:\n  maker ui\n  maker ui --reports runs --port 0 --json\n  maker backtest -s scenarios/quickstart.yaml --seed 7 && maker ui   # then open http://127.0.0.1:8092/')
    .action(async (opts: UiCliOptions) => {
      const port = Number(opts.port);
      if (!/^\d+$/.test(opts.port) || port > 65535) throw new ConfigError(`--port must be 0..65535, got "${opts.port}"`, { field: '--port' });
      let isDir = false;
      try {
        isDir = statSync(opts.reports).isDirectory();
      } catch {
        throw new ConfigError(`--reports: ${opts.reports} does not exist (maker backtest --out ${opts.reports} writes runs there)`, { field: '--reports' });
      }
      if (!isDir) throw new ConfigError(`--reports: ${opts.reports} is not a directory`, { field: '--reports' });
      const server = new UiServer({ reports: opts.reports, port, host: opts.host, log: (l) => process.stderr.write(`${l}\n`) });
      let url: string;
      try {
        url = await server.listen();
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new ConfigError(`cannot listen on ${opts.host}:${port}: ${err.code ?? err.message}${err.code === 'EADDRINUSE' ? ' (the port is taken: --port 0 picks a free one)' : ''}`, { field: '--port' });
      }
      if (!['127.0.0.1', 'localhost', '::1'].includes(opts.host)) process.stderr.write(`maker ui: warning: serving the runs of ${opts.reports} on ${opts.host}, without a login, to whoever reaches that address\n`);
      if (opts.json) process.stdout.write(`${JSON.stringify({ ui: url })}\n`);
      else process.stdout.write(`maker ui: the runs of ${opts.reports} on ${url}/\nCtrl-C stops it.\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await server.close();
      if (!opts.json) process.stdout.write('maker ui: stopped\n');
    });
}
