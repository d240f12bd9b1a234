// Every row of the transition table, driven through the OrderManager: reach the state with real
// reports, fire the event the way the exchange would, check the state, the flag and the bus.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../src/core/errors.ts';
import {
  EXCHANGE_EVENTS,
  LOCAL_EVENTS,
  ORDER_STATES,
  PENDING_STATES,
  TERMINAL_STATES,
  allRows,
  isPending,
  isTerminal,
  resolveNext,
  transitionRow,
  type ExchangeEvent,
  type OrderState,
} from '../../src/oms/index.ts';
import { bid, makeOms, type T } from './setup.ts';

/** An OMS with one order (qty 10 at 100) in `state`; partially-filled has 3 filled. */
function driveTo(state: OrderState): { t: T; id: string } {
  const t = makeOms();
  const id = t.place(100, 10);
  const ackd = () => t.ack(id);
  switch (state) {
    case 'pending-new':
      break;
    case 'open':
      ackd();
      break;
    case 'partially-filled':
      ackd();
      t.trade(id, 3);
      break;
    case 'pending-cancel':
      ackd();
      t.decide([]);
      break;
    case 'pending-modify':
      ackd();
      t.decide([bid(101, 10)]);
      break;
    case 'filled':
      ackd();
      t.trade(id, 10);
      break;
    case 'canceled':
      ackd();
      t.decide([]);
      t.report(id, { execType: 'CANCELED', status: 'CANCELED' });
      break;
    case 'rejected':
      t.report(id, { execType: 'REJECTED', status: 'REJECTED', errorCode: -5022, orderId: -1 });
      break;
    case 'expired':
      ackd();
      t.report(id, { execType: 'EXPIRED', status: 'EXPIRED' });
      break;
    case 'new':
      throw new Error('new is transient');
  }
  expect(t.state(id)).toBe(state);
  return { t, id };
}

function fire(t: T, id: string, event: ExchangeEvent): void {
  const v = t.oms.order(id)!;
  switch (event) {
    case 'ack':
      return t.ack(id);
    case 'partial-fill':
      return t.trade(id, v.filledLots >= v.qtyLots ? 5 : v.filledLots + 1);
    case 'fill':
      return t.trade(id, v.qtyLots);
    case 'canceled':
      return t.report(id, { execType: 'CANCELED', status: 'CANCELED' });
    case 'expire':
      return t.report(id, { execType: 'EXPIRED', status: 'EXPIRED' });
    case 'amended':
      return t.report(id, { execType: 'AMENDMENT', status: v.filledLots > 0 ? 'PARTIALLY_FILLED' : 'NEW', priceTicks: 101 });
    case 'stale-amended':
      // An AMENDMENT not showing the outstanding modify's target (driveTo's modify asks 101 × 10).
      return t.report(id, { execType: 'AMENDMENT', status: v.filledLots > 0 ? 'PARTIALLY_FILLED' : 'NEW', priceTicks: 99 });
    case 'reject':
      return t.report(id, { execType: 'REJECTED', status: 'REJECTED', errorCode: -5022 });
    case 'cancel-reject':
      return t.report(id, { execType: 'CANCEL_REJECTED', errorCode: -1008 });
    case 'modify-reject':
      return t.report(id, { execType: 'MODIFY_REJECTED', errorCode: -5027 });
    case 'unknown-order-reject':
      return t.report(id, { execType: 'CANCEL_REJECTED', errorCode: -2011 });
    case 'timeout':
      return t.oms.onRequestTimeout(id);
    case 'not-found':
      // Resting orders become unknown only when an account snapshot does not list them.
      if (v.state === 'open' || v.state === 'partially-filled') fire(t, id, 'missing');
      else t.oms.onRequestTimeout(id);
      t.advance(3_000_000);
      // Only an order whose outcome is unknown is queried; an answer for a settled one is ignored.
      expect(t.oms.queriesDue().map((q) => q.clientOrderId)).toEqual(t.oms.order(id)!.unknown ? [id] : []);
      return t.oms.onQueryResult({ clientOrderId: id, found: false });
    case 'missing':
      // An account snapshot of the symbol that lists no open order.
      t.oms.adopt({ tsUs: t.clock.nowUs(), symbols: [v.symbol], positions: [], balances: [], openOrders: [] });
      return;
  }
}

