// Unplanned drops: the recorder's stream connections go through a TCP proxy that the test cuts
// (sockets destroyed, no close frame) or stalls (stops forwarding). The recorder reconnects with
// back-off, marks a gap per stream with both edges' ids and times, re-snapshots the book, and
// outside the marked stretches nothing of S is lost or duplicated.
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Recorder } from '../../src/record/index.ts';
import { openStore, readMeta, type GapRecord } from '../../src/store/index.ts';
import { DataChecker } from '../../src/marketdata/index.ts';
import { Instrument } from '../../src/model/instrument.ts';
import { haveReal } from '../support/shared-data.ts';
import { buildSourceStore, expectedAfterGaps, readStore, startReplayExchange, streamOf, tempDir, VENUE, waitFor } from './helpers.ts';

/** A TCP proxy to 127.0.0.1:`port` that can be cut or stalled. */
async function startProxy(port: number) {
  const pairs = new Set<[Socket, Socket]>();
  let stalled = false;
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.on('data', (d) => {
      if (!stalled) client.write(d);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${addr.port}`,
    get connections() {
      return pairs.size;
    },
    /** Destroys every proxied connection: the recorder sees the socket end without a close frame. */
    cut() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
    },
    /** Stops forwarding the exchange's bytes (connections stay open) until `resume`. */
    stall() {
      stalled = true;
    },
    resume() {
      stalled = false;
    },
    async close() {
      this.cut();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function gapsOf(root: string): Promise<GapRecord[]> {
  const store = await openStore(root);
  return store.dates(VENUE, 'BTCUSDT').flatMap((d) => readMeta(join(root, VENUE, 'BTCUSDT', d))!.recording?.gaps ?? []);
}

async function recordWithFault(srcDir: string, outDir: string, fault: 'cut' | 'stall') {
  const S = await readStore(srcDir);
  const x = await startReplayExchange(srcDir, 10);
  const proxy = await startProxy(x.port);
  const logs: string[] = [];
  const rec = new Recorder({
    symbols: ['BTCUSDT'], rest: x.base, ws: proxy.url, out: outDir,
    streams: { depthSpeed: '0ms', trade: true, aggTrade: false, bookTicker: true, markPrice: false },
    flushMs: 100, stallMs: fault === 'stall' ? 800 : 5_000, log: (l) => logs.push(l),
  });
  try {
    await rec.start();
    await waitFor('both routes connected', () => rec.status().connections === 2, 5_000);
    await x.release();
    await new Promise((r) => setTimeout(r, 1_500));
    if (fault === 'cut') proxy.cut();
    else {
      proxy.stall();
      await waitFor('the stall to be detected', () => rec.status().reconnects >= 2, 5_000);
      proxy.resume();
    }
    await waitFor('the replay to end', () => x.ex.ended, 30_000);
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    await rec.stop();
    await proxy.close();
    await x.close();
  }
  return { S, S2: await readStore(outDir), rec, logs, gaps: await gapsOf(outDir) };
}

function expectOnlyMarkedLosses(S: Awaited<ReturnType<typeof readStore>>, S2: Awaited<ReturnType<typeof readStore>>, gaps: GapRecord[]) {
  const streamName = { depth: 'depth', trade: 'trade', bookTicker: 'bookTicker' } as const;
  for (const type of ['depth', 'trade', 'bookTicker'] as const) {
    const mine = gaps.filter((g) => g.stream === streamName[type]);
    expect(mine.length, type).toBeGreaterThanOrEqual(1);
    // Exactly S minus what lies strictly inside the marked gaps: nothing else lost, nothing doubled.
    expect(streamOf(S2, type), type).toEqual(expectedAfterGaps(S, type, mine));
  }
}

describe.skipIf(!haveReal)('maker record: unplanned drops', () => {
  const src = tempDir('src');
  const dirs: { cleanup(): void }[] = [src];
  afterAll(() => dirs.forEach((d) => d.cleanup()));
  let built = false;
  const source = async () => {
    if (!built) await buildSourceStore(src.dir, 60);
    built = true;
    return src.dir;
  };

  it('a cut connection (no close frame): reconnect, gap marked per stream with both edges, re-snapshot, nothing else lost', async () => {
    const out = tempDir('cut');
    dirs.push(out);
    const { S, S2, rec, logs, gaps } = await recordWithFault(await source(), out.dir, 'cut');
    expect(rec.error).toBeUndefined();
    expect(rec.status().reconnects, logs.join('\n')).toBe(2);
    for (const g of gaps) {
      expect(g.reason).toBe('disconnect');
      expect(g.before).not.toBeNull();
      expect(g.after.tsExchangeUs).toBeGreaterThanOrEqual(g.before!.tsExchangeUs);
      expect(g.after.tsReceiveUs).toBeGreaterThan(g.before!.tsReceiveUs);
    }
    const depthGap = gaps.find((g) => g.stream === 'depth')!;
    expect(depthGap.after.id).toBeGreaterThan(depthGap.before!.id);
    expectOnlyMarkedLosses(S, S2, gaps);
    // A second snapshot re-synced the book after the gap; the replay of S' ends in sync.
    expect(S2.filter((e) => e.type === 'snapshot')).toHaveLength(2);
    const store = await openStore(out.dir);
    const checker = new DataChecker(() => new Instrument(store.spec(VENUE, 'BTCUSDT')));
    checker.onBatch(S2);
    const report = checker.report().symbols.BTCUSDT;
    expect(report.gaps).toBe(1);
    expect(report.finalBook.valid).toBe(true);
    expect(report.crossed).toBe(0);
  }, 90_000);

  it('a stalled stream (connection open, nothing arrives) is detected by the no-message timeout and handled the same way', async () => {
    const out = tempDir('stall');
    dirs.push(out);
    const { S, S2, rec, logs, gaps } = await recordWithFault(await source(), out.dir, 'stall');
    expect(rec.error).toBeUndefined();
    expect(rec.status().reconnects, logs.join('\n')).toBeGreaterThanOrEqual(2);
    expect(gaps.some((g) => g.reason === 'stall')).toBe(true);
    expectOnlyMarkedLosses(S, S2, gaps);
  }, 90_000);
});
