// The dashboard's back-pressure rule, without a network and then on real loopback sockets: a client whose socket is not drained holds
// at most one unsent snapshot (the newest replaces it), gets it when the socket drains, and is cut
// after slowClientMs; the trading loop never waits (broadcast returns at once). And the journal's
// operator record (O) round-trips and is checked.
import { EventEmitter } from 'node:events';
import { get as httpGet, type IncomingMessage, type ServerResponse } from 'node:http';
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

describe('dashboard SSE back-pressure on a real socket', () => {
  it('a client that never reads blocks, holds one frame in the server at most however many snapshots follow, and is cut; a reading client is not held back', async () => {
    let nowMs = 1_000_000;
    const dash = new LiveDashboard({ port: 0, wallUs: () => nowMs * 1000, log: () => {}, slowClientMs: 5000, processMetrics: false });
    // Big frames (~40 kB: 20 control rows of 2 kB) so the kernel's socket buffers fill in a few hundred snapshots.
    for (let i = 0; i < 20; i++) dash.state.control({ t: i, action: 'pause', symbol: 'BTCUSDT', from: 'x'.repeat(2000), outcome: 'paused' });
    const url = new URL(await dash.listen());
    const d = dash as unknown as { broadcast(): void; clients: Set<{ res: ServerResponse; blocked: boolean; pending: string | null }> };
    try {
      const open = (onRes: (res: IncomingMessage) => void) => {
        const req = httpGet({ host: url.hostname, port: url.port, path: `/events?token=${dash.token}` }, onRes);
        req.on('error', () => {});
        return req;
      };
      let fastBytes = 0;
      const slow = open((res) => {
        res.pause(); // never reads
      });
      const fast = open((res) => res.on('data', (b: Buffer) => void (fastBytes += b.length)));
      for (let i = 0; i < 500 && dash.sseStats().clients < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(dash.sseStats().clients).toBe(2);
      const tick = () => new Promise((r) => setImmediate(r));
      const slowOne = () => [...d.clients].find((c) => c.blocked);
      for (let i = 0; i < 5000 && slowOne() === undefined; i++) {
        d.broadcast();
        await tick();
      }
      const blocked = slowOne();
      expect(blocked, 'the slow client blocks once the kernel buffers are full').toBeDefined();
      const frameBytes = dash.sseStats().lastFrameBytes;
      expect(frameBytes).toBeGreaterThan(40_000);
      const held = blocked!.res.writableLength;
      // 200 more snapshots (50 s of them): nothing more is queued for it, only the newest is kept aside.
      const before = dash.sseStats().framesCoalesced;
      for (let i = 0; i < 200; i++) {
        nowMs += 20; // under slowClientMs in total
        d.broadcast();
        await tick();
      }
      expect(blocked!.res.writableLength).toBe(held);
      expect(held).toBeLessThanOrEqual(2 * frameBytes + 64 * 1024);
      expect(dash.sseStats().framesCoalesced - before).toBeGreaterThanOrEqual(200); // each of its 200 (the reading one may coalesce one now and then too)
      expect(blocked!.pending).not.toBeNull();
      // The reading client got them all meanwhile.
      const fastClient = [...d.clients].find((c) => c !== blocked)!;
      expect(fastClient.blocked).toBe(false);
      expect(fastBytes).toBeGreaterThan(200 * frameBytes);
      // Blocked for longer than slowClientMs: cut, its socket closed; the other one stays.
      nowMs += 6000;
      d.broadcast();
      expect(dash.sseStats()).toMatchObject({ clients: 1, slowCut: 1 });
      // The server side of its connection is destroyed: what it held is freed. (The client, paused, does not read its FIN.)
      expect(blocked!.res.destroyed).toBe(true);
      expect(blocked!.res.socket?.destroyed ?? true).toBe(true);
      slow.destroy();
      fast.destroy();
    } finally {
      await dash.close();
    }
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
