/**
 * The `maker` command line. Each subcommand lives in `commands/`; this file wires them up and
 * turns errors into one clear line and an exit status (no stack traces for user mistakes).
 */
import { Command, CommanderError } from 'commander';
import { MakerError } from '../core/errors.ts';
import { registerCommands } from './commands/index.ts';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('maker')
    .description('Deterministic, backtest-first market maker for Binance USDⓈ-M perpetual futures.')
    .version('0.1.0', '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  return program;
}

/** Runs the CLI and returns the exit status (0 ok, 1 findings, 2 bad input or usage). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    const code = (program as Command & { exitStatus?: number }).exitStatus;
    return typeof code === 'number' ? code : (process.exitCode as number | undefined) ?? 0;
  } catch (e) {
    return reportError(e);
  }
}

export function reportError(e: unknown): number {
  if (e instanceof CommanderError) {
    // commander already printed the message (or the help / version output).
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    return e.exitCode === 0 ? 0 : 2;
  }
  if (e instanceof MakerError) {
    process.stderr.write(`maker: error [${e.code}]: ${e.describe()}\n`);
    return e.exitCode;
  }
  const sys = e as NodeJS.ErrnoException;
  if (sys && typeof sys.code === 'string' && typeof sys.syscall === 'string') {
    // A file-system error (EACCES, ENOSPC, EROFS, ...) is the machine's answer, not a bug: one line.
    process.stderr.write(`maker: error [E_IO]: ${sys.path ? `${sys.path}: ` : ''}${sys.syscall} failed: ${sys.code} (${sys.message.replace(/^\w+: /, '')})\n`);
    return 2;
  }
  const err = e as Error;
  process.stderr.write(`maker: internal error: ${err?.stack ?? String(e)}\n`);
  return 70;
}
