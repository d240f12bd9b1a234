/**
 * Format detection: the container from the magic bytes (gzip 1f 8b, zip "PK\3\4"), then the layout
 * from the first line (a recording's `<time> {json}`, cryptofeed's header lines, a CSV header row)
 * and, for header-less data.binance.vision CSVs, from the file name
 * (`BTCUSDT-trades-2024-01-01.zip`, `BTCUSDT-1m-2024-01-01.zip`; a kline file counts as mark- or
 * index-price klines when a folder on its path says `markPriceKlines` / `indexPriceKlines`).
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors.ts';
import { VISION_HEADERS } from './binance-vision.ts';
import { readFirstLines } from './source.ts';
import { TARDIS_HEADERS } from './tardis.ts';
import type { Compression, DetectedInput, FormatId } from './types.ts';

function readMagic(path: string): Buffer {
  const buf = Buffer.alloc(4);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new InputError(`cannot open: ${(e as Error).message}`, { file: path }, 'E_INPUT', e);
  }
  try {
    const n = readSync(fd, buf, 0, 4, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function compressionOf(magic: Buffer, path: string): Compression {
  if (magic.length >= 2 && magic[0] === 0x1f && magic[1] === 0x8b) return 'gzip';
  if (magic.length >= 4 && magic[0] === 0x50 && magic[1] === 0x4b) {
    if (magic[2] === 0x03 && magic[3] === 0x04) return 'zip';
    if (magic[2] === 0x05 && magic[3] === 0x06) throw new InputError('zip archive holds no file', { file: path }, 'E_INPUT_EMPTY');
  }
  return 'none';
}

const KLINE_INTERVAL = /^(1s|1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d|3d|1w|1mo)$/;

/** data.binance.vision type named by a file name like `BTCUSDT-aggTrades-2024-01-01.zip`. */
function visionTypeFromName(path: string): FormatId | undefined {
  const base = path.split(/[\\/]/).pop() ?? '';
  const m = /^[A-Za-z0-9]+-([A-Za-z0-9]+)-\d{4}-\d{2}(?:-\d{2})?\.(?:csv|zip|csv\.gz)$/.exec(base);
  if (!m) return undefined;
  switch (m[1]) {
    case 'trades':
      return 'vision-trades';
    case 'aggTrades':
      return 'vision-aggtrades';
    case 'bookTicker':
      return 'vision-bookticker';
    case 'fundingRate':
      return 'vision-funding-rate';
    default:
      return KLINE_INTERVAL.test(m[1]) ? klineKind(path) : undefined;
  }
}

