// Invariants of a harness run, shared by the integration and property tests.
import { expect } from 'vitest';
import { Decimal } from 'decimal.js';
import { FEE_PER_LOT, SYMBOL, type Harness } from './harness.ts';

/** Fills, position and fees agree between the gateway, the OMS and the portfolio (after settling). */
export function expectBooksAgree(h: Harness): void {
  const pos = h.core.portfolio.positionSnapshot(SYMBOL);
  expect(pos.positionLots).toBe(h.gateway.positionLots);
  expect(h.core.oms.positionLots(SYMBOL)).toBe(h.gateway.positionLots);
  // Every lot booked once: bought + sold = everything the gateway filled.
  expect(pos.boughtLots + pos.soldLots).toBe(h.gateway.filledLots);
  expect(pos.boughtLots - pos.soldLots).toBe(h.gateway.positionLots);
  // Every commission booked once, including trades whose quantity a status report counted first.
  expect(new Decimal(pos.fees).eq(new Decimal(FEE_PER_LOT).times(h.gateway.commissionLots))).toBe(true);
}

/** After settling, the OMS's open orders are exactly the gateway's open orders. */
export function expectOmsMatchesGateway(h: Harness): void {
  const oms = [...h.core.oms.openOrders(SYMBOL).values()].map((o) => `${o.clientOrderId} ${o.side} ${o.priceTicks} ${o.remainingLots}`).sort();
  const gw = h.gateway.openOrders().map((o) => `${o.clientOrderId} ${o.side} ${o.priceTicks} ${o.qtyLots - o.cumLots}`).sort();
  expect(oms).toEqual(gw);
  expect(new Set(gw).size).toBe(gw.length);
}

/** Nothing invalid reached the gateway and no client id was submitted twice. */
export function expectCommandsValid(h: Harness): void {
  expect(h.gateway.invalidCommands).toEqual([]);
  expect(h.gateway.duplicateSubmits).toBe(0);
  const ids = h.sent.filter((s) => s.cmd.kind === 'submit').map((s) => (s.cmd.kind === 'submit' ? s.cmd.order.clientOrderId : ''));
  expect(new Set(ids).size).toBe(ids.length);
}

/** Position limit: |position| never beyond the risk limit. */
export function expectWithinLimit(h: Harness, maxPositionLots: number): void {
  expect(Math.abs(h.gateway.positionLots)).toBeLessThanOrEqual(maxPositionLots);
}
