/**
 * SIGINT / SIGTERM for the commands that must stop cleanly rather than die where they are
 * (`backtest`, `import`, `sweep`): Node's default action kills the process at once, mid-write,
 * leaving staging directories (`.<run>.partial-<pid>`, `.spill-<pid>-*`) and no last line.
 *
 * While an `Interrupts` is open the signals are caught: the first one is recorded (`received`),
 * `signal` aborts and `onStop` listeners run; the command notices at its next `checkpoint()` (the
 * backtest engine calls it between batches: it yields to the event loop, which a run otherwise never
 * does, so that the handler runs at all) and throws `interruptedError`, E_INTERRUPTED, exit 130 for
 * SIGINT and 143 for SIGTERM (128 + the signal number, what a shell reports for a process the
 * signal killed). The cleanup is the command's own `finally` / abort path. A second signal while
 * that cleanup runs exits at once with the same status, saying so.
 */
import { MakerError } from '../core/errors.ts';

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** 130 for SIGINT, 143 for SIGTERM. */
export function signalExitCode(sig: StopSignal): number {
  return sig === 'SIGTERM' ? 143 : 130;
}

/** The command's E_INTERRUPTED error: `stopped by SIGINT <what>` (exit 130 / 143). */
export function interruptedError(sig: StopSignal, what: string): MakerError {
  return new MakerError('E_INTERRUPTED', `stopped by ${sig} ${what}`, { exitCode: signalExitCode(sig) });
}

export class Interrupts {
  private readonly controller = new AbortController();
  private first: StopSignal | undefined;
  private readonly onInt = (): void => this.receive('SIGINT');
  private readonly onTerm = (): void => this.receive('SIGTERM');

  /** `command` names the process in the line a second signal prints (`maker backtest`). */
  constructor(private readonly command: string) {
    process.on('SIGINT', this.onInt);
    process.on('SIGTERM', this.onTerm);
  }

  /** Aborted at the first signal (its reason: the signal's name). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The first signal received, if any. */
  get received(): StopSignal | undefined {
    return this.first;
  }

  private receive(sig: StopSignal): void {
    if (this.first !== undefined) {
      process.stderr.write(`\n${this.command}: second ${sig}: exiting at once\n`);
      process.exit(signalExitCode(this.first));
    }
    this.first = sig;
    this.controller.abort(sig);
  }

  /**
   * Lets a pending signal be handled (one turn of the event loop), then throws
   * `interruptedError(sig, what)` if one was. For long synchronous work that has natural pauses.
   */
  async checkpoint(what: string): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.throwIfReceived(what);
  }

  throwIfReceived(what: string): void {
    if (this.first !== undefined) throw interruptedError(this.first, what);
  }

  /** Stops catching the signals (the default action again). */
  close(): void {
    process.off('SIGINT', this.onInt);
    process.off('SIGTERM', this.onTerm);
  }
}
