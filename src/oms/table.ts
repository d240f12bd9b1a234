/**
 * The order lifecycle as ONE transition table: (state, event) → next state.
 *
 * States are ours (the OMS view of an order), events are either local commands the OMS decided to
 * send (`submit`, `cancel-request`, `modify-request`) or things the exchange told us (a report on
 * the user-data stream, a REST response, a request timeout, a query answer). Every row carries the
 * reason it exists; the odd rows are the real races of Binance USDⓈ-M (see docs/OMS_SPEC.md).
 *
 * A missing row means "this cannot happen": for a local command that is a bug in the OMS
 * (InvariantError); for an exchange event it is an anomaly the OMS reports and ignores, because
 * input from outside must never crash the trading loop.
 *
 * `working` in a row is resolved by the order's filled quantity: `open` when nothing has filled,
 * `partially-filled` otherwise. It is used where the order goes back to simply resting on the book
 * (an ack, a refused cancel, an applied or refused modify).
 *
 * `unknown: true` rows leave the order in its pending state and set the outcome-unknown flag: the
 * request may or may not have reached the matching engine, so the order is in flight until a query
 * or the stream settles it. It is never re-sent blind and never re-submitted under a new id.
 */

export type OrderState =
  | 'new'
  | 'pending-new'
  | 'open'
  | 'partially-filled'
  | 'pending-cancel'
  | 'pending-modify'
  | 'filled'
  | 'canceled'
  | 'rejected'
  | 'expired';

export const ORDER_STATES: readonly OrderState[] = [
  'new',
  'pending-new',
  'open',
  'partially-filled',
  'pending-cancel',
  'pending-modify',
  'filled',
  'canceled',
  'rejected',
  'expired',
];

export type LocalEvent = 'submit' | 'cancel-request' | 'modify-request';

export type ExchangeEvent =
  /** NEW/NEW: the order rests on the book (or a query found it live). */
  | 'ack'
  /** TRADE/PARTIALLY_FILLED. */
  | 'partial-fill'
  /** TRADE/FILLED. */
  | 'fill'
  /** CANCELED/CANCELED: ours, the exchange's (reduce-only knock-out, countdown), or a modify that cancelled. */
  | 'canceled'
  /** EXPIRED or EXPIRED_IN_MATCH (IOC remainder, self-trade prevention). */
  | 'expire'
  /** AMENDMENT: a modify was applied. */
  | 'amended'
  /**
   * AMENDMENT met in `pending-modify` that does not show the outstanding modify's target: the late
   * report of an earlier modify a query already settled (the manager tells it from `amended`).
   */
  | 'stale-amended'
  /** The submit was refused (filters, -5022 post-only would take, margin, …). */
  | 'reject'
  /** A cancel refused for a reason other than "unknown order". */
  | 'cancel-reject'
  /** A modify refused (-5027 same order, filter failure, …); the order is unchanged. */
  | 'modify-reject'
  /** A cancel or modify refused with -2011/-2013: the exchange no longer knows the order as open. */
  | 'unknown-order-reject'
  /** Outcome unknown: request timeout, HTTP 503 "unknown", -1006/-1007 (and -1000/-1001). */
  | 'timeout'
  /** A query answered -2013 "does not exist" after the request's grace period: it never arrived. */
  | 'not-found'
  /** An account snapshot of the venue does not list the order as open: it ended unseen, or has not arrived yet. */
  | 'missing';

export type OrderEvent = LocalEvent | ExchangeEvent;

export const LOCAL_EVENTS: readonly LocalEvent[] = ['submit', 'cancel-request', 'modify-request'];
export const EXCHANGE_EVENTS: readonly ExchangeEvent[] = [
  'ack',
  'partial-fill',
  'fill',
  'canceled',
  'expire',
  'amended',
  'stale-amended',
  'reject',
  'cancel-reject',
  'modify-reject',
  'unknown-order-reject',
  'timeout',
  'not-found',
  'missing',
];

export type NextState = OrderState | 'working';

export interface TransitionRow {
  next: NextState;
  /** Sets the outcome-unknown flag (the state stays pending until a query or the stream settles it). */
  unknown?: true;
  why: string;
}

