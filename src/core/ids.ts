/**
 * Deterministic id generation. Client order ids must match Binance's `^[.A-Z:/a-z0-9_-]{1,36}$`;
 * ids here are `<prefix>-<run tag>-<counter in base 36>`, unique within a run and identical
 * between runs with the same inputs.
 */

const CLIENT_ID_RE = /^[.A-Z:/a-z0-9_-]{1,36}$/;

export function isValidClientOrderId(id: string): boolean {
  return CLIENT_ID_RE.test(id);
}

export class IdGenerator {
  private counter = 0;
  private readonly stem: string;

  constructor(prefix: string, runTag = '') {
    const stem = runTag ? `${prefix}-${runTag}` : prefix;
    if (!/^[.A-Z:/a-z0-9_-]{1,24}$/.test(stem)) {
      throw new RangeError(`id prefix "${stem}" must be 1-24 characters of [.A-Z:/a-z0-9_-]`);
    }
    this.stem = stem;
  }

  next(): string {
    this.counter++;
    return `${this.stem}-${this.counter.toString(36)}`;
  }

  /** How many ids were handed out. */
  get issued(): number {
    return this.counter;
  }
}
