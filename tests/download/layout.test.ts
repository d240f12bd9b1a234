// The data.binance.vision layout and the plan: paths as the server spells them, whole months as
// monthly archives (with their days as fallback), monthly-only and daily-only types, option parsing.
import { describe, expect, it } from 'vitest';
import { archiveOf, dayNumber, parseChecksum, parseDayOption, parseSymbols, parseTypes, planArchives } from '../../src/cli/download/layout.ts';

const day = (s: string) => dayNumber(s);

describe('data.binance.vision layout', () => {
  it('builds the paths the server uses, kline types with the interval folder and name', () => {
    expect(archiveOf('BTCUSDT', 'trades', 'daily', '2024-01-05', '1m').path).toBe('data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-05.zip');
    expect(archiveOf('BTCUSDT', 'bookTicker', 'monthly', '2024-01', '1m').path).toBe('data/futures/um/monthly/bookTicker/BTCUSDT/BTCUSDT-bookTicker-2024-01.zip');
    expect(archiveOf('BTCUSDT', 'fundingRate', 'monthly', '2024-01', '1m').path).toBe('data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2024-01.zip');
    expect(archiveOf('ETHUSDT', 'markPriceKlines', 'daily', '2024-02-29', '5m').path).toBe('data/futures/um/daily/markPriceKlines/ETHUSDT/5m/ETHUSDT-5m-2024-02-29.zip');
    expect(archiveOf('ETHUSDT', 'premiumIndexKlines', 'monthly', '2024-02', '1h').name).toBe('ETHUSDT-1h-2024-02.zip');
    expect(archiveOf('BTCUSDT', 'bookDepth', 'daily', '2024-01-05', '1m').path).toBe('data/futures/um/daily/bookDepth/BTCUSDT/BTCUSDT-bookDepth-2024-01-05.zip');
    expect(archiveOf('BTCUSDT', 'metrics', 'daily', '2024-01-05', '1m').path).toBe('data/futures/um/daily/metrics/BTCUSDT/BTCUSDT-metrics-2024-01-05.zip');
  });

  it('plans whole months as monthly archives with their days as fallback, the rest as days', () => {
    const plan = planArchives({ symbols: ['BTCUSDT'], types: ['trades'], fromDay: day('2024-01-30'), toDay: day('2024-03-02'), interval: '1m' });
    expect(plan.map((p) => `${p.archive.granularity} ${p.archive.period} ${p.fallback.length}`)).toEqual([
      'daily 2024-01-30 0',
      'daily 2024-01-31 0',
      'monthly 2024-02 29', // leap year
      'daily 2024-03-01 0',
      'daily 2024-03-02 0',
    ]);
    expect(plan[2].fallback[28].period).toBe('2024-02-29');
    const daily = planArchives({ symbols: ['BTCUSDT'], types: ['trades'], fromDay: day('2024-02-01'), toDay: day('2024-02-29'), interval: '1m', dailyOnly: true });
    expect(daily).toHaveLength(29);
    expect(daily.every((p) => p.archive.granularity === 'daily')).toBe(true);
  });

  it('takes fundingRate by the month (monthly only) and bookDepth/metrics by the day (daily only)', () => {
    const plan = planArchives({ symbols: ['BTCUSDT', 'ETHUSDT'], types: ['fundingRate', 'bookDepth'], fromDay: day('2024-01-31'), toDay: day('2024-02-01'), interval: '1m' });
    expect(plan.map((p) => p.archive.path.split('/').pop())).toEqual([
      'BTCUSDT-fundingRate-2024-01.zip',
      'BTCUSDT-fundingRate-2024-02.zip',
      'BTCUSDT-bookDepth-2024-01-31.zip',
      'BTCUSDT-bookDepth-2024-02-01.zip',
      'ETHUSDT-fundingRate-2024-01.zip',
      'ETHUSDT-fundingRate-2024-02.zip',
      'ETHUSDT-bookDepth-2024-01-31.zip',
      'ETHUSDT-bookDepth-2024-02-01.zip',
    ]);
    const month = planArchives({ symbols: ['BTCUSDT'], types: ['bookDepth'], fromDay: day('2024-02-01'), toDay: day('2024-02-29'), interval: '1m' });
    expect(month).toHaveLength(29);
  });

  it('parses options strictly', () => {
    expect(parseTypes('bookTicker, trades,booktICKER,aggtrades')).toEqual(['bookTicker', 'trades', 'aggTrades']);
    expect(() => parseTypes('bookTicker,depth')).toThrow(/unknown data type "depth"/);
    expect(parseSymbols('btcusdt,ETHUSDT,BTCUSDT')).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(() => parseSymbols('BTC-USDT')).toThrow(/not a Binance symbol/);
    expect(() => parseSymbols(',')).toThrow(/names no symbol/);
    expect(parseDayOption('2024-02-29', '--from')).toBe(day('2024-02-29'));
    for (const bad of ['2023-02-29', '2024-1-01', '20240101', '2024-13-01', '']) expect(() => parseDayOption(bad, '--from')).toThrow(/YYYY-MM-DD/);
  });

  it('reads a CHECKSUM line only when it names the file', () => {
    const h = 'a'.repeat(64);
    expect(parseChecksum(`${h}  BTCUSDT-trades-2024-01-01.zip\n`, 'BTCUSDT-trades-2024-01-01.zip')).toBe(h);
    expect(parseChecksum(`${h.toUpperCase()} *BTCUSDT-trades-2024-01-01.zip`, 'BTCUSDT-trades-2024-01-01.zip')).toBe(h);
    expect(parseChecksum(`${h}  BTCUSDT-trades-2024-01-02.zip`, 'BTCUSDT-trades-2024-01-01.zip')).toBeNull();
    expect(parseChecksum('<Error>NoSuchKey</Error>', 'BTCUSDT-trades-2024-01-01.zip')).toBeNull();
  });
});
