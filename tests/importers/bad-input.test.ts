// Bad input: each case fails with an error naming file, line and field, and delivers no event of the
// batch being filled (here every file fits one batch, so nothing at all is delivered).
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { zipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { InputError, MakerError } from '../../src/core/errors.ts';
import { detectFormat, importSources, type ImportOptions } from '../../src/importers/index.ts';
import { localRegistry, tempDir, writeTemp } from './helpers.ts';

const BT = (E: number, b = '"61800.20"', B = '"2.507"') => `{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":5123107839020,"s":"BTCUSDT","b":${b},"B":${B},"a":"61800.30","A":"2.510","T":${E},"E":${E}}}`;
const lines = (n: number, startUs = 1723161255000000) => Array.from({ length: n }, (_, i) => `${startUs + i * 1000} ${BT(1723161256000 + i)}`);

/** Drains a session; returns the events delivered before the error and the error. */
async function failure(inputs: string[], opts: Partial<ImportOptions> = {}) {
  const session = importSources(inputs, { specs: localRegistry(), ...opts });
  let delivered = 0;
  try {
    for await (const b of session.events) delivered += b.length;
  } catch (e) {
    return { err: e as MakerError, delivered };
  }
  throw new Error('expected the import to fail');
}

describe('bad input', () => {
  it('a forced format that is no FormatId is a ConfigError naming the field, not a guess at another format', async () => {
    const dir = tempDir();
    const f = writeTemp(dir, 'btcusdt_20240808.txt', `${lines(3).join('\n')}\n`);
    const { err, delivered } = await failure([f], { format: 'bogus' as never });
    expect(err.code).toBe('E_CONFIG');
    expect(err.location.field).toBe('format');
    expect(err.message).toMatch(/unknown input format "bogus".*binance-ws-recording/);
    expect(delivered).toBe(0);
  });

  it('truncated gzip (a recorder killed mid-write): every line before the cut is kept, the cut reported with file and line; the partial line is never parsed', async () => {
    const dir = tempDir();
    const all = lines(2000);
    const full = gzipSync(`${all.join('\n')}\n`);
    const f = writeTemp(dir, 'btcusdt_20240808.gz', full.subarray(0, Math.floor(full.length * 0.6)));
    const session = importSources([f], { specs: localRegistry() });
    let delivered = 0;
    for await (const b of session.events) delivered += b.length;
    const st = session.stats();
    expect(delivered).toBeGreaterThan(100);
    expect(delivered).toBeLessThan(2000);
    expect(st.damageCount).toBe(1);
    expect(st.damage[0]).toMatchObject({ file: f, line: delivered + 1, kind: 'truncated' });
    expect(st.damage[0].message).toMatch(/ends early/);
    expect(st.damage[0].bytesLost).toBeGreaterThan(0); // the partial line at the cut
    expect(st.warnings.some((w) => w.code === 'W_DAMAGE' && w.message.includes(`${f}:${delivered + 1}`))).toBe(true);
  });

  it('a plain file whose last line was cut mid-way keeps the lines before it; a bad line in the middle still fails, or is skipped with skipBadLines', async () => {
    const dir = tempDir();
    const l = lines(5);
    const cut = writeTemp(dir, 'btcusdt_cut.txt', `${l.slice(0, 4).join('\n')}\n${l[4].slice(0, 50)}`);
    const session = importSources([cut], { specs: localRegistry() });
    let delivered = 0;
    for await (const b of session.events) delivered += b.length;
    expect(delivered).toBe(4);
    expect(session.stats().damage).toEqual([expect.objectContaining({ file: cut, line: 5, kind: 'cut-line', bytesLost: 50 })]);
    // The same cut line in the middle of the file is damage, not a cut: fails by default...
    const mid = writeTemp(dir, 'btcusdt_mid.txt', `${[l[0], l[4].slice(0, 50), l[1], l[2]].join('\n')}\n`);
    expect((await failure([mid])).err).toMatchObject({ code: 'E_INPUT_INCOMPLETE', location: { file: mid, line: 2 } });
    // ...and with skipBadLines it is skipped, counted and located.
    const skipping = importSources([mid], { specs: localRegistry(), skipBadLines: true });
    let kept = 0;
    for await (const b of skipping.events) kept += b.length;
    expect(kept).toBe(3);
    expect(skipping.stats().damage).toEqual([expect.objectContaining({ file: mid, line: 2, kind: 'bad-line' })]);
    // A complete last line without a newline is just a last line.
    const noNewline = writeTemp(dir, 'btcusdt_nonl.txt', l.join('\n'));
    const plain = importSources([noNewline], { specs: localRegistry() });
    let n = 0;
    for await (const b of plain.events) n += b.length;
    expect([n, plain.stats().damageCount]).toEqual([5, 0]);
    // A semantic error on an unterminated last line is not a cut: it still fails.
    const bad = writeTemp(dir, 'btcusdt_badlast.txt', `${l[0]}\n1723161255001000 ${BT(1723161256001, '"-61800.20"')}`);
    expect((await failure([bad])).err).toMatchObject({ code: 'E_INPUT', location: { file: bad, line: 2 } });
  });

  it('damaged gzip data fails by default (naming the file); skipBadLines keeps the good lines and counts the damage', async () => {
    const dir = tempDir();
    const text = `${lines(3000).join('\n')}\n`;
    // (a) A broken checksum in the gzip trailer: zlib reports the damage after the last line.
    const crc = Buffer.from(gzipSync(text));
    crc[crc.length - 6] ^= 0xff;
    const f = writeTemp(dir, 'btcusdt_20240809.gz', crc);
    const { err } = await failure([f]);
    expect(err).toMatchObject({ code: 'E_INPUT', location: { file: f, field: 'gzip data' } });
    expect(err.message).toMatch(/damaged.*--skip-bad-lines/);
    const keep = importSources([f], { specs: localRegistry(), skipBadLines: true });
    let kept = 0;
    for await (const b of keep.events) kept += b.length;
    // zlib drops the output it holds at the error: up to one 64 KiB piece before the damage.
    expect(kept).toBeGreaterThan(2600);
    expect(kept).toBeLessThanOrEqual(3000);
    expect(keep.stats().damage).toEqual([expect.objectContaining({ file: f, kind: 'corrupt', line: kept + 1 })]);
    // (b) Bytes overwritten mid-stream: garbage lines or a decode error; never silent.
    const mid = Buffer.from(gzipSync(text));
    for (let i = Math.floor(mid.length / 2); i < Math.floor(mid.length / 2) + 64; i++) mid[i] ^= 0xa5;
    const g = writeTemp(dir, 'btcusdt_20240810.gz', mid);
    expect((await failure([g])).err.location.file).toBe(g);
    const skip = importSources([g], { specs: localRegistry(), skipBadLines: true });
    let good = 0;
    for await (const b of skip.events) good += b.length;
    const st = skip.stats();
    expect(good).toBeGreaterThan(100);
    expect(st.damageCount).toBeGreaterThan(0);
    expect(new Set(st.damage.map((d) => d.kind)).size).toBeGreaterThan(0);
    for (const d of st.damage) expect(['bad-line', 'corrupt']).toContain(d.kind);
  });

  it('a truncated zip is an error too', async () => {
    const dir = tempDir();
    const rows = Array.from({ length: 3000 }, (_, i) => `${i + 1},42314.50,0.010,423.145,${1704067200000 + i},true`).join('\n');
    const z = zipSync({ 'BTCUSDT-trades-2024-01-01.csv': strToU8(rows) });
    const f = writeTemp(dir, 'BTCUSDT-trades-2024-01-01.zip', z.subarray(0, Math.floor(z.length / 2)));
    const { err, delivered } = await failure([f]);
    expect(err).toMatchObject({ code: 'E_INPUT', location: { file: f, field: 'zip data' } });
    expect(delivered).toBe(0);
  });

  it('a non-JSON line', async () => {
    const dir = tempDir();
    const l = lines(3);
    l[1] = `1723161255001000 {"stream":"btcusdt@bookTicker","data":{"e":"bookT`;
    const f = writeTemp(dir, 'btcusdt_20240808.txt', l.join('\n'));
    const { err, delivered } = await failure([f]);
    expect(err).toMatchObject({ code: 'E_INPUT_INCOMPLETE', location: { file: f, line: 2, field: 'json' } });
    expect(delivered).toBe(0);
  });

  it('a missing field and a non-numeric field', async () => {
    const dir = tempDir();
    const missing = writeTemp(dir, 'btcusdt_a.txt', `1723161255000000 {"stream":"btcusdt@trade","data":{"e":"trade","T":1,"s":"BTCUSDT","t":1,"p":"1.0","q":"1","m":true}}`);
    expect((await failure([missing])).err).toMatchObject({ code: 'E_INPUT', location: { file: missing, line: 1, field: 'data.E' } });
    const nonNum = writeTemp(dir, 'btcusdt_b.txt', [lines(1)[0], `1723161255001000 ${BT(1723161256001, '"61800.2x"')}`].join('\n'));
    const e2 = (await failure([nonNum])).err;
    expect(e2).toBeInstanceOf(InputError);
    expect(e2).toMatchObject({ code: 'E_NUMBER', location: { file: nonNum, line: 2, field: 'data.b' } });
    const csv = writeTemp(dir, 'BTCUSDT-trades-2024-01-01.csv', 'id,price,qty,quote_qty,time,is_buyer_maker\n1,42314.50,0.010,1,1704067200000,true\n2,42314.50,0.010,1,17040672OOOOO,true\n');
    expect((await failure([csv])).err).toMatchObject({ code: 'E_INPUT', location: { file: csv, line: 3, field: 'time' } });
    const short = writeTemp(dir, 'BTCUSDT-trades-2024-01-02.csv', '1,42314.50,0.010,1,1704067200000,true\n2,42314.50\n');
    expect((await failure([short])).err).toMatchObject({ code: 'E_INPUT_INCOMPLETE', location: { file: short, line: 2, field: 'row' } });
  });

  it('a negative quantity or price, and a depth level that is not [price, qty]', async () => {
    const dir = tempDir();
    const negQty = writeTemp(dir, 'BTCUSDT-aggTrades-2024-01-01.csv', '1,42314.50,-0.010,1,1,1704067200000,true\n');
    expect((await failure([negQty])).err).toMatchObject({ code: 'E_INPUT', location: { file: negQty, line: 1, field: 'quantity' } });
    const negPx = writeTemp(dir, 'btcusdt_c.txt', `1723161255000000 ${BT(1723161256000, '"-61800.20"')}`);
    const e = (await failure([negPx])).err;
    expect(e).toMatchObject({ code: 'E_INPUT', location: { file: negPx, line: 1, field: 'data.b' } });
    expect(e.message).toContain('must be positive');
    const depth = writeTemp(dir, 'btcusdt_d.txt', `1723161255000000 {"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":1,"u":2,"pu":0,"b":[["61800.20","0.014"],["61800.10","-1"]],"a":[]}}`);
    expect((await failure([depth])).err).toMatchObject({ location: { file: depth, line: 1, field: 'data.b[1]' } });
  });

  it('receive time going backwards within a file (tolerance 0 by default, configurable)', async () => {
    const dir = tempDir();
    const l = lines(4);
    l[3] = `${1723161255000000 + 500} ${BT(1723161256003)}`; // 1.5 ms before line 3
    const f = writeTemp(dir, 'btcusdt_20240808.txt', l.join('\n'));
    const { err } = await failure([f]);
    expect(err).toMatchObject({ code: 'E_INPUT', location: { file: f, line: 4, field: 'receive time' } });
    expect(err.message).toContain('backwards');
    const ok = importSources([f], { specs: localRegistry(), receiveTimeToleranceUs: 2000 });
    let n = 0;
    for await (const b of ok.events) n += b.length;
    expect(n).toBe(4);
    const tardis = writeTemp(dir, 'quotes.csv', 'exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount\nbinance-futures,BTCUSDT,1,1582329603502092,0.84,9682,9681.9,0.67\nbinance-futures,BTCUSDT,2,1582329603402092,0.84,9682,9681.9,0.67\n');
    expect((await failure([tardis])).err).toMatchObject({ location: { file: tardis, line: 3, field: 'local_timestamp' } });
  });

  it('empty inputs: 0 bytes, empty gzip, header only, configuration only', async () => {
    const dir = tempDir();
    const zero = writeTemp(dir, 'btcusdt_1.txt', '');
    const emptyGz = writeTemp(dir, 'btcusdt_2.gz', gzipSync(''));
    const header = writeTemp(dir, 'BTCUSDT-trades-2024-01-01.csv', 'id,price,qty,quote_qty,time,is_buyer_maker\n');
    const cf = writeTemp(dir, 'BINANCE_FUTURES-x.0', 'configuration: {"l2_book":["BTC-USDT"]}\nwss://fstream.binance.com/stream?streams=btcusdt@depth <-> 1617647796.76969\n');
    for (const f of [zero, emptyGz, header, cf]) {
      const { err } = await failure([f]);
      expect(err, f).toMatchObject({ code: 'E_INPUT_EMPTY', location: { file: f } });
      expect(err.location.line, f).toBeGreaterThanOrEqual(1);
    }
  });

  it('an unrecognisable file names itself and what it saw', async () => {
    const dir = tempDir();
    const f = writeTemp(dir, 'notes.csv', 'date,open,close\n2024-01-01,1,2\n');
    await expect(detectFormat(f)).rejects.toMatchObject({ code: 'E_INPUT_FORMAT', location: { file: f, line: 1, field: 'header' } });
    await expect(detectFormat(f)).rejects.toThrow(/date,open,close/);
    // A file name that promises a layout the content does not have.
    const g = writeTemp(dir, 'BTCUSDT-trades-2024-01-01.csv', '1,2,3\n');
    await expect(detectFormat(g)).rejects.toThrow(/6 columns/);
    // Format errors surface before any event of any file is delivered.
    const good = writeTemp(dir, 'btcusdt_ok.txt', lines(2).join('\n'));
    expect(await failure([good, f])).toMatchObject({ delivered: 0, err: { code: 'E_INPUT_FORMAT' } });
  });

  it('a directory of mixed symbols is listed sorted and imported with a warning', async () => {
    const dir = tempDir();
    const sub = join(dir, 'in');
    mkdirSync(sub);
    writeTemp(sub, 'ethusdt_20240808.txt', `1723161255000000 ${BT(1723161256000).replaceAll('btcusdt', 'ethusdt').replace('"BTCUSDT"', '"ETHUSDT"').replace('61800.20', '2600.21').replace('61800.30', '2600.22')}`);
    writeTemp(sub, 'btcusdt_20240808.txt', lines(2).join('\n'));
    writeTemp(sub, '.hidden', 'junk');
    const session = importSources([sub], { specs: localRegistry() });
    const symbols: string[] = [];
    for await (const b of session.events) for (const e of b) symbols.push(e.symbol);
    expect(symbols).toEqual(['BTCUSDT', 'BTCUSDT', 'ETHUSDT']);
    const stats = session.stats();
    expect(stats.files.map((f) => f.path.split('/').pop())).toEqual(['btcusdt_20240808.txt', 'ethusdt_20240808.txt']);
    expect(stats.warnings).toMatchObject([{ code: 'W_MIXED_SYMBOLS', file: sub }]);
  });

  it('a symbol without a spec is a MissingSpecError located at its first line', async () => {
    const dir = tempDir();
    const f = writeTemp(dir, 'recording.txt', `1723161255000000 ${BT(1723161256000).replace('"BTCUSDT"', '"XRPUSDT"')}`);
    const { err } = await failure([f]);
    expect(err).toMatchObject({ code: 'E_NO_SPEC', location: { file: f, line: 1 } });
    expect(err.message).toContain('XRPUSDT');
  });

  it('reports progress in bytes read from disk', async () => {
    const dir = tempDir();
    const f = writeTemp(dir, 'btcusdt_20240808.gz', gzipSync(`${lines(500).join('\n')}\n`));
    const seen: [number, number][] = [];
    const s = importSources([f], { specs: localRegistry(), onProgress: (r, t) => seen.push([r, t]), batchSize: 100 });
    let batches = 0;
    for await (const _ of s.events) batches++;
    expect(batches).toBe(5);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[seen.length - 1][0]).toBe(seen[seen.length - 1][1]);
    expect(s.stats()).toMatchObject({ bytesRead: seen[0][1], totalBytes: seen[0][1], events: 500 });
  });
});