type Rows = Partial<Record<OrderEvent, TransitionRow>>;

const stale = (why: string, state: OrderState): TransitionRow => ({ next: state, why });

/** Rows shared by both resting states (`open`, `partially-filled`). */
function restingRows(self: 'open' | 'partially-filled'): Rows {
  return {
    ack: { next: 'working', why: self === 'open' ? 'duplicate ack' : 'ack arriving after its (partial) fill' },
    'partial-fill': { next: 'partially-filled', why: 'a trade' },
    fill: { next: 'filled', why: 'the last trade' },
    canceled: { next: 'canceled', why: 'cancelled by the exchange (reduce-only knock-out, countdownCancelAll, another session)' },
    expire: { next: 'expired', why: 'expired by the exchange (STP, IOC remainder)' },
    'cancel-request': { next: 'pending-cancel', why: 'we sent a cancel' },
    'modify-request': { next: 'pending-modify', why: 'we sent a modify (PUT /fapi/v1/order)' },
    amended: stale('late amendment of a modify already settled by a query; the query result was applied', self),
    'cancel-reject': stale('stale or duplicated response to an earlier cancel', self),
    'modify-reject': stale('stale or duplicated response to an earlier modify', self),
    'unknown-order-reject': stale('stale or duplicated -2011 to an earlier request', self),
    timeout: stale('timeout of a request already answered', self),
    missing: { next: self, unknown: true, why: 'the account snapshot does not list it: it ended unseen (fills or a cancel we missed); in flight until queried' },
    'not-found': { next: 'canceled', why: 'query (after an account snapshot did not list it) says it no longer exists: cancelled unfilled and forgotten' },
  };
}

/** Rows shared by the terminal states: nothing moves them; late reports are only counted for fills. */
function terminalRows(self: 'filled' | 'canceled' | 'expired'): Rows {
  return {
    ack: stale('ack arriving after the order already ended (e.g. ack after its fill)', self),
    'partial-fill': stale('an earlier trade delivered late; its quantity is de-duplicated by the cumulative filled quantity', self),
    amended: stale('amendment delivered after the order ended', self),
    'cancel-reject': stale('cancel refused because the order already ended', self),
    'modify-reject': stale('modify refused because the order already ended', self),
    'unknown-order-reject': stale('-2011 for an order already ended (e.g. cancel of a filled order)', self),
    timeout: stale('timeout of a request for an order that already ended', self),
  };
}

