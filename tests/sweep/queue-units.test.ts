// The parts of the distributed sweep that need no Redis: the queue URL parser (errors naming the
// option, no password in what is shown), the job id (what changes it and what does not), and the
// sweep directory lock (refusal naming the holder, a dead holder's lock taken over).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JobIds, parseRedisUrl } from '../../src/sweep-queue/index.ts';
import { SweepJournal, SWEEP_FORMAT, type RunTask } from '../../src/sweep/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'queue-units-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('parseRedisUrl', () => {
  it('reads host, port, database, credentials and TLS; shows the URL without the password', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380/2')).toEqual({ host: '127.0.0.1', port: 6380, db: 2, tls: false, display: 'redis://127.0.0.1:6380/2' });
    const t = parseRedisUrl('rediss://me:s%40cret@cache.example:6390');
    expect(t).toMatchObject({ host: 'cache.example', port: 6390, db: 0, username: 'me', password: 's@cret', tls: true });
    expect(t.display).toBe('rediss://cache.example:6390/0');
    expect(parseRedisUrl('redis://[::1]:7000/1')).toMatchObject({ host: '::1', port: 7000, db: 1 });
    expect(parseRedisUrl('redis://localhost')).toMatchObject({ host: 'localhost', port: 6379, db: 0 });
  });

  it('refuses what is not a Redis URL, naming the option', () => {
    const bad: [string, RegExp][] = [
      ['127.0.0.1:6379', /unsupported scheme|not a URL/],
      ['redis//x', /not a URL/],
      ['http://x:6379', /unsupported scheme "http"/],
      ['redis://x:6379/db1', /database number/],
      ['redis://x:6379/1?timeout=3', /query strings/],
      ['redis://:pw@:6379', /not a URL|no host/],
    ];
    for (const [u, msg] of bad) {
      expect(() => parseRedisUrl(u, '--queue'), u).toThrow(msg);
      try {
        parseRedisUrl(u, '--queue');
      } catch (e) {
        expect((e as { code: string }).code).toBe('E_CONFIG');
        expect((e as { location: { field: string } }).location.field).toBe('--queue');
        expect((e as Error).message).not.toContain('pw');
      }
    }
  });
});

describe('job ids', () => {
  const scenarioText = readFileSync(join(ROOT, 'scenarios', 'quickstart.yaml'), 'utf8');
  const task = (over: Partial<RunTask> = {}): RunTask => ({
    key: 'k',
    phase: 'main',
    params: [['strategy.halfSpreadTicks', '2'], ['strategy.sizeLots', '3']],
    seed: 42,
    scenarioText,
    scenarioFile: 'scenarios/quickstart.yaml',
    baseSet: ['data.range=2024-01-01T00:00:00Z..2024-01-01T00:00:05Z'],
    phaseSet: [],
    reportsDir: null,
    ...over,
  });
  const ids = new JobIds();
  const id = async (t: RunTask) => (await ids.jobFor(t)).id;

  it('depend on the resolved scenario, seed, data and reports, not on labels or the order of keys', async () => {
    const base = await id(task());
    expect(base).toMatch(/^run-[0-9a-f]{40}$/);
    expect(await id(task())).toBe(base);
    // Labels of this sweep, and the order the grid keys were given in, do not change the run.
    expect(await id(task({ key: 'other', params: [['strategy.sizeLots', '3'], ['strategy.halfSpreadTicks', '2']] }))).toBe(base);
    // A parameter given as --set instead of swept is the same run too.
    expect(await id(task({ params: [['strategy.halfSpreadTicks', '2']], baseSet: [...task().baseSet, 'strategy.sizeLots=3'] }))).toBe(base);
    const others = [
      task({ seed: 43 }),
      task({ params: [['strategy.halfSpreadTicks', '3'], ['strategy.sizeLots', '3']] }),
      task({ baseSet: ['data.range=2024-01-01T00:00:00Z..2024-01-01T00:00:06Z'] }),
      task({ phaseSet: ['data.range=2024-01-01T01:00:00Z..2024-01-01T01:00:05Z'] }),
      task({ scenarioText: scenarioText.replace('makerRate: 0.0002', 'makerRate: 0.0001') }),
      task({ reportsDir: '/shared/sweeps/x/runs' }),
    ];
    const got = await Promise.all(others.map(id));
    expect(new Set([base, ...got]).size).toBe(others.length + 1);
  });

  it('carry the data fingerprint, and a store scenario fails with the store error before anything is enqueued', async () => {
    const j = await ids.jobFor(task());
    expect(j.job.dataFingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(j.job.task.storeRoot).toBe(null);
    await expect(ids.jobFor(task({ baseSet: ['data.source=store', `data.store=${join(tmp, 'none')}`] }))).rejects.toThrow(/store directory .*none does not exist/);
  });
});

describe('the sweep directory lock', () => {
  const identity = { format: SWEEP_FORMAT, scenarioFile: 's.yaml', scenarioSha256: 'x', baseSet: [], planSha256: 'y', runs: 1 };

  it('refuses a second open naming the holder, and frees the directory on close', () => {
    const dir = join(tmp, 'd1');
    const j = SweepJournal.open(dir, identity);
    expect(JSON.parse(readFileSync(join(dir, 'sweep.lock'), 'utf8'))).toEqual({ pid: process.pid, host: hostname() });
    expect(() => SweepJournal.open(dir, identity)).toThrow(new RegExp(`in use by another maker sweep \\(pid ${process.pid} on ${hostname()}\\)`));
    j.close();
    expect(existsSync(join(dir, 'sweep.lock'))).toBe(false);
    SweepJournal.open(dir, identity).close();
  });

  it('takes over the lock of a process that died; refuses one held on another host', () => {
    const dir = join(tmp, 'd2');
    SweepJournal.open(dir, identity).close();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, 'sweep.lock'), JSON.stringify({ pid: Number(dead.stdout), host: hostname() }));
    const j = SweepJournal.open(dir, identity);
    j.close();
    writeFileSync(join(dir, 'sweep.lock'), JSON.stringify({ pid: 1, host: 'elsewhere' }));
    expect(() => SweepJournal.open(dir, identity)).toThrow(/pid 1 on elsewhere.*remove .*sweep.lock if that process is gone/);
    // A directory of another sweep is still refused for that reason, not the lock, once free.
    rmSync(join(dir, 'sweep.lock'));
    expect(() => SweepJournal.open(dir, { ...identity, runs: 2 })).toThrow(/holds a different sweep/);
    expect(existsSync(join(dir, 'sweep.lock'))).toBe(false);
  });
});
