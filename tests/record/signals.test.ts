// `maker record` and the things that end (or should not end) it, as a user meets them: real
// processes, the local `maker exchange` as the venue.
// - the venue goes away (`maker exchange` stopped by Ctrl-C): the recorder keeps reconnecting, as
//   documented ("network trouble is not an exit"); it used to exit with status 13 at once, silently,
//   leaving its journal uncompacted (its reconnect timers are unref'd: the event loop emptied);
// - a venue that cannot be reached at start: the same, retried rather than an exit 13;
// - SIGINT during start-up (the venue slow to answer): exit 0 "stopped ... during start-up", not
//   "STOPPED at start: [E_IO] ... client closed" with status 3 (the disk-full status);
// - a second SIGINT while it stops: exit 130 at once, saying the journal keeps the data.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'maker-record-signals-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function maker(args: string[]): Proc {
  const child = spawn(process.execPath, [makerBin(), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function until(what: string, ok: () => boolean, ms: number, p?: Proc): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${p ? `; stderr: ${p.stderr()}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `maker exchange --port 0 --json` (the synthetic market): its REST base. */
async function exchange(): Promise<{ proc: Proc; rest: string }> {
  const proc = maker(['exchange', '--port', '0', '--json']);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.child.stdout! }).once('line', resolve);
    void proc.exited.then(() => reject(new Error(`maker exchange exited: ${proc.stderr()}`)));
  });
  return { proc, rest: (JSON.parse(line) as { rest: string }).rest };
}

const status = (p: Proc): Record<string, number>[] =>
  p
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{"type":"status"'))
    .map((l) => JSON.parse(l) as Record<string, number>);

describe('maker record when its venue goes away', () => {
  it('keeps reconnecting after `maker exchange` is stopped, then stops on SIGINT with exit 0 and its data compacted', async () => {
    const out = join(tmp, 'venue-gone');
    const ex = await exchange();
    const rec = maker(['record', '--symbols', 'BTCUSDT', '--venue', ex.rest, '--out', out, '--json']);
    await until('the recorder to record', () => status(rec).some((s) => s.connections === 2 && s.bytesWritten > 0), 60_000, rec);
    ex.proc.child.kill('SIGINT');
    expect(await ex.proc.exited).toEqual({ code: 0, signal: null });
    await until('the recorder to see the drop', () => /dropped/.test(rec.stdout()), 10_000, rec);
    // Reconnect attempts go on for as long as the venue is away (back-off 250 ms doubling).
    await new Promise((r) => setTimeout(r, 3_000));
    expect(rec.child.exitCode, `the recorder exited; stderr: ${rec.stderr()}`).toBe(null);
    rec.child.kill('SIGINT');
    expect(await rec.exited, rec.stderr()).toEqual({ code: 0, signal: null });
    const last = rec.stdout().trimEnd().split('\n').at(-1)!;
    expect(last).toMatch(/^\{"type":"stopped"/);
    expect((JSON.parse(last) as { eventsCompacted: number }).eventsCompacted).toBeGreaterThan(0);
    expect(readdirSync(join(out, '.journal', 'binance-usdm')).filter((f) => f.startsWith('seg-')), 'the journal compacted').toEqual([]);
    expect(existsSync(join(out, 'binance-usdm', 'BTCUSDT'))).toBe(true);
  }, 120_000);

  it('retries a venue that cannot be reached at start instead of exiting; SIGTERM then stops it with exit 0', async () => {
    // A port nothing listens on: take one, then close it.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const rec = maker(['record', '--symbols', 'BTCUSDT', '--venue', `http://127.0.0.1:${port}`, '--out', join(tmp, 'unreachable')]);
    await until('a back-off', () => /REST back-off/.test(rec.stderr()), 20_000, rec);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(rec.child.exitCode, `the recorder exited; stderr: ${rec.stderr()}`).toBe(null);
    rec.child.kill('SIGTERM');
    expect(await rec.exited, rec.stderr()).toEqual({ code: 0, signal: null });
    expect(rec.stderr().trimEnd().split('\n').at(-1)).toBe('maker record: stopped by SIGTERM during start-up, before recording began; nothing new was recorded');
  }, 60_000);
});

describe('maker record stopped by signals', () => {
  let hole: Server | undefined;
  const sockets: Socket[] = [];
  afterAll(() => {
    for (const s of sockets) s.destroy();
    hole?.close();
  });

  it('SIGINT during start-up (the venue has not answered yet): exit 0 and a line saying nothing new was recorded', async () => {
    // A venue that accepts the connection and never answers: the recorder waits on exchangeInfo.
    let connected = false;
    hole = createServer((s) => {
      connected = true;
      sockets.push(s);
      s.on('error', () => undefined);
    });
    const port = await new Promise<number>((resolve) => hole!.listen(0, '127.0.0.1', () => resolve((hole!.address() as { port: number }).port)));
    const out = join(tmp, 'start-up');
    const rec = maker(['record', '--symbols', 'BTCUSDT', '--venue', `http://127.0.0.1:${port}`, '--out', out]);
    await until('the recorder to ask the venue', () => connected, 30_000, rec);
    rec.child.kill('SIGINT');
    expect(await rec.exited, rec.stderr()).toEqual({ code: 0, signal: null });
    expect(rec.stderr()).toBe('maker record: stopped by SIGINT during start-up, before recording began; nothing new was recorded\n');
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('a second SIGINT while it stops: exit 130 at once, naming the journal that keeps the data', async () => {
    const ex = await exchange();
    try {
      const out = join(tmp, 'twice');
      const rec = maker(['record', '--symbols', 'BTCUSDT', '--venue', ex.rest, '--out', out, '--json']);
      await until('the recorder to record', () => status(rec).some((s) => s.connections === 2 && s.bytesWritten > 0), 60_000, rec);
      rec.child.kill('SIGINT');
      // The stop closes the connections and compacts the journal in a worker thread: hundreds of ms.
      // A second SIGINT sent while the first is still pending (the child not yet scheduled, on a
      // loaded machine) merges with it in the kernel, so the second is sent again every 20 ms until
      // the process exits: the first one the recorder sees while it stops ends it.
      const again = setInterval(() => rec.child.exitCode === null && rec.child.kill('SIGINT'), 20);
      let exit: Awaited<typeof rec.exited>;
      try {
        exit = await rec.exited;
      } finally {
        clearInterval(again);
      }
      expect(exit, rec.stderr()).toEqual({ code: 130, signal: null });
      expect(rec.stderr().trimEnd().split('\n').at(-1)).toBe(`maker record: second SIGINT: exiting at once, before the journal was compacted; ${join(out, '.journal', 'binance-usdm')} keeps it and the next start compacts it`);
      expect(readdirSync(join(out, '.journal', 'binance-usdm')).filter((f) => f.startsWith('seg-')), 'the journal kept').toHaveLength(1);
    } finally {
      ex.proc.child.kill('SIGTERM');
      await ex.proc.exited;
    }
  }, 120_000);
});
