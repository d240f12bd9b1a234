// The human summary of `maker download` (src/cli/download/report.ts): failures that share their
// reason (the archives in flight when the host turned out not to resolve) are one line naming the
// archives, in the order of their first archive; other failures keep their own line.
import { describe, expect, it } from 'vitest';
import type { Archive } from '../../src/cli/download/layout.ts';
import { formatSummary } from '../../src/cli/download/report.ts';
import type { ArchiveOutcome, DownloadResult } from '../../src/cli/download/run.ts';

const archive = (day: string): Archive => ({
  symbol: 'BTCUSDT', type: 'trades', granularity: 'daily', period: `2024-01-${day}`,
  path: `data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2024-01-${day}.zip`, name: `BTCUSDT-trades-2024-01-${day}.zip`,
});
const failed = (day: string, message: string): ArchiveOutcome => ({ archive: archive(day), status: 'failed', file: `/out/${day}.zip`, bytes: 0, resumedFromBytes: 0, message });
const DNS = 'cannot resolve the host no.invalid (ENOTFOUND): the network or DNS is unreachable from here, or the host name is wrong';

describe('maker download summary', () => {
  it('one line for the failures that share a reason, each other failure its own, then the archives not tried', () => {
    const outcomes = [
      failed('01', `BTCUSDT-trades-2024-01-01.zip.CHECKSUM: ${DNS}`),
      failed('02', 'checksum mismatch for /out/02.zip: the CHECKSUM file says sha256 aa, the downloaded file has bb (also after a fresh download); the bad file was deleted'),
      failed('03', `BTCUSDT-trades-2024-01-03.zip.CHECKSUM: ${DNS}`),
      failed('04', `BTCUSDT-trades-2024-01-04.zip: HTTP 500`),
      failed('05', `BTCUSDT-trades-2024-01-05.zip.CHECKSUM: ${DNS}`),
      failed('06', `BTCUSDT-trades-2024-01-06.zip: not tried, the server could not be reached (${DNS})`),
      failed('07', `BTCUSDT-trades-2024-01-07.zip: not tried, the server could not be reached (${DNS})`),
    ];
    const r: DownloadResult = { outcomes, bytesDownloaded: 0, fellBack: [], stopped: false, unfinished: 0, partsKept: [] };
    expect(formatSummary(r, '/out').split('\n')).toEqual([
      'downloaded 0 archive(s) (0 B), 0 already there and verified, into /out',
      '  FAILED 7 archive(s):',
      `    3 archives: ${DNS}:`,
      '      BTCUSDT-trades-2024-01-01.zip.CHECKSUM, BTCUSDT-trades-2024-01-03.zip.CHECKSUM, BTCUSDT-trades-2024-01-05.zip.CHECKSUM',
      '    checksum mismatch for /out/02.zip: the CHECKSUM file says sha256 aa, the downloaded file has bb (also after a fresh download); the bad file was deleted',
      '    BTCUSDT-trades-2024-01-04.zip: HTTP 500',
      '    2 more not tried: the server could not be reached',
      '',
    ]);
  });
});
