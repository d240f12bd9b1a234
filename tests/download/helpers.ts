// A local data.binance.vision on loopback for `maker download` tests: serves zips (and their
// `.zip.CHECKSUM` files) at the archive layout's paths, answers Range requests with 206, and can
// misbehave per path: 404 (missing), a wrong body (bad checksum), a connection dropped mid-file,
// a body that stalls, a 503 first. Every request is logged (path, Range header) so a test can see
// that a download resumed.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { strToU8, zipSync } from 'fflate';
import { DEFAULT_SYNTHETIC, generateSynthetic, syntheticInstrument } from '../../src/synthetic/index.ts';

export interface Misbehaviour {
  /** Serve this many wrong bodies (same length, bytes flipped) before the right one. */
  corruptTimes?: number;
  /** Drop the connection after this many body bytes, on this many requests. */
  dropAfterBytes?: number;
  dropTimes?: number;
  /** Send this many body bytes and then nothing (the connection stays open) on the first request. */
  stallAfterBytes?: number;
  /** Answer 503 this many times first. */
  unavailableTimes?: number;
  /** Wait this long before answering the zip request. */
  delayMs?: number;
}

export interface LoggedRequest {
  path: string;
  range: string | undefined;
}

export interface ArchiveServer {
  baseUrl: string;
  requests: LoggedRequest[];
  /** Most zip responses open at the same time. */
  peakConcurrent(): number;
  /** Adds or replaces a zip at `path` (relative, `data/futures/um/...zip`); its CHECKSUM is computed. */
  put(path: string, zip: Uint8Array, how?: Misbehaviour): void;
  /** A CHECKSUM without its zip, or a zip whose CHECKSUM says another hash. */
  putChecksum(path: string, text: string): void;
  /** Resolves once a stalled response has sent its bytes. */
  stalled: Promise<void>;
  close(): Promise<void>;
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export async function startArchiveServer(): Promise<ArchiveServer> {
  const files = new Map<string, { body: Buffer; how: Misbehaviour; served: number }>();
  const checksums = new Map<string, string>();
  const requests: LoggedRequest[] = [];
  let open = 0;
  let peak = 0;
  let stalledResolve!: () => void;
  const stalled = new Promise<void>((r) => (stalledResolve = r));

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]).replace(/^\/+/, '');
    requests.push({ path, range: req.headers.range });
    if (path.endsWith('.CHECKSUM')) {
      const text = checksums.get(path);
      if (text === undefined) {
        res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) }).end(text);
      return;
    }
    const f = files.get(path);
    if (!f) {
      res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>');
      return;
    }
    const n = f.served++;
    const how = f.how;
    open++;
    peak = Math.max(peak, open);
    res.on('close', () => open--);
    if (how.delayMs !== undefined) {
      setTimeout(() => answer(req, res, f, n), how.delayMs);
      return;
    }
    answer(req, res, f, n);
  };

  const answer = (req: IncomingMessage, res: ServerResponse, f: { body: Buffer; how: Misbehaviour }, n: number): void => {
    const how = f.how;
    if (n < (how.unavailableTimes ?? 0)) {
      res.writeHead(503, { 'retry-after': '0' }).end('slow down');
      return;
    }
    let body = f.body;
    if (n - (how.unavailableTimes ?? 0) < (how.corruptTimes ?? 0)) {
      body = Buffer.from(body);
      for (let i = 0; i < body.length; i += 7) body[i] ^= 0xff;
    }
    const total = body.length;
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m) {
      start = Number(m[1]);
      if (start >= total) {
        res.writeHead(416, { 'content-range': `bytes */${total}` }).end();
        return;
      }
      res.writeHead(206, { 'content-type': 'application/zip', 'content-length': total - start, 'content-range': `bytes ${start}-${total - 1}/${total}`, 'accept-ranges': 'bytes' });
    } else {
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': total, 'accept-ranges': 'bytes' });
    }
    const rest = body.subarray(start);
    if (how.stallAfterBytes !== undefined && n === 0) {
      res.write(rest.subarray(0, how.stallAfterBytes), () => stalledResolve());
      return; // never ends; closed with the server
    }
    if (how.dropAfterBytes !== undefined && n < (how.dropTimes ?? 1) + (how.unavailableTimes ?? 0)) {
      // The pause lets the client read what was sent before the connection goes.
      res.write(rest.subarray(0, how.dropAfterBytes), () => setTimeout(() => res.socket?.destroy(), 50));
      return;
    }
    res.end(rest);
  };

  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    peakConcurrent: () => peak,
    stalled,
    put(path, zip, how = {}) {
      const body = Buffer.from(zip);
      files.set(path, { body, how, served: 0 });
      checksums.set(`${path}.CHECKSUM`, `${sha256(body)}  ${path.split('/').pop()}\n`);
    },
    putChecksum(path, text) {
      checksums.set(path, text);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A zip holding one CSV named like data.binance.vision does (`<zip name without .zip>.csv`). */
export function zipCsv(zipName: string, csv: string): Uint8Array {
  return zipSync({ [zipName.replace(/\.zip$/, '.csv')]: strToU8(csv) }, { level: 6 });
}

/** A CSV of incompressible-ish filler rows, for archives whose size matters (drops, resumes). */
export function fillerTradesCsv(rows: number, seed = 1): string {
  const lines = ['id,price,qty,quote_qty,time,is_buyer_maker'];
  let x = seed;
  for (let i = 0; i < rows; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const price = (40000 + (x % 100000) / 10).toFixed(1);
    const qty = ((x % 997) / 1000 + 0.001).toFixed(3);
    lines.push(`${i + 1},${price},${qty},${(Number(price) * Number(qty)).toFixed(4)},${1704067200000 + i},${x % 2 === 0}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * data.binance.vision bookTicker and trades CSVs (with header rows) of the seeded synthetic
 * BTCUSDT-like market, `durationS` seconds from `startUs`.
 */
export function syntheticVisionCsvs(startUs: number, durationS: number, seed: number): { bookTicker: string; trades: string; quotes: number; prints: number } {
  const inst = syntheticInstrument();
  const bt = ['update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time'];
  const tr = ['id,price,qty,quote_qty,time,is_buyer_maker'];
  for (const batch of generateSynthetic({ ...DEFAULT_SYNTHETIC, seed, durationS, startUs }, inst)) {
    for (const e of batch) {
      const ms = Math.floor(e.tsExchangeUs / 1000);
      if (e.type === 'bookTicker') {
        bt.push(`${e.updateId},${inst.ticksToPrice(e.bidTicks)},${inst.lotsToQty(e.bidLots)},${inst.ticksToPrice(e.askTicks)},${inst.lotsToQty(e.askLots)},${ms},${ms}`);
      } else if (e.type === 'trade') {
        const quote = (inst.ticksToFloat(e.priceTicks) * inst.lotsToFloat(e.qtyLots)).toFixed(4);
        tr.push(`${e.tradeId},${inst.ticksToPrice(e.priceTicks)},${inst.lotsToQty(e.qtyLots)},${quote},${ms},${e.buyerIsMaker}`);
      }
    }
  }
  return { bookTicker: `${bt.join('\n')}\n`, trades: `${tr.join('\n')}\n`, quotes: bt.length - 1, prints: tr.length - 1 };
}

/** A minimal exchangeInfo with BTCUSDT (tick 0.1, step 0.001), as GET /fapi/v1/exchangeInfo shapes it. */
export const EXCHANGE_INFO_BTC = {
  serverTime: 1704067200000,
  symbols: [
    {
      symbol: 'BTCUSDT',
      baseAsset: 'BTC',
      quoteAsset: 'USDT',
      marginAsset: 'USDT',
      contractType: 'PERPETUAL',
      filters: [
        { filterType: 'PRICE_FILTER', tickSize: '0.10', minPrice: '0.10', maxPrice: '1000000' },
        { filterType: 'LOT_SIZE', stepSize: '0.001', minQty: '0.001', maxQty: '1000' },
        { filterType: 'MARKET_LOT_SIZE', stepSize: '0.001', minQty: '0.001', maxQty: '120' },
        { filterType: 'MIN_NOTIONAL', notional: '5' },
        { filterType: 'PERCENT_PRICE', multiplierUp: '1.05', multiplierDown: '0.95' },
        { filterType: 'MAX_NUM_ORDERS', limit: 200 },
      ],
    },
  ],
};
