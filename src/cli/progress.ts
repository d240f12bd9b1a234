/**
 * Progress reporting for long CLI work, on stderr so that stdout stays clean for `--json`.
 * On a terminal: one line redrawn in place (bar, percent, rate, ETA), at most 10 times a second.
 * Otherwise (CI, a pipe): a plain line every 5 seconds, so logs stay readable.
 */

export interface ProgressOptions {
  label: string;
  /** Unit of `total`/`done` as shown to the user. */
  unit: 'bytes' | 'events';
  stream?: NodeJS.WriteStream;
  /** Force plain lines even on a TTY (tests). */
  plain?: boolean;
  quiet?: boolean;
}

function human(n: number, unit: 'bytes' | 'events'): string {
  if (unit === 'bytes') {
    if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
    if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
    if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} KiB`;
    return `${n} B`;
  }
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.ceil(s - m * 60)).padStart(2, '0')}s`;
}

export class Progress {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly startMs = Date.now();
  private lastDrawMs = 0;
  private drewTty = false;
  private events = 0;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = !opts.plain && Boolean(this.stream.isTTY);
  }

  /** `done` of `total` (in the unit given), and optionally how many events so far. */
  update(done: number, total: number, events?: number): void {
    if (this.opts.quiet) return;
    if (events !== undefined) this.events = events;
    const now = Date.now();
    if (now - this.lastDrawMs < (this.tty ? 100 : 5000)) return;
    this.lastDrawMs = now;
    const elapsedS = (now - this.startMs) / 1000;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const eta = frac > 0 ? (elapsedS * (1 - frac)) / frac : Infinity;
    const rate = elapsedS > 0 && this.events > 0 ? ` ${human(this.events / elapsedS, 'events')} events/s` : '';
    const pct = `${(frac * 100).toFixed(0).padStart(3)}%`;
    if (this.tty) {
      const width = 24;
      const filled = Math.round(frac * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      this.stream.write(`\r\x1b[2K${this.opts.label} ${bar} ${pct} ${human(done, this.opts.unit)}/${human(total, this.opts.unit)}${rate} ETA ${duration(eta)}`);
      this.drewTty = true;
    } else {
      this.stream.write(`${this.opts.label}: ${pct} ${human(done, this.opts.unit)}/${human(total, this.opts.unit)}${rate} ETA ${duration(eta)}\n`);
    }
  }

  /** Clears the in-place line (TTY) so the summary starts on a clean line. */
  done(): void {
    if (this.tty && this.drewTty) this.stream.write('\r\x1b[2K');
  }
}
