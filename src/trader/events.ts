/**
 * What the trading core publishes on its bus, on top of the events of the modules it wires (risk
 * state changes, denials and trims; OMS order lifecycle and fills; portfolio fills, funding and
 * transfers), all on one `EventBus<TraderEvents>`. Past tense, immutable, stamped with the core's
 * clock (µs). Payloads are built only when someone listens.
 */
import type { GatewayCommand, Intent, RiskDecision } from '../model/trading.ts';
import type { OmsEvents } from '../oms/index.ts';
import type { PortfolioEventMap } from '../portfolio/index.ts';
import type { RiskEventMap } from '../risk/index.ts';

/** Why a decision ran (see the decision rule in core.ts). */
export type DecisionTrigger = 'book' | 'orders' | 'timer' | 'deferred';

export interface IntentDecided {
  symbol: string;
  tsUs: number;
  trigger: DecisionTrigger;
  intent: Intent;
}

export interface RiskDecided {
  symbol: string;
  tsUs: number;
  /** The approved (possibly trimmed) intent, whose quotes are what we want resting; or the denial. */
  decision: RiskDecision;
}

export interface CommandsQueued {
  symbol: string;
  tsUs: number;
  /** 'decision': reconcile of an approved intent or a denial's cancel-all; 'halt': risk went HALTED. */
  cause: 'decision' | 'halt';
  commands: GatewayCommand[];
}

export type TraderOwnEvents = {
  intent: IntentDecided;
  decision: RiskDecided;
  commands: CommandsQueued;
};

export type TraderEvents = TraderOwnEvents & RiskEventMap & OmsEvents & PortfolioEventMap;