function klineKind(path: string): FormatId {
  if (/(^|[\\/])markPriceKlines([\\/]|$)/.test(path)) return 'vision-mark-price-klines';
  if (/(^|[\\/])indexPriceKlines([\\/]|$)/.test(path)) return 'vision-index-price-klines';
  return 'vision-klines';
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function cut(s: string): string {
  return JSON.stringify(s.length > 100 ? `${s.slice(0, 100)}…` : s);
}

/** Recognises the format of one file, or throws `E_INPUT_FORMAT` (unknown) / `E_INPUT_EMPTY`. */
export async function detectFormat(path: string): Promise<DetectedInput> {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new InputError('is a directory; give its files (importSources lists directories)', { file: path }, 'E_INPUT_FORMAT');
    size = st.size;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot open: ${(e as Error).message}`, { file: path }, 'E_INPUT', e);
  }
  if (size === 0) throw new InputError('file is empty (0 bytes)', { file: path, line: 1 }, 'E_INPUT_EMPTY');
  const compression = compressionOf(readMagic(path), path);
  const lines = (await readFirstLines(path, compression, 4)).map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)).filter((l) => l.trim().length > 0);
  if (lines.length === 0) throw new InputError(`file holds no lines${compression === 'none' ? '' : ` once ${compression}-decompressed`}`, { file: path, line: 1 }, 'E_INPUT_EMPTY');
  const first = lines[0];
  const symbolFromName = symbolFromFileName(path);
  const found = (format: FormatId, hasHeader = false, columns?: readonly string[]): DetectedInput => ({
    path,
    format,
    compression,
    hasHeader,
    columns: columns ? [...columns] : undefined,
    symbolFromName,
  });

  if (/^\d{10,19} [{[]/.test(first)) return found('binance-ws-recording');
  if (first.startsWith('configuration: ') || first.startsWith('wss://') || /^\d{9,11}(\.\d+)?: \{/.test(first) || /^https:\/\/\S+ -> \d/.test(first)) return found('cryptofeed');

  const cells = first.split(',');
  if (first.startsWith('exchange,symbol,timestamp,local_timestamp,')) {
    for (const [format, header] of Object.entries(TARDIS_HEADERS)) if (sameColumns(cells, header)) return found(format as FormatId, true, cells);
    if (cells[4] === 'asks[0].price' || cells[4] === 'bids[0].price') return found('tardis-book-snapshot', true, cells);
    throw new InputError(`a Tardis.dev CSV of an unsupported type (columns ${cut(first)})`, { file: path, line: 1, field: 'header' }, 'E_INPUT_FORMAT');
  }
  if (sameColumns(cells, VISION_HEADERS['binance-depth-csv'])) return found('binance-depth-csv', true, cells);
  for (const [format, header] of Object.entries(VISION_HEADERS)) {
    if (format === 'binance-depth-csv' || !sameColumns(cells, header)) continue;
    if (header === VISION_HEADERS['vision-klines']) return found(klineKind(path), true, cells);
    return found(format as FormatId, true, cells);
  }
  // Header-less files: older data.binance.vision dumps, and the order-book CSV without its header.
  if (cells.length === 9 && (cells[4] === 'a' || cells[4] === 'b') && (cells[5] === 'snap' || cells[5] === 'set')) {
    return found('binance-depth-csv', false, VISION_HEADERS['binance-depth-csv']);
  }
  const fromName = visionTypeFromName(path);
  if (fromName) {
    const header = VISION_HEADERS[fromName as keyof typeof VISION_HEADERS];
    if (cells.length === header.length && /^\d+$/.test(cells[0])) return found(fromName, false, header);
    throw new InputError(
      `file name says data.binance.vision ${fromName.replace('vision-', '')}, which has ${header.length} columns (${header.join(',')}), but the first line is ${cut(first)}`,
      { file: path, line: 1, field: 'header' },
      'E_INPUT_FORMAT',
    );
  }
  throw new InputError(
    `unrecognised input format (${compression === 'none' ? 'plain text' : compression}); first line: ${cut(first)}. Supported: Binance WebSocket recordings, cryptofeed, Tardis.dev CSV, data.binance.vision CSV, Binance order-book CSV`,
    { file: path, line: 1, field: 'header' },
    'E_INPUT_FORMAT',
  );
}

/**
 * Expands the inputs: files stay in the given order, a directory becomes its regular files sorted
 * by name (hidden files, `.md` notes and `.CHECKSUM` files skipped). Sorting by name keeps daily files of one
 * session in date order.
 */
export function listInputFiles(inputs: string[]): { files: string[]; fromDirectory: Map<string, string> } {
  const files: string[] = [];
  const fromDirectory = new Map<string, string>();
  for (const input of inputs) {
    let st;
    try {
      st = statSync(input);
    } catch (e) {
      throw new InputError(`cannot open: ${(e as Error).message}`, { file: input }, 'E_INPUT', e);
    }
    if (!st.isDirectory()) {
      files.push(input);
      continue;
    }
    const names = readdirSync(input)
      .filter((n) => !n.startsWith('.') && !/\.(md|CHECKSUM)$/i.test(n))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const inDir = names.map((n) => join(input, n)).filter((p) => statSync(p).isFile());
    if (inDir.length === 0) throw new InputError('directory holds no input files', { file: input }, 'E_INPUT_EMPTY');
    for (const p of inDir) {
      files.push(p);
      fromDirectory.set(p, input);
    }
  }
  if (files.length === 0) throw new InputError('no input given', {}, 'E_INPUT_EMPTY');
  return { files, fromDirectory };
}

/** The symbol in a file name: `BTCUSDT-trades-2024-01-01.zip`, `btcusdt_20240808.gz`, `.../BTCUSDT.csv.gz`. */
export function symbolFromFileName(path: string): string | undefined {
  const base = path.split(/[\\/]/).pop() ?? '';
  const m = /^([A-Za-z0-9]{4,20}?)(?:[-_.]|$)/.exec(base);
  if (!m) return undefined;
  const sym = m[1].toUpperCase();
  // Only names that look like Binance perp symbols, so `trades.csv` or `data.gz` do not count.
  return /^[A-Z0-9]{2,16}(USDT|USDC|BUSD|USD)$/.test(sym) ? sym : undefined;
}