describe('transition table: structure', () => {
  it('every state has a row set, terminal and pending sets partition as documented', () => {
    for (const s of ORDER_STATES) expect(isTerminal(s) && isPending(s)).toBe(false);
    expect([...TERMINAL_STATES].sort()).toEqual(['canceled', 'expired', 'filled', 'rejected']);
    expect([...PENDING_STATES].sort()).toEqual(['new', 'pending-cancel', 'pending-modify', 'pending-new']);
    // Every row explains itself; local events only leave settled states; terminal states never leave.
    for (const { state, event, row } of allRows()) {
      expect(row.why.length).toBeGreaterThan(5);
      if (isTerminal(state)) expect(row.next).toBe(state);
      if ((LOCAL_EVENTS as readonly string[]).includes(event)) expect(['new', 'open', 'partially-filled']).toContain(state);
      if (row.unknown) expect(['timeout', 'unknown-order-reject', 'missing']).toContain(event);
    }
    expect(allRows().length).toBeGreaterThan(80);
  });

  it('docs/OMS_SPEC.md lists exactly the rows of the code table, with their reasons', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'OMS_SPEC.md'), 'utf8');
    const docRows = doc
      .split('\n')
      .filter((l) => /^\| [a-z-]+ \| [a-z-]+ \| [a-z-]+( \(unknown\))? \| /.test(l) && !l.startsWith('| state |'))
      .map((l) => l.split('|').slice(1, 5).map((c) => c.trim()).join(' '));
    // The reason column too: it is the documentation of why each row is what it is.
    const codeRows = allRows().map(({ state, event, row }) => `${state} ${event} ${row.next}${row.unknown ? ' (unknown)' : ''} ${row.why}`);
    expect(docRows).toEqual(codeRows);
  });

  it('resolves working by filled quantity', () => {
    expect(resolveNext('working', 0)).toBe('open');
    expect(resolveNext('working', 2)).toBe('partially-filled');
    expect(resolveNext('filled', 0)).toBe('filled');
  });

  it('a missing row for a local command is a bug (InvariantError)', () => {
    const { t, id } = driveTo('pending-new');
    const internal = t.oms as unknown as { transition(o: unknown, e: string, now: number): void; orders: Map<string, unknown> };
    expect(() => internal.transition(internal.orders.get(id), 'cancel-request', 0)).toThrow(InvariantError);
  });
});

describe('transition table: every (state, exchange event) through the manager', () => {
  const states = ORDER_STATES.filter((s) => s !== 'new');
  for (const state of states) {
    for (const event of EXCHANGE_EVENTS) {
      const row = transitionRow(state, event);
      const title = `${state} --${event}--> ${row ? row.next + (row.unknown ? ' [unknown]' : '') : '(no row: anomaly, ignored)'}`;
      it(title, () => {
        const { t, id } = driveTo(state);
        const before = t.oms.order(id)!;
        const nTrans = t.events['order.transition'].length;
        fire(t, id, event);
        const after = t.oms.order(id)!;
        if (!row && event === 'not-found') {
          // Unreachable: settled orders are never queried, and their query answers are ignored.
          expect(after).toEqual({ ...before, placedUs: after.placedUs });
          expect(t.events['order.transition'].slice(nTrans).some((x) => x.event === 'not-found')).toBe(false);
          return;
        }
        if (!row && event === 'missing') {
          // Unreachable: a snapshot's missing orders are the live ones; an ended order is left alone.
          expect(after).toEqual(before);
          expect(t.events['order.transition'].length).toBe(nTrans);
          return;
        }
        if (!row && event === 'stale-amended') {
          // Only `pending-modify` has a target to miss; elsewhere the same AMENDMENT is `amended`.
          const fired = t.events['order.transition'].slice(nTrans);
          expect(fired.some((x) => x.event === 'stale-amended')).toBe(false);
          expect(fired.map((x) => x.event)).toEqual([transitionRow(state, 'amended') ? 'amended' : null].filter(Boolean));
          return;
        }
        if (!row) {
          expect(after.state).toBe(before.state);
          expect(t.events['order.anomaly'].at(-1)).toMatchObject({ kind: 'no-row', state, event });
          return;
        }
        expect(after.state).toBe(resolveNext(row.next, after.filledLots));
        const taken = t.events['order.transition'].slice(nTrans).find((x) => x.event === event);
        expect(taken).toMatchObject({ from: state, event, to: after.state });
        if (row.unknown) expect(after.unknown).toBe(true);
        if (after.state !== state) expect(after.unknown).toBe(false);
        expect(t.events['order.anomaly']).toEqual([]);
      });
    }
  }
});
