/**
 * Risk: every intent passes `RiskEngine.check(intent, ctx)` before the OMS acts on it, and comes
 * back approved (possibly trimmed, each trim with a coded reason) or denied with a coded reason.
 *
 * Units: prices integer ticks, quantities integer lots, times integer µs taken from the context
 * (never ambient), money exact decimal strings in the margin asset. Ordering: quotes are sized
 * nearest-first (`level`, then input order), so the quotes nearest the touch get the remaining
 * position room and order-rate budget. Semantics of every rule and config key: docs/RISK_RULES.md.
 * Nothing here logs: state changes, denials and trims are published on the event bus.
 */
export { DEFAULT_RISK_CONFIG, parseRiskConfig } from './config.ts';
export type { OrderRateConfig, RiskConfig, StopState, VolatilityConfig } from './config.ts';
export type { OpenOrderView, RiskContext } from './context.ts';
export type { RiskDenied, RiskEventMap, RiskEventSink, RiskStateChanged, RiskTrimmed } from './events.ts';
export { RiskEngine } from './engine.ts';
export type { RiskEngineOptions, RiskStatus } from './engine.ts';
export { instrumentLimits } from './limits.ts';
export type { InstrumentLimits } from './limits.ts';
export { OrderRateLimiter } from './rate-limiter.ts';
export type { RateWindowUsage } from './rate-limiter.ts';
export { TRANSITIONS, TradingStateMachine } from './state-machine.ts';
export type { Hold, HoldKind, StateTransition, StateTrigger, TransitionTarget } from './state-machine.ts';
export { MidRangeWindow } from './volatility.ts';
export type { MidRange } from './volatility.ts';
