// Fault plans: validation with the file, line and key of every mistake; the example plan; and
// `maker exchange --faults plan.yaml --admin` as a user runs it (exit 2 on a bad plan, a JSON
// line on stderr for each fault applied, the admin API on the same port).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { FAULT_KINDS, FaultInjector, loadFaultPlanFile, parseFaultPlan, parseFaults, type ExchangeServer } from '../../src/exchange-fake/index.ts';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = makerBin();

/** The error `parseFaultPlan` throws for `text`, as the CLI prints it. */
function planError(text: string, file = 'plan.yaml'): string {
  try {
    parseFaultPlan(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).describe();
  }
  throw new Error('the plan was accepted');
}

describe('fault plan validation', () => {
  it('names the file, the line and the key of each mistake', () => {
    expect(planError('faults:\n  - kind: latency\n    delayMs: 5\n')).toBe('plan.yaml:2: field "faults.0.durationMs": is required for kind latency');
    expect(planError('faults:\n  - kind: stall\n    durationMs: 10\n  - kind: latnecy\n')).toBe('plan.yaml:4: field "faults.1.kind": expected one of ' + FAULT_KINDS.join(', ') + ', got "latnecy"');
    expect(planError('faults:\n  - kind: clock-skew\n    skewMs: 100\n    durationMs: 0\n')).toBe('plan.yaml:4: field "faults.0.durationMs": must be ≥ 1, got 0');
    expect(planError('faults:\n  - kind: unknown-error-503\n    applied: yes please\n')).toBe('plan.yaml:3: field "faults.0.applied": expected true or false, got "yes please"');
    expect(planError('faults:\n  - kind: depth-gap\n    match:\n      symbol: BTCUSDT\n      side: BUY\n')).toMatch(/^plan\.yaml:5: field "faults\.0\.match\.side": unknown key/);
    expect(planError('faults:\n  - kind: depth-gap\n    closeFrame: true\n    match: { symbol: BTCUSDT }\n')).toMatch(/^plan\.yaml:3: field "faults\.0\.closeFrame": unknown key for kind depth-gap \(expected one of name, kind, afterMs, at, nth, times, match\)/);
    expect(planError('faults:\n  - kind: depth-gap\n')).toBe('plan.yaml:2: field "faults.0.match": depth-gap needs match.symbol or match.stream (the depth streams whose next message is skipped)');
    expect(planError('faults:\n  - kind: stall\n    durationMs: 5\n    match: { path: /fapi/v1/order }\n')).toMatch(/^plan\.yaml:4: field "faults\.0\.match\.path": kind stall \(target streams\) counts stream messages/);
    expect(planError('faults:\n  - kind: maintenance\n    durationMs: 5\n    times: 2\n')).toMatch(/^plan\.yaml:4: field "faults\.0\.times": a maintenance fault without nth fires once when armed/);
    expect(planError('faults:\n  - kind: disconnect\n    target: rest\n    closeFrame: false\n')).toMatch(/^plan\.yaml:4: field "faults\.0\.closeFrame": a REST disconnect destroys the socket/);
    expect(planError('faults:\n  - kind: latency\n    at: tomorrow\n    delayMs: 1\n    durationMs: 1\n')).toMatch(/^plan\.yaml:3: field "faults\.0\.at": expected a UTC time/);
    expect(planError('faults:\n  - name: a\n    kind: fill-before-cancel\n  - name: a\n    kind: fill-before-cancel\n')).toBe('plan.yaml:4: field "faults.1.name": name "a" is used twice');
    expect(planError('fault:\n  - kind: stall\n')).toBe('plan.yaml:1: field "fault": unknown key (a fault plan has one key, faults)');
    expect(planError('faults:\n  - kind: stall\n   durationMs: 1\n')).toMatch(/^plan\.yaml:3: not valid YAML/);
    expect(planError('faults:\n  - kind: stall\n    durationMs: *d\n')).toMatch(/^plan\.yaml:3: not valid YAML: the alias \*d has no anchor &d before it/);
    expect(planError('faults: {}\n')).toMatch(/^plan\.yaml:1: field "faults": expected a list of faults/);
    expect(planError('faults:\n  - kind: fill-before-cancel\n---\nfaults: []\n')).toBe('plan.yaml:3: one YAML document expected, but a second one starts on this line (---): keep one document in the file');
  });

  it('a fault on a symbol or account the exchange does not serve would never fire: refused, with its line', () => {
    const known = { symbols: ['BTCUSDT'], accounts: ['test'] };
    const fail = (text: string) => {
      try {
        parseFaultPlan(text, 'p.yaml', known);
      } catch (e) {
        return (e as ConfigError).describe();
      }
      return 'accepted';
    };
    expect(fail('faults:\n  - kind: depth-gap\n    match:\n      symbol: ETHUSDT\n')).toBe('p.yaml:4: field "faults.0.match.symbol": symbol ETHUSDT is not served (served: BTCUSDT)');
    expect(fail('faults:\n  - kind: depth-gap\n    match: { stream: ethusdt@depth }\n')).toMatch(/^p\.yaml:3: field "faults\.0\.match\.stream": symbol ETHUSDT is not served/);
    expect(fail('faults:\n  - kind: listen-key-expired\n    match: { account: alice }\n')).toMatch(/^p\.yaml:3: field "faults\.0\.match\.account": no account named "alice"/);
    expect(fail('faults:\n  - kind: depth-gap\n    match: { symbol: btcusdt }\n')).toBe('accepted');
  });

  it('a wait longer than a Node timer keeps (2^31 − 1 ms) is refused with its key and line (such a timer fires after 1 ms)', () => {
    const note = '(24.8 days, the longest timer Node keeps)';
    expect(planError('faults:\n  - kind: stall\n    durationMs: 2147483648\n')).toBe(`plan.yaml:3: field "faults.0.durationMs": must be ≤ 2147483647 ${note}, got 2147483648`);
    expect(planError('faults:\n  - kind: maintenance\n    afterMs: 3000000000\n    durationMs: 5\n')).toBe(`plan.yaml:3: field "faults.0.afterMs": must be ≤ 2147483647 ${note}, got 3000000000`);
    expect(planError('faults:\n  - kind: latency\n    delayMs: 2147483648\n    durationMs: 5\n')).toBe(`plan.yaml:3: field "faults.0.delayMs": must be ≤ 2147483647 ${note}, got 2147483648`);
    // banMs: not a timer, but the same bound (it had none).
    expect(planError('faults:\n  - kind: rate-limit\n    durationMs: 5\n    banMs: 2147483648\n')).toBe(`plan.yaml:4: field "faults.0.banMs": must be ≤ 2147483647 ${note}, got 2147483648`);
    expect(planError('faults:\n  - kind: rate-limit\n    durationMs: 5\n    banMs: 9007199254740991\n')).toBe(`plan.yaml:4: field "faults.0.banMs": must be ≤ 2147483647 ${note}, got 9007199254740991`);
    expect(parseFaultPlan('faults:\n  - kind: stall\n    afterMs: 2147483647\n    durationMs: 2147483647\n')[0]).toMatchObject({ afterMs: 2147483647, durationMs: 2147483647 });
    expect(parseFaultPlan('faults:\n  - kind: rate-limit\n    durationMs: 5\n    banMs: 2147483647\n')[0]).toMatchObject({ banMs: 2147483647 });
  });

  it('a fault at a time more than 24.8 days ahead is armed then, not after 1 ms (one Node timer cannot wait that long)', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.UTC(2026, 0, 1) });
    try {
      const server = { ex: { nowUs: () => Date.now() * 1000 } } as unknown as ExchangeServer;
      const plan = parseFaultPlan('faults:\n  - kind: fill-before-cancel\n    at: 2026-02-05T00:00:00Z\n');
      const faults = new FaultInjector(server, [], plan);
      faults.start();
      const armed = () => (faults.status()[0] as { armed: boolean }).armed;
      vi.advanceTimersByTime(1_000);
      expect(armed()).toBe(false);
      vi.advanceTimersByTime(Date.UTC(2026, 1, 5) - Date.now() - 1);
      expect(armed()).toBe(false);
      vi.advanceTimersByTime(1);
      expect(armed()).toBe(true);
      faults.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('fills in the defaults and keeps what was written', () => {
    const [d, r, l] = parseFaults([
      { kind: 'disconnect', target: 'streams', afterMs: 5 },
      { kind: 'rate-limit', durationMs: 10, nth: 3, match: { method: 'get', path: '/fapi/v1/depth', symbol: 'btcusdt' } },
      { kind: 'latency', delayMs: 50, durationMs: 1000, at: '2030-01-02T03:04:05Z' },
    ]);
    expect(d).toEqual({ name: 'disconnect#0', kind: 'disconnect', afterMs: 5, times: 1, match: {}, target: 'streams', closeFrame: true, closeCode: 1001, applied: false });
    expect(r).toMatchObject({ name: 'rate-limit#1', nth: 3, banAfter: 3, banMs: 120_000, match: { method: 'GET', path: '/fapi/v1/depth', symbol: 'BTCUSDT' } });
    expect(l).toMatchObject({ atMs: Date.UTC(2030, 0, 2, 3, 4, 5), targets: ['streams', 'user-stream', 'ws-api', 'rest'] });
  });

  it('the example plan uses every kind and validates', () => {
    const plan = loadFaultPlanFile(join(ROOT, 'examples', 'faults.yaml'));
    expect(new Set(plan.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
  });

  it('docs/FAULTS.md documents every kind', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(join(ROOT, 'docs', 'FAULTS.md'), 'utf8');
    for (const k of FAULT_KINDS) expect(doc, k).toContain(`### \`${k}\``);
  });
});

describe('maker exchange --faults', () => {
  it('refuses a bad plan with its file and line (exit 2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faults-plan-'));
    try {
      const file = join(dir, 'plan.yaml');
      writeFileSync(file, 'faults:\n  - kind: timeout-1007\n    nth: 0\n    applied: true\n');
      const r = spawnSync(process.execPath, [BIN, 'exchange', '--faults', file, '--port', '0'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`${file}:3: field "faults.0.nth": must be ≥ 1, got 0`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('applies the plan, prints each fault as a JSON line on stderr, and serves the admin API with --admin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faults-plan-'));
    const file = join(dir, 'plan.yaml');
    writeFileSync(file, 'faults:\n  - name: time-503\n    kind: unknown-error-503\n    applied: false\n    nth: 2\n    match: { method: GET, path: /fapi/v1/time }\n');
    const child = spawn(process.execPath, [BIN, 'exchange', '--faults', file, '--admin', '--port', '0', '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += String(c)));
    let timer: NodeJS.Timeout | undefined;
    try {
      const line = await Promise.race([
        new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve)),
        new Promise<string>((_, reject) => (timer = setTimeout(() => reject(new Error(`no JSON line; stderr: ${stderr}`)), 60_000))),
      ]);
      const { rest } = JSON.parse(line) as { rest: string };
      expect((await fetch(`${rest}/fapi/v1/time`)).status).toBe(200);
      const second = await fetch(`${rest}/fapi/v1/time`);
      expect([second.status, ((await second.json()) as { code: number }).code]).toEqual([503, -1000]);
      const log = (await (await fetch(`${rest}/admin/faults/log`)).json()) as { fault: string; event: string }[];
      expect(log).toEqual([expect.objectContaining({ fault: 'time-503', event: 'fired', request: 'GET /fapi/v1/time' })]);
      const end = Date.now() + 5_000;
      while (!stderr.includes('\n') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      const printed = JSON.parse(stderr.split('\n')[0]) as Record<string, unknown>;
      expect(printed).toMatchObject({ fault: 'time-503', kind: 'unknown-error-503', event: 'fired' });
      expect(typeof printed.serverTimeUs).toBe('number');
      expect(typeof printed.wallMs).toBe('number');
    } finally {
      clearTimeout(timer);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
