// `maker exchange` as a user starts it: a real process on a free port, the JSON line with the
// URLs and the test account, a signed request with those credentials, and a clean stop on SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import WebSocket from 'ws';
import { EXCHANGE_INFO, HBT_BTC, haveReal } from '../support/shared-data.ts';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hmacHex, rawMarket } from '../../src/exchange-fake/index.ts';
import { BookSync, L2Book } from '../../src/book/index.ts';
import { SpecRegistry } from '../../src/model/instrument.ts';
import { writeRecordings } from './raw-recording.ts';
import { MAKER_BIN_SOURCE, makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = makerBin();

interface Info {
  rest: string;
  ws: string;
  wsApi: string;
  accounts: { apiKey: string; secret: string }[];
}

/** Starts `maker exchange … --port 0 --json` and waits for its JSON line; `stop` sends SIGTERM and resolves to the exit code. */
async function startCli(args: string[], bin = BIN): Promise<{ info: Info; stderr: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [bin, 'exchange', ...args, '--port', '0', '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += String(c)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = () => {
    child.kill('SIGTERM');
    return exited;
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const line = await Promise.race([
      new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve)),
      new Promise<string>((_, reject) => (timer = setTimeout(() => reject(new Error(`no JSON line within 60 s; stderr: ${stderr}`)), 60_000))),
    ]);
    return { info: JSON.parse(line) as Info, stderr: () => stderr, stop };
  } catch (e) {
    await stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

describe('maker exchange', () => {
  it('prints its URLs and account as one JSON line, serves signed requests, and stops cleanly on SIGTERM', async () => {
    // bin/maker.js itself; the other tests spawn the per-run bundle of the same sources.
    const { info, stderr, stop } = await startCli(['--symbols', 'BTCUSDT,ETHUSDT'], MAKER_BIN_SOURCE);
    let code: number | null = null;
    try {
      expect(info.rest).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(info.wsApi).toBe(`${info.rest.replace('http', 'ws')}/ws-fapi/v1`);
      const ei = (await (await fetch(`${info.rest}/fapi/v1/exchangeInfo`)).json()) as { symbols: { symbol: string }[] };
      expect(ei.symbols.map((s) => s.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
      const { apiKey, secret } = info.accounts[0];
      const q = `symbol=ETHUSDT&timestamp=${Date.now()}`;
      const r = await fetch(`${info.rest}/fapi/v1/openOrders?${q}&signature=${hmacHex(secret, q)}`, { headers: { 'x-mbx-apikey': apiKey } });
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual([]);
    } finally {
      code = await stop();
    }
    expect(code).toBe(0);
    expect(stderr()).toBe('');
  }, 90_000);

  it('says what is wrong with an option (exit 2)', () => {
    const nostore = spawnSync(process.execPath, [BIN, 'exchange', '--store', '/nonexistent/store'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(nostore.status).toBe(2);
    expect(nostore.stderr).toMatch(/--store: \/nonexistent\/store does not exist/);
    const bad = spawnSync(process.execPath, [BIN, 'exchange', '--speed', '0'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--speed must be a positive number/);
  }, 90_000);

  it('a port in use or a host that is not this machine: exit 2 naming --port or --host and the value (the message named neither)', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const inUse = spawnSync(process.execPath, [BIN, 'exchange', '--port', String(port)], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(inUse.status, inUse.stderr).toBe(2);
      expect(inUse.stderr).toBe(`maker: error [E_CONFIG]: field "--port": port ${port} is in use on 127.0.0.1 (EADDRINUSE; another maker exchange?): choose another --port, or --port 0 for a free one\n`);
    } finally {
      taken.close();
    }
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine, and no DNS is asked.
    const notHere = spawnSync(process.execPath, [BIN, 'exchange', '--host', '192.0.2.1', '--port', '0'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(notHere.status, notHere.stderr).toBe(2);
    expect(notHere.stderr).toMatch(/^maker: error \[E_CONFIG\]: field "--host": 192\.0\.2\.1 is not an address of this machine \(EADDRNOTAVAIL\): give one of its addresses/);
  }, 90_000);
});

describe('maker exchange: --host and --port are checked before the market data is read', () => {
  it('with a store to load, a host that is not this machine, one that does not resolve, or a port in use fails naming the option, not the store', async () => {
    // An empty directory: reading it as a store fails (the old order reported that, or, with data,
    // made the user wait for the load before saying the address was wrong).
    const store = mkdtempSync(join(tmpdir(), 'exchange-host-'));
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'exchange', '--store', store, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      const notHere = run('--host', '192.0.2.1', '--port', '0');
      expect(notHere.status, notHere.stderr).toBe(2);
      expect(notHere.stderr).toMatch(/^maker: error \[E_CONFIG\]: field "--host": 192\.0\.2\.1 is not an address of this machine \(EADDRNOTAVAIL\)/);
      const noName = run('--host', 'nonexistent.invalid', '--port', '0');
      expect(noName.status, noName.stderr).toBe(2);
      expect(noName.stderr).toMatch(/^maker: error \[E_CONFIG\]: field "--host": cannot resolve the host "nonexistent\.invalid" \((ENOTFOUND|EAI_AGAIN)\)/);
      const inUse = run('--port', String(port));
      expect(inUse.status, inUse.stderr).toBe(2);
      expect(inUse.stderr).toBe(`maker: error [E_CONFIG]: field "--port": port ${port} is in use on 127.0.0.1 (EADDRINUSE; another maker exchange?): choose another --port, or --port 0 for a free one\n`);
    } finally {
      taken.close();
      rmSync(store, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('maker exchange --scenario', () => {
  it("simulates orders with the scenario's execution section, --set overrides included", async () => {
    const { info, stop } = await startCli(['--scenario', 'scenarios/quickstart.yaml', '--set', 'execution.fees.default.makerRate=-0.0001', '--set', 'execution.fees.default.takerRate=0.0007']);
    try {
      const { apiKey, secret } = info.accounts[0];
      const q = `symbol=BTCUSDT&timestamp=${Date.now()}`;
      const r = await fetch(`${info.rest}/fapi/v1/commissionRate?${q}&signature=${hmacHex(secret, q)}`, { headers: { 'x-mbx-apikey': apiKey } });
      expect(await r.json()).toMatchObject({ symbol: 'BTCUSDT', makerCommissionRate: '-0.00010000', takerCommissionRate: '0.00070000' });
    } finally {
      expect(await stop()).toBe(0);
    }
  }, 90_000);

  it('refuses --set without --scenario, and a bad scenario key with its file (exit 2)', () => {
    const noScenario = spawnSync(process.execPath, [BIN, 'exchange', '--set', 'execution.crossingFills=true'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(noScenario.status).toBe(2);
    expect(noScenario.stderr).toMatch(/--set needs --scenario/);
    const badKey = spawnSync(process.execPath, [BIN, 'exchange', '--scenario', 'scenarios/quickstart.yaml', '--set', 'execution.queue.model=fifo'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(badKey.status).toBe(2);
    expect(badKey.stderr).toMatch(/queue/);
  }, 90_000);
});

describe('maker exchange --store', () => {
  it.skipIf(!haveReal)('replays an imported recording from --from, with its book on REST and streams at server time', async () => {
    const store = mkdtempSync(join(tmpdir(), 'maker-ex-store-'));
    try {
      const imp = spawnSync(process.execPath, [BIN, 'import', HBT_BTC, '--spec', EXCHANGE_INFO, '--out', store, '--quiet'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      expect(imp.status).toBe(0);
      const { info, stderr, stop } = await startCli(['--store', store, '--symbols', 'BTCUSDT', '--from', '2024-08-08T23:58:00Z', '--speed', '5']);
      const { rest } = info;
      let code: number | null = null;
      try {
        type Spec = { symbols: { symbol: string; filters: { filterType: string; minPrice?: string; maxPrice?: string }[] }[] };
        const ei = (await (await fetch(`${rest}/fapi/v1/exchangeInfo`)).json()) as Spec;
        const spec = (JSON.parse(readFileSync(EXCHANGE_INFO, 'utf8')) as Spec).symbols.find((x) => x.symbol === 'BTCUSDT')!;
        const price = (i: Spec['symbols'][number]) => i.filters.find((f) => f.filterType === 'PRICE_FILTER')!;
        // The recording's spec (the store's), not the synthetic one.
        expect(Number(price(ei.symbols[0]).minPrice)).toBe(Number(price(spec).minPrice));
        expect(Number(price(ei.symbols[0]).maxPrice)).toBe(Number(price(spec).maxPrice));
        const d = (await (await fetch(`${rest}/fapi/v1/depth?symbol=BTCUSDT&limit=5`)).json()) as { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };
        // BTCUSDT around 2024-08-08 23:58 UTC traded near 61,000 USDT.
        expect(Number(d.bids[0][0])).toBeGreaterThan(55_000);
        expect(Number(d.bids[0][0])).toBeLessThan(Number(d.asks[0][0]));
        expect(d.lastUpdateId).toBeGreaterThan(0);
        const ws = new WebSocket(`${rest.replace('http', 'ws')}/ws/btcusdt@bookTicker`);
        const msg = await new Promise<{ E: number; b: string }>((resolve, reject) => {
          ws.once('message', (m) => resolve(JSON.parse(String(m))));
          ws.once('error', reject);
          setTimeout(() => reject(new Error('no bookTicker within 10 s')), 10_000);
        });
        ws.close();
        expect(Math.abs(msg.E - Date.now())).toBeLessThan(10_000);
        expect(Number(msg.b)).toBeGreaterThan(55_000);
      } finally {
        code = await stop();
      }
      expect(code).toBe(0);
      expect(stderr()).toBe('');
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('maker exchange --raw', () => {
  it('replays raw files without a store: their symbols, their specs (--infer-spec), their book to the end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exraw-cli-'));
    try {
      const files = writeRecordings(dir);
      // The book the files end with, as the importer reads them.
      const { instruments, source } = await rawMarket([files.btc1, files.eth, files.btc2], { specs: new SpecRegistry(), inferSpecs: true });
      const sync = new BookSync(new L2Book('BTCUSDT'));
      for await (const batch of source) for (const e of batch) if (e.symbol === 'BTCUSDT' && e.type === 'depth') sync.applyDiff(e); else if (e.symbol === 'BTCUSDT' && e.type === 'snapshot') sync.applySnapshot(e);
      const btc = instruments[0];
      const { info, stderr, stop } = await startCli(['--raw', files.btc1, files.eth, files.btc2, '--infer-spec']);
      try {
        const ei = (await (await fetch(`${info.rest}/fapi/v1/exchangeInfo`)).json()) as { symbols: { symbol: string }[] };
        expect(ei.symbols.map((s) => s.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
        // The recording lasts 0.6 s of data time: at speed 1 it is over within a few seconds.
        let d: { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] } | undefined;
        for (let i = 0; i < 100; i++) {
          d = (await (await fetch(`${info.rest}/fapi/v1/depth?symbol=BTCUSDT&limit=5`)).json()) as typeof d;
          if (d!.lastUpdateId === sync.book.lastUpdateId()) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(d!.lastUpdateId).toBe(sync.book.lastUpdateId());
        expect(d!.bids).toEqual(sync.book.topLevels('bid', 5).map((l) => [btc.ticksToPrice(l.priceTicks), btc.lotsToQty(l.qtyLots)]));
        expect(d!.asks).toEqual(sync.book.topLevels('ask', 5).map((l) => [btc.ticksToPrice(l.priceTicks), btc.lotsToQty(l.qtyLots)]));
      } finally {
        expect(await stop()).toBe(0);
      }
      // --infer-spec says what it inferred, as maker import does (JSON lines with --json).
      expect(stderr()).toMatch(/"warning":"W_SPEC_INFERRED"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('names the file it cannot read, and refuses --raw with --store and --spec without --raw (exit 2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'exraw-cli-'));
    try {
      const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'exchange', ...args, '--port', '0'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      const notes = join(dir, 'notes.txt');
      writeFileSync(notes, 'hello\n');
      const unknown = run('--raw', notes, '--infer-spec');
      expect(unknown.status).toBe(2);
      expect(unknown.stderr).toContain(`${notes}:1: field "header": unrecognised input format`);
      const missing = run('--raw', join(dir, 'nope.gz'));
      expect(missing.status).toBe(2);
      expect(missing.stderr).toContain(`${join(dir, 'nope.gz')}: cannot open`);
      const both = run('--raw', notes, '--store', dir);
      expect(both.status).toBe(2);
      expect(both.stderr).toMatch(/--raw and --store are two market sources: give one/);
      const spec = run('--spec', notes);
      expect(spec.status).toBe(2);
      expect(spec.stderr).toMatch(/--spec needs --raw/);
      const files = writeRecordings(dir);
      const noSpec = run('--raw', files.btc1);
      expect(noSpec.status).toBe(2);
      expect(noSpec.stderr).toMatch(/no instrument spec for symbol BTCUSDT; pass --spec <exchangeInfo.json> with this symbol, or --infer-spec/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
