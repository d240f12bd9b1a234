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
      'Serves the runs under --reports (default reports/, where maker backtest writes) on http://127.0.0.1:<port>/ (default 8092):\n' +
        '  /                      every run: scenario, period, seed, PnL, return, Sharpe, drawdown, fills, orders, uptime,\n' +
        '                         markout and data-quality flags (warnings, book gaps, resyncs, stream coverage); click a\n' +
        '                         column to sort; a partial or broken run directory is listed with the reason\n' +
        '  /run/<run>/            the run\'s own report.html (a sweep\'s leaderboard.html); also its summary.json and\n' +
        '                         Parquet tables (downloads)\n' +
        '  /compare?run=A&run=B   2 to 8 runs side by side: metrics, the scenario keys that differ, overlaid equity,\n' +
        '                         drawdown and position charts\n' +
        '  /api/runs              the list as JSON\n\n' +
        'The directory is scanned again on each visit of the list (new runs appear; unchanged summaries are cached). ' +
        'Runs are found up to 5 levels deep (sweep directories and their runs/ included); symbolic links are listed, not followed. ' +
        'The server only reads: GET and HEAD, files of run directories by name, nothing outside --reports. The pages load nothing ' +
        'from the network (they work offline). Bound to 127.0.0.1 unless --host says otherwise: there is no login, so bind it ' +
        'to another interface only on a network you trust.\n\n' +
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
