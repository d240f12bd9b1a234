// The OMS's de-duplication of status reports (oms/order.ts `seenBefore`): a report is a duplicate
// only when every part of its identity matches one applied before at the same exchange time.
import { describe, expect, it } from 'vitest';
import { seenBefore, type SeenStatus } from '../../src/oms/order.ts';
import { makeReport } from './setup.ts';

describe('seenBefore (status report de-duplication)', () => {
  const base = { clientOrderId: 'c1', execType: 'AMENDMENT', status: 'NEW', cumFilledLots: 0, priceTicks: 100, origQtyLots: 5, tsExchangeUs: 1_700_000_000_000_123 } as const;

  it('an exact repeat is a duplicate; the first is recorded, not dropped', () => {
    const seen: SeenStatus = new Map();
    expect(seenBefore(seen, makeReport(base))).toBe(false);
    expect(seenBefore(seen, makeReport(base))).toBe(true);
    expect(seenBefore(seen, makeReport({ ...base }))).toBe(true);
  });

  it('each part of the identity tells two reports apart, also at the same exchange time', () => {
    const seen: SeenStatus = new Map();
    expect(seenBefore(seen, makeReport(base))).toBe(false);
    const variants = [
      { execType: 'NEW' as const },
      { status: 'PARTIALLY_FILLED' as const },
      { cumFilledLots: 1 },
      { priceTicks: 101 },
      { origQtyLots: 6 },
      { tsExchangeUs: base.tsExchangeUs + 1 },
    ];
    for (const v of variants) expect(seenBefore(seen, makeReport({ ...base, ...v })), JSON.stringify(v)).toBe(false);
    // …and each is then a duplicate of itself.
    for (const v of variants) expect(seenBefore(seen, makeReport({ ...base, ...v })), JSON.stringify(v)).toBe(true);
    // Two amendments back and forth at different times are two reports.
    expect(seenBefore(seen, makeReport({ ...base, tsExchangeUs: base.tsExchangeUs + 2 }))).toBe(false);
  });

  it('trades and request-level refusals are never status duplicates', () => {
    const seen: SeenStatus = new Map();
    for (const execType of ['TRADE', 'CANCEL_REJECTED', 'MODIFY_REJECTED'] as const) {
      expect(seenBefore(seen, makeReport({ ...base, execType }))).toBe(false);
      expect(seenBefore(seen, makeReport({ ...base, execType }))).toBe(false);
    }
    expect(seen.size).toBe(0);
  });
});
