// kill -9 of the recorder process, then a restart: the new process compacts what the killed one's
// journal holds (at most the last flush interval lost), marks a session break per stream with the
// last message before the kill and the first after the restart, and continues; outside the break
// nothing is lost or duplicated.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataChecker, isClean } from '../../src/marketdata/index.ts';
import { runCheck } from '../../src/cli/commands/data.ts';
import { Instrument } from '../../src/model/instrument.ts';
import { openStore, readMeta } from '../../src/store/index.ts';
import { haveReal } from '../support/shared-data.ts';
import { buildSourceStore, expectedAfterGaps, readStore, startReplayExchange, streamOf, tempDir, VENUE, waitFor } from './helpers.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'maker.js');

function startRecorder(base: string, out: string) {
  const child = spawn(process.execPath, [BIN, 'record', '--symbols', 'BTCUSDT', '--venue', base, '--out', out, '--depth', '0ms', '--flush', '100ms', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      buf = buf.slice(nl + 1);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, lines, exited, stderr: () => stderr, connected: () => lines.some((l) => l.type === 'status' && l.connections === 2) };
}

describe.skipIf(!haveReal)('maker record: kill -9 and restart', () => {
  const src = tempDir('src');
  const out = tempDir('crash');
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    src.cleanup();
    out.cleanup();
  });

  it('compacts the killed session\'s journal, marks the session break, and loses nothing outside it', async () => {
    await buildSourceStore(src.dir, 60);
    const S = await readStore(src.dir);
    const x = await startReplayExchange(src.dir, 4);
    const journal = join(out.dir, '.journal', VENUE);
    try {
      const first = startRecorder(x.base, out.dir);
      children.push(first.child);
      await waitFor('the first recorder to connect', first.connected, 30_000);
      await x.release();
      await waitFor('the first recorder to record', () => first.lines.some((l) => l.type === 'status' && (l.bytesWritten as number) > 50_000), 20_000);
      first.child.kill('SIGKILL');
      expect(await first.exited).toBe(null);
      const segs = readdirSync(journal).filter((n) => n.startsWith('seg-'));
      expect(segs).toHaveLength(1);
      const text = readFileSync(join(journal, segs[0]), 'utf8');
      expect(text).not.toMatch(/ E \{\}\n/);

      const second = startRecorder(x.base, out.dir);
      children.push(second.child);
      await waitFor('the second recorder to connect', second.connected, 30_000);
      expect(second.lines.some((l) => l.type === 'log' && /compacted .*seg-.*session did not end cleanly/.test(String(l.message))), JSON.stringify(second.lines.slice(0, 5))).toBe(true);
      await waitFor('the replay to end', () => x.ex.ended, 60_000);
      await new Promise((r) => setTimeout(r, 1_000));
      second.child.kill('SIGTERM');
      expect(await second.exited, second.stderr()).toBe(0);
      expect(readdirSync(journal).filter((n) => n.startsWith('seg-'))).toEqual([]);
    } finally {
      await x.close();
    }

    const store = await openStore(out.dir);
    const metas = store.dates(VENUE, 'BTCUSDT').map((d) => readMeta(join(out.dir, VENUE, 'BTCUSDT', d))!);
    const sessions = metas.flatMap((m) => m.recording?.sessions ?? []);
    expect(new Set(sessions.map((s) => s.id)).size).toBe(2);
    const gaps = metas.flatMap((m) => m.recording?.gaps ?? []);
    expect(gaps.length).toBeGreaterThanOrEqual(3);
    for (const g of gaps) {
      expect(g.reason).toBe('session-break');
      expect(g.before).not.toBeNull();
    }
    const S2 = await readStore(out.dir);
    for (const type of ['depth', 'trade', 'bookTicker'] as const) {
      const mine = gaps.filter((g) => g.stream === type);
      expect(mine, type).toHaveLength(1);
      expect(streamOf(S2, type), type).toEqual(expectedAfterGaps(S, type, mine));
    }
    const checker = new DataChecker(() => new Instrument(store.spec(VENUE, 'BTCUSDT')));
    checker.onBatch(S2);
    const report = checker.report().symbols.BTCUSDT;
    expect(report.finalBook.valid).toBe(true);
    expect(report.gaps).toBe(1);
    // maker data check lists both sessions and the session-break gaps, and sets the marked one aside.
    const full = await runCheck([out.dir], { json: true, quiet: true, synthetic: false } as Parameters<typeof runCheck>[1]);
    const sym = full.symbols.BTCUSDT;
    expect(sym.gaps).toBe(0);
    expect(sym.recording!.markedDepthGaps).toBe(1);
    expect(sym.recording!.partitions.flatMap((p) => p.sessions.map((x) => x.id)).sort()).toEqual(sessions.map((x) => x.id).sort());
    expect(sym.recording!.partitions.flatMap((p) => p.gaps)).toHaveLength(gaps.length);
    expect(isClean(full)).toBe(true);
  }, 150_000);
});
