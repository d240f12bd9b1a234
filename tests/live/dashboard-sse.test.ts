// The dashboard's back-pressure rule without a network: a client whose socket is not drained holds
// at most one unsent snapshot (the newest replaces it), gets it when the socket drains, and is cut
// after slowClientMs; the trading loop never waits (broadcast returns at once). And the journal's
// operator record (O) round-trips and is checked.
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LiveDashboard, LiveJournal, readJournal } from '../../src/live/index.ts';

class FakeResponse extends EventEmitter {
  writes: string[] = [];
  destroyed = false;
  ended = false;
  full = false;
  write(s: string): boolean {
    this.writes.push(s);
    return !this.full;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

type Internals = { clients: Set<{ res: FakeResponse; blocked: boolean; blockedSinceMs: number; pending: string | null }>; broadcast(): void };

describe('dashboard SSE back-pressure', () => {
  it('coalesces snapshots for a blocked client, sends the newest on drain, and cuts a client blocked too long', () => {
    let nowMs = 1_000_000;
    const dash = new LiveDashboard({ port: 0, wallUs: () => nowMs * 1000, log: () => {}, slowClientMs: 5000, processMetrics: false });
    const d = dash as unknown as Internals;
    const res = new FakeResponse();
    const fast = new FakeResponse();
    d.clients.add({ res, blocked: false, blockedSinceMs: 0, pending: null });
    d.clients.add({ res: fast, blocked: false, blockedSinceMs: 0, pending: null });
    res.full = true;
    d.broadcast(); // written, but the socket is now full
    expect(res.writes.length).toBe(1);
    for (let i = 0; i < 10; i++) {
      nowMs += 250;
      d.broadcast();
    }
    expect(res.writes.length).toBe(1); // nothing more queued on the socket
    expect(fast.writes.length).toBe(11); // the other client is not held back
    const client = [...d.clients].find((c) => c.res === res)!;
    expect(client.pending).toMatch(/^id: 11\n/); // only the newest snapshot is kept (one frame per broadcast, shared by the clients)
    res.full = false;
    res.emit('drain');
    expect(res.writes.length).toBe(2);
    expect(res.writes[1]).toMatch(/^id: 11\nevent: state\ndata: \{/);
    // Blocked again, for longer than slowClientMs: cut.
    res.full = true;
    d.broadcast();
    for (let i = 0; i < 25; i++) {
      nowMs += 250;
      d.broadcast();
    }
    expect(res.destroyed).toBe(true);
    expect([...d.clients].some((c) => c.res === res)).toBe(false);
    expect(fast.destroyed).toBe(false);
    // The bound, in numbers: the slow client got 2 frames written in 37 broadcasts, the rest were coalesced, and it was cut once.
    expect(res.writes.length).toBe(3);
    expect(dash.sseStats()).toMatchObject({ clients: 1, blocked: 0, slowCut: 1, refused: 0 });
    expect(dash.sseStats().framesCoalesced).toBeGreaterThanOrEqual(30);
  });
});

describe('journal operator records', () => {
  it('round-trip, and a malformed one is an error naming file and line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dash-journal-'));
    try {
      const file = join(dir, 'journal.log');
      const j = new LiveJournal(file);
      j.header(1, { version: 1, runId: 'r', scenarioText: '', scenarioFile: '', overrides: [], instruments: [], initialBalance: [], runTag: 't', venue: 'v', paper: true });
      j.operator(2, { action: 'pause', symbol: 'BTCUSDT', reason: 'paused by dashboard 127.0.0.1' });
      j.close();
      const r = readJournal(file);
      expect(r.records[1]).toEqual({ tag: 'O', tUs: 2, input: { action: 'pause', symbol: 'BTCUSDT', reason: 'paused by dashboard 127.0.0.1' } });
      const bad = join(dir, 'bad.log');
      writeFileSync(bad, `1 B {"version":1}\n2 O {"action":"stop","symbol":"BTCUSDT"}\n`);
      expect(() => readJournal(bad)).toThrow(/an operator record \(O\) needs action pause\|resume/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('dashboard chart series', () => {
  it('stays bounded and evenly spaced over a long session', async () => {
    const { DashboardState, SERIES_MAX } = await import('../../src/live/dashboard/index.ts');
    const st = new DashboardState({ sampleMs: 1000 });
    const view = {
      symbols: ['BTCUSDT'],
      instruments: new Map([['BTCUSDT', { spec: { marginAsset: 'USDT' } }]]),
      core: { portfolio: { accountSnapshot: () => ({ equity: '100' }), positionLots: () => 3 } },
    } as never;
    for (let t = 0; t < 3 * 3600 * 1000; t += 250) st.sample(t, view);
    expect(st.series.length).toBeLessThan(SERIES_MAX);
    expect(st.series.length).toBeGreaterThan(SERIES_MAX / 4);
    expect(st.series[0]).toEqual([0, 100, 3]);
    const gaps = st.series.slice(1).map((p, i) => p[0] - st.series[i][0]);
    // After the last halving the spacing is uniform except at the newest points (taken at the doubled interval).
    expect(Math.max(...gaps) / Math.min(...gaps)).toBeLessThanOrEqual(2);
    expect(st.series[st.series.length - 1][0]).toBeGreaterThan(3 * 3600 * 1000 - 60_000);
  });
});
