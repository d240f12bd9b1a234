/**
 * Events the risk engine publishes on the typed bus (it never logs). All past tense, immutable,
 * stamped with the `tsUs` of the check or command that caused them.
 */
import type { RiskReason, RiskReasonCode, RiskTrim, TradingState } from '../model/trading.ts';
import type { StateTrigger } from './state-machine.ts';

export interface RiskStateChanged {
  symbol: string;
  from: TradingState;
  to: TradingState;
  trigger: StateTrigger;
  /** The rule behind the change; null for a manual reset or a state recomputed after one. */
  code: RiskReasonCode | null;
  message: string;
  tsUs: number;
}

export interface RiskDenied {
  symbol: string;
  tsUs: number;
  reason: RiskReason;
  state: TradingState;
  /** Whether the OMS should cancel every resting order of the symbol. */
  cancelAll: boolean;
}

export interface RiskTrimmed {
  symbol: string;
  tsUs: number;
  trims: RiskTrim[];
  state: TradingState;
}

/** A type alias (not an interface) so that it satisfies `EventMap` and can be merged into an app's map. */
export type RiskEventMap = {
  'risk.stateChanged': RiskStateChanged;
  'risk.denied': RiskDenied;
  'risk.trimmed': RiskTrimmed;
};

/**
 * The part of an `EventBus` the engine uses. Any `EventBus<M>` whose map includes these events
 * fits, so the engine can publish on the application's shared bus.
 */
export interface RiskEventSink {
  emit<K extends keyof RiskEventMap>(type: K, payload: RiskEventMap[K]): void;
  hasListeners<K extends keyof RiskEventMap>(type: K): boolean;
}