export const TRANSITIONS: Readonly<Record<OrderState, Readonly<Rows>>> = {
  new: {
    submit: { next: 'pending-new', why: 'we sent the order' },
  },
  'pending-new': {
    ack: { next: 'working', why: 'the exchange accepted the order' },
    'partial-fill': { next: 'partially-filled', why: 'fill before the ack (stream reordering): implies the ack' },
    fill: { next: 'filled', why: 'full fill before the ack' },
    canceled: { next: 'canceled', why: 'cancelled before we saw the ack' },
    expire: { next: 'expired', why: 'IOC/market remainder or STP expiry before we saw the ack' },
    reject: { next: 'rejected', why: 'the exchange refused the order (-5022 post-only would take, filters, margin)' },
    timeout: { next: 'pending-new', unknown: true, why: 'submit outcome unknown: in flight until queried; never re-sent under a new id' },
    missing: { next: 'pending-new', unknown: true, why: 'not in the account snapshot: not arrived yet, or ended unseen; in flight until queried' },
    'not-found': { next: 'rejected', why: 'query says it does not exist after recvWindow: it never reached the engine' },
  },
  open: restingRows('open'),
  'partially-filled': restingRows('partially-filled'),
  'pending-cancel': {
    ack: stale('duplicate ack', 'pending-cancel'),
    'partial-fill': stale('fill after the cancel was sent: the cancel is still on its way', 'pending-cancel'),
    fill: { next: 'filled', why: 'filled after the cancel was sent; the cancel will come back -2011' },
    canceled: { next: 'canceled', why: 'the cancel took effect' },
    expire: { next: 'expired', why: 'expired before the cancel took effect' },
    amended: stale('late amendment of an earlier modify', 'pending-cancel'),
    'cancel-reject': { next: 'working', why: 'cancel refused, the order still rests; the next decision may cancel again' },
    'modify-reject': stale('stale response to an earlier modify', 'pending-cancel'),
    'unknown-order-reject': {
      next: 'pending-cancel',
      unknown: true,
      why: '-2011: the order already ended (filled/cancelled) but that report has not arrived; await the stream or a query',
    },
    timeout: { next: 'pending-cancel', unknown: true, why: 'cancel outcome unknown: in flight until queried' },
    missing: { next: 'pending-cancel', unknown: true, why: 'not in the account snapshot: the cancel (or a fill) took effect unseen; in flight until queried' },
    'not-found': { next: 'canceled', why: 'query says the order no longer exists (unfilled cancelled orders vanish)' },
  },
  'pending-modify': {
    ack: stale('duplicate ack', 'pending-modify'),
    'partial-fill': stale('fill before the modify reached the engine', 'pending-modify'),
    fill: { next: 'filled', why: 'filled before the modify reached the engine; the modify will fail' },
    canceled: { next: 'canceled', why: 'Binance cancels on modify when the new qty ≤ executed qty or a GTX price would cross' },
    expire: { next: 'expired', why: 'expired before the modify took effect' },
    amended: { next: 'working', why: 'the modify took effect (new price/qty, queue priority lost)' },
    'stale-amended': stale('AMENDMENT of an earlier modify, settled by a query before this modify was sent: not its answer', 'pending-modify'),
    'modify-reject': { next: 'working', why: 'modify refused, the order is unchanged' },
    'cancel-reject': stale('stale response to an earlier cancel', 'pending-modify'),
    'unknown-order-reject': {
      next: 'pending-modify',
      unknown: true,
      why: '-2011/-2013 to the modify: the order already ended but that report has not arrived; await the stream or a query',
    },
    timeout: { next: 'pending-modify', unknown: true, why: 'modify outcome unknown: in flight until queried' },
    missing: { next: 'pending-modify', unknown: true, why: 'not in the account snapshot: the order ended unseen; in flight until queried' },
    'not-found': { next: 'canceled', why: 'query says the order no longer exists' },
  },
  filled: {
    ...terminalRows('filled'),
    fill: stale('duplicate or reordered final trade', 'filled'),
  },
  canceled: {
    ...terminalRows('canceled'),
    canceled: stale('duplicate cancel report', 'canceled'),
  },
  expired: {
    ...terminalRows('expired'),
    expire: stale('duplicate expiry report', 'expired'),
  },
  rejected: {
    reject: stale('duplicate reject', 'rejected'),
    timeout: stale('late timeout of a refused submit', 'rejected'),
  },
};

export const TERMINAL_STATES: ReadonlySet<OrderState> = new Set(['filled', 'canceled', 'rejected', 'expired']);
/** States in which a request of ours is outstanding: the OMS does not act on the order again. */
export const PENDING_STATES: ReadonlySet<OrderState> = new Set(['new', 'pending-new', 'pending-cancel', 'pending-modify']);

export function isTerminal(state: OrderState): boolean {
  return TERMINAL_STATES.has(state);
}

export function isPending(state: OrderState): boolean {
  return PENDING_STATES.has(state);
}

/** The row for (state, event), or undefined when the table has none. */
export function transitionRow(state: OrderState, event: OrderEvent): TransitionRow | undefined {
  return TRANSITIONS[state][event];
}

/** Resolves `working` against the filled quantity. */
export function resolveNext(next: NextState, filledLots: number): OrderState {
  if (next !== 'working') return next;
  return filledLots > 0 ? 'partially-filled' : 'open';
}

/** All rows, flattened, in table order (for docs and tests). */
export function allRows(): { state: OrderState; event: OrderEvent; row: TransitionRow }[] {
  const out: { state: OrderState; event: OrderEvent; row: TransitionRow }[] = [];
  for (const state of ORDER_STATES) {
    for (const event of [...LOCAL_EVENTS, ...EXCHANGE_EVENTS]) {
      const row = TRANSITIONS[state][event];
      if (row) out.push({ state, event, row });
    }
  }
  return out;
}
