// Bad input never crashes the recorder: malformed wire messages are counted and logged with their
// raw text to a side file; an unknown symbol is refused before anything is written (exit 2); an
// unwritable store stops the recorder loudly and keeps the journal for the next start.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { main } from '../../src/cli/main.ts';
import { MakerError } from '../../src/core/errors.ts';
import { listSegments, Recorder } from '../../src/record/index.ts';
import { startExchange } from '../exchange-fake/helpers.ts';
import { readStore, tempDir, waitFor } from './helpers.ts';

const BAD = [
  'not json {',
  '{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"U":"x","u":2,"pu":1}}',
  '{"stream":"ethusdt@bookTicker","data":{"e":"bookTicker","s":"ETHUSDT","u":1,"E":1,"T":1,"b":"1","B":"1","a":"2","A":"1"}}',
  '{"stream":"btcusdt@kline_1m","data":{}}',
];
const OFF_GRID = '{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","s":"BTCUSDT","u":5,"E":1700000000000,"T":1700000000000,"b":"60000.123456","B":"1","a":"60000.2","A":"1"}}';
const bookTicker = (u: number) => `{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","s":"BTCUSDT","u":${u},"E":${1700000000000 + u},"T":${1700000000000 + u},"b":"60000.0","B":"1.000","a":"60000.1","A":"2.000"}}`;

/** A stream server that sends `script` on every /public connection, then a valid bookTicker every 20 ms. */
async function fakeStreams(script: string[]) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const timers: NodeJS.Timeout[] = [];
  let u = 100;
  wss.on('connection', (ws: WebSocket, req) => {
    if (!(req.url ?? '').startsWith('/public/')) return;
    ws.send('{"result":null,"id":1}');
    for (const m of script) ws.send(m);
    const t = setInterval(() => ws.send(bookTicker(u++)), 20);
    timers.push(t);
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
    async close() {
      for (const t of timers) clearInterval(t);
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}

const streams = { depthSpeed: '100ms' as const, trade: false, aggTrade: false, bookTicker: true, markPrice: false };

describe('maker record: bad input', () => {
  const dirs: { cleanup(): void }[] = [];
  afterAll(() => dirs.forEach((d) => d.cleanup()));

  it('counts malformed messages, logs their raw text to a side file, keeps recording the good ones', async () => {
    const ex = await startExchange();
    const ws = await fakeStreams([...BAD, OFF_GRID]);
    const out = tempDir('malformed');
    dirs.push(out);
    const rec = new Recorder({ symbols: ['BTCUSDT'], rest: ex.base, ws: ws.url, out: out.dir, streams, flushMs: 50 });
    try {
      await rec.start();
      await waitFor('good messages', () => (rec.status().streams['BTCUSDT/bookTicker']?.messages ?? 0) > 5, 10_000);
    } finally {
      await rec.stop();
      await ws.close();
      await ex.close();
    }
    expect(rec.error).toBeUndefined();
    // Four at the wire, the off-grid price when compacting.
    expect(rec.status().malformed).toBe(5);
    const side = readFileSync(join(rec.journalDir, 'malformed.log'), 'utf8').trim().split('\n');
    expect(side).toHaveLength(5);
    for (const m of [...BAD, OFF_GRID]) expect(side.some((l) => l.endsWith(`\t${m}`)), m).toBe(true);
    expect(side.find((l) => l.endsWith(OFF_GRID))).toMatch(/compaction/);
    const stored = await readStore(out.dir);
    // Every bookTicker message but the off-grid one is stored.
    expect(stored.length).toBe(rec.status().streams['BTCUSDT/bookTicker'].messages - 1);
    expect(stored.every((e) => e.type === 'bookTicker' && e.bidTicks === 600000)).toBe(true);
  }, 30_000);

  it('an unwritable store stops the recorder with E_IO; the journal keeps what was not stored', async () => {
    const ex = await startExchange();
    const ws = await fakeStreams([]);
    const t = tempDir('unwritable');
    dirs.push(t);
    const out = join(t.dir, 'store');
    mkdirSync(out);
    writeFileSync(join(out, 'binance-usdm'), 'not a directory');
    const journal = join(t.dir, 'journal');
    const rec = new Recorder({ symbols: ['BTCUSDT'], rest: ex.base, ws: ws.url, out, journalDir: journal, streams, flushMs: 50, segmentMs: 300 });
    try {
      await rec.start();
      await Promise.race([rec.done, new Promise((_, rej) => setTimeout(() => rej(new Error('the recorder did not stop')), 10_000))]);
    } finally {
      await rec.stop();
      await ws.close();
      await ex.close();
    }
    expect(rec.error).toBeInstanceOf(MakerError);
    expect((rec.error as MakerError).code).toBe('E_IO');
    const segs = listSegments(journal);
    expect(segs.length).toBeGreaterThanOrEqual(1);
    expect(readFileSync(segs[0], 'utf8')).toContain('btcusdt@bookTicker');
  }, 30_000);

  it('an unknown symbol is refused by name before anything is written (exit 2)', async () => {
    const ex = await startExchange();
    const t = tempDir('unknown');
    dirs.push(t);
    const out = join(t.dir, 'store');
    const errs: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (errs.push(String(s)), true)) as typeof process.stderr.write;
    let code: number;
    try {
      code = await main(['node', 'maker', 'record', '--symbols', 'BTCUSDT,NOPEUSDT', '--venue', ex.base, '--out', out]);
    } finally {
      process.stderr.write = write;
      await ex.close();
    }
    expect(code).toBe(2);
    expect(errs.join('')).toMatch(/unknown symbol NOPEUSDT/);
    expect(existsSync(out)).toBe(false);
  }, 30_000);
});
