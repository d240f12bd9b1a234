/**
 * SIGINT / SIGTERM for the commands that must stop cleanly rather than die where they are
 * (`backtest`, `import`, `record`, `sweep`): Node's default action kills the process at once, mid-write,
 * leaving staging directories (`.<run>.partial-<pid>`, `.spill-<pid>-*`), an uncompacted journal
 * and no last line (and a sweep's lock).
 *
 * While an `Interrupts` is open the signals are caught: the first one is recorded (`received`) and
 * `onFirst` runs (the recorder starts its stop there); a command that runs long synchronous work
 * notices at its next `checkpoint()` (the backtest engine calls it between batches: it yields to the
 * event loop, which a run otherwise never does, so that the handler runs at all) and throws
 * `interruptedError`, E_INTERRUPTED, exit 130 for SIGINT and 143 for SIGTERM (128 + the signal
 * number, what a shell reports for a process the signal killed). The cleanup is the command's own
 * `finally` / abort path. A second signal while that cleanup runs exits at once with the first
 * signal's status, saying so (and `secondNote`, e.g. what keeps the data).
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

export interface InterruptOptions {
  /** Runs at the first signal. */
  onFirst?(sig: StopSignal): void;
  /** Added to the line a second signal prints ("exiting at once, <note>"). */
  secondNote?: string;
}

export class Interrupts {
  private first: StopSignal | undefined;
  private readonly onInt = (): void => this.receive('SIGINT');
  private readonly onTerm = (): void => this.receive('SIGTERM');

  /** `command` names the process in the line a second signal prints (`maker backtest`). */
  constructor(
    private readonly command: string,
    private readonly opts: InterruptOptions = {},
  ) {
    process.on('SIGINT', this.onInt);
    process.on('SIGTERM', this.onTerm);
  }

  /** The first signal received, if any. */
  get received(): StopSignal | undefined {
    return this.first;
  }

  private receive(sig: StopSignal): void {
    if (this.first !== undefined) {
      const note = this.opts.secondNote;
      process.stderr.write(`\n${this.command}: second ${sig}: exiting at once${note ? `, ${note}` : ''}\n`);
      process.exit(signalExitCode(this.first));
    }
    this.first = sig;
    this.opts.onFirst?.(sig);
  }

  /**
   * Lets a pending signal be handled (one turn of the event loop), then throws
   * `interruptedError(sig, what)` if one was. For long synchronous work that has natural pauses.
   */
  async checkpoint(what: string): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.first !== undefined) throw interruptedError(this.first, what);
  }

  /** Stops catching the signals (the default action again). */
  close(): void {
    process.off('SIGINT', this.onInt);
    process.off('SIGTERM', this.onTerm);
  }
}
