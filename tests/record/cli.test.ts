// `maker record`'s option parsing and status line.
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { parseDurationMs, statusLine } from '../../src/cli/commands/record.ts';
import { ConfigError } from '../../src/core/errors.ts';
import type { RecorderStatus } from '../../src/record/index.ts';

async function run(args: string[]): Promise<{ code: number; err: string }> {
  const errs: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => (errs.push(String(s)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(['node', 'maker', 'record', ...args]), err: errs.join('') };
  } finally {
    process.stderr.write = write;
  }
}

describe('maker record CLI', () => {
  it('parses durations and refuses others by flag', () => {
    expect(parseDurationMs('200ms', '--flush')).toBe(200);
    expect(parseDurationMs('23h30m', '--rotate-after')).toBe(84_600_000);
    expect(parseDurationMs('1.5s', '--overlap')).toBe(1500);
    for (const bad of ['', '10', '5x', 'h', '0s', '1h 2m']) expect(() => parseDurationMs(bad, '--flush')).toThrow(ConfigError);
  });

  it('refuses bad options with exit 2 before connecting anywhere', async () => {
    const bad: [string[], RegExp][] = [
      [['--symbols', 'btcusdt', '--out', '/tmp/x'], /not an upper-case symbol/],
      [['--symbols', 'BTCUSDT', '--out', '/tmp/x', '--depth', '50ms'], /--depth must be/],
      [['--symbols', 'BTCUSDT', '--out', '/tmp/x', '--trades', 'kline'], /"kline" is not trade or aggTrade/],
      [['--symbols', 'BTCUSDT', '--out', '/tmp/x', '--venue', 'localhost:8090'], /--venue must be an http/],
      [['--symbols', 'BTCUSDT', '--out', '/tmp/x', '--flush', 'soon'], /--flush must be a duration/],
      // Past Node's longest timer (2^31 − 1 ms) a timeout fires after 1 ms: a 720h recording ended at once.
      [['--symbols', 'BTCUSDT', '--out', '/tmp/x', '--duration', '720h'], /--duration must be at most 596h/],
      [['--symbols', 'BTCUSDT', '--out', '/tmp/x', '--flush', '999h'], /--flush must be at most 596h/],
    ];
    for (const [args, msg] of bad) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(msg);
    }
  });

  it('--help names every stream it records, --force-order included', async () => {
    const outs: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (outs.push(String(s)), true)) as typeof process.stdout.write;
    try {
      await main(['node', 'maker', 'record', '--help']);
    } finally {
      process.stdout.write = write;
    }
    const help = outs.join('');
    for (const s of ['@depth@100ms', '@trade', '@aggTrade', '@bookTicker', '@markPrice@1s', '@forceOrder', '--force-order', 'force_orders']) expect(help).toContain(s);
  });

  it('prints per stream messages/s, lag and gaps, then the totals', () => {
    const s = (tsUs: number, n: number): RecorderStatus => ({
      tsUs, streams: { 'BTCUSDT/depth': { messages: n, duplicates: 0, gaps: 1, lagUs: 12_400 }, 'BTCUSDT/trade': { messages: n * 2, duplicates: 0, gaps: 0, lagUs: 3_000 } },
      gaps: 1, resyncs: 1, snapshots: 2, staleSnapshots: 0, malformed: 3, bytesWritten: 2_500_000, connections: 2, reconnects: 1, rotations: 0, compactions: 0, eventsCompacted: 0, cpuUs: 0,
    });
    expect(statusLine(s(2_000_000, 30), s(1_000_000, 10))).toBe('BTCUSDT/depth 20/s lag 12ms gaps 1 | BTCUSDT/trade 40/s lag 3ms | gaps 1 resyncs 1 malformed 3 | 2.5 MB journal, 0 events stored');
  });
});
