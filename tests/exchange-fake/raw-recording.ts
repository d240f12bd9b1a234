// Synthetic raw recordings for the `--raw` tests: files as hftbacktest's collector writes them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const T0_US = 1_704_067_200_000_000; // 2024-01-01T00:00:00Z

/**
 * A Binance WebSocket recording of one symbol (`<receive ns> <json>` lines) as hftbacktest's
 * collector writes it: a diff before the REST snapshot, the snapshot at that diff's `u`, then diffs, trades and
 * book tickers. Receive times are `T0 + offsetUs + k·stepUs`.
 */
export function recording(symbol: string, basePrice: number, offsetUs: number, stepUs: number, from: number, count: number, firstId: number): string[] {
  const s = symbol.toLowerCase();
  const lines: string[] = [];
  let id = firstId;
  let trade = 1_000 + from;
  // Bids at or below the base price, asks above it: the book never crosses.
  const px = (k: number, d: number) => (d <= 1 ? basePrice - ((k * 7) % 13) / 10 + Math.min(d, 0) / 10 : basePrice + ((k * 5) % 11) / 10 + (d - 4) / 10).toFixed(1);
  for (let k = from; k < from + count; k++) {
    const recvUs = T0_US + offsetUs + k * stepUs;
    const e = Math.floor(recvUs / 1000) + 3;
    const ns = `${recvUs}000`;
    if (k === 0) {
      lines.push(`${ns} {"stream":"${s}@depth@0ms","data":{"e":"depthUpdate","E":${e},"T":${e},"s":"${symbol}","U":${id},"u":${id + 4},"pu":${id - 1},"b":[["${px(k, 0)}","1.000"]],"a":[["${px(k, 5)}","1.000"]]}}`);
      id += 5;
      continue;
    }
    if (k === 1) {
      lines.push(`${ns} {"lastUpdateId":${id - 1},"E":${e},"T":${e},"bids":[["${px(k, 0)}","2.000"],["${px(k, -1)}","3.000"]],"asks":[["${px(k, 5)}","2.000"],["${px(k, 6)}","3.000"]]}`);
      continue;
    }
    switch (k % 3) {
      case 0:
        lines.push(`${ns} {"stream":"${s}@depth@0ms","data":{"e":"depthUpdate","E":${e},"T":${e},"s":"${symbol}","U":${id},"u":${id + 2},"pu":${id - 1},"b":[["${px(k, 0)}","${(k % 5) / 2}"],["${px(k, -2)}","0.500"]],"a":[["${px(k, 5)}","${((k + 2) % 4) / 4}"]]}}`);
        id += 3;
        break;
      case 1:
        lines.push(`${ns} {"stream":"${s}@trade","data":{"e":"trade","E":${e},"T":${e},"s":"${symbol}","t":${trade++},"p":"${px(k, 1)}","q":"0.010","X":"MARKET","m":${k % 2 === 0}}}`);
        break;
      default:
        lines.push(`${ns} {"stream":"${s}@bookTicker","data":{"e":"bookTicker","u":${id - 1},"s":"${symbol}","b":"${px(k, 0)}","B":"1.500","a":"${px(k, 5)}","A":"2.500","T":${e},"E":${e}}}`);
    }
  }
  return lines;
}

/**
 * Writes BTCUSDT (every 1 ms, 600 lines over two daily files) and ETHUSDT (every 1.5 ms, 400 lines)
 * into `dir`: their receive times interleave and are equal every 3 ms.
 */
export function writeRecordings(dir: string): { btc1: string; btc2: string; eth: string } {
  const btc = recording('BTCUSDT', 60_000, 0, 1_000, 0, 600, 10_000);
  const files = { btc1: join(dir, 'btcusdt_20240101.txt'), btc2: join(dir, 'btcusdt_20240102.txt'), eth: join(dir, 'ethusdt_20240101.txt') };
  writeFileSync(files.btc1, `${btc.slice(0, 300).join('\n')}\n`);
  writeFileSync(files.btc2, `${btc.slice(300).join('\n')}\n`);
  writeFileSync(files.eth, `${recording('ETHUSDT', 3_000, 0, 1_500, 0, 400, 50_000).join('\n')}\n`);
  return files;
}
