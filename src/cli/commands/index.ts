import type { Command } from 'commander';
import { registerBacktest } from './backtest.ts';
import { registerData } from './data.ts';
import { registerDownload } from './download.ts';
import { registerExchange } from './exchange.ts';
import { registerImport } from './import.ts';
import { registerLive } from './live.ts';
import { registerRecord } from './record.ts';
import { registerSweep } from './sweep.ts';
import { registerUi } from './ui.ts';
import { registerWorker } from './worker.ts';

/** Adds every subcommand to the program. Each command module exports one `register` function. */
export function registerCommands(program: Command): void {
  registerImport(program);
  registerDownload(program);
  registerData(program);
  registerBacktest(program);
  registerSweep(program);
  registerWorker(program);
  registerExchange(program);
  registerRecord(program);
  registerLive(program);
  registerUi(program);
}
