/**
 * Order management system (OMS). Units: prices integer ticks, quantities integer lots, times integer
 * µs from the injected Clock. Input: approved `Intent`s (`decide`), venue `ExecutionReport`s,
 * request timeouts, query answers and account snapshots (`adopt`). Output: `VenueCommand`s to send, `OrderQuery`s for unknown
 * outcomes, and events on the typed bus (`OmsEvents`), including one `order.filled` per change of
 * an order's cumulative filled quantity (signed lots) for the portfolio. Lifecycle: table.ts;
 * reconcile algorithm: reconcile.ts; full specification: docs/OMS_SPEC.md.
 */
export {
  ORDER_STATES,
  LOCAL_EVENTS,
  EXCHANGE_EVENTS,
  TRANSITIONS,
  TERMINAL_STATES,
  PENDING_STATES,
  isTerminal,
  isPending,
  transitionRow,
  resolveNext,
  allRows,
} from './table.ts';
export type { OrderState, OrderEvent, LocalEvent, ExchangeEvent, NextState, TransitionRow } from './table.ts';
export { UNKNOWN_OUTCOME_CODES, UNKNOWN_ORDER_CODES, eventOfReport, viewOf } from './order.ts';
export type { OrderView, TrackedOrder } from './order.ts';
export { planReconcile, isActionable, isInFlight, targetOf, qtyWithinTolerance } from './reconcile.ts';
export type { ModifyMode, ReconcileConfig, ReconcilePlan, CancelReason } from './reconcile.ts';
export { TokenBucket } from './budget.ts';
export type { CommandBudget, CommandKind } from './budget.ts';
export { OrderManager } from './manager.ts';
export { DEFAULT_OMS_CONFIG, parseOmsConfig, type OmsConfig } from './config.ts';
export type { DecisionContext, LiveOrder, OrderManagerOptions } from './manager.ts';
export type { OmsEvents, OmsFill, OmsOrderEvent, OmsRejectEvent, OmsTransition, OmsAnomaly } from './events.ts';
