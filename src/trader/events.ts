/**
 * What the trading core publishes on its bus, on top of the events of the modules it wires (risk
 * state changes, denials and trims; OMS order lifecycle and fills; portfolio fills, funding and
 * transfers), all on one `EventBus<TraderEvents>`. Past tense, immutable, stamped with the core's
 * clock (µs). Payloads are built only when someone listens.
 */
import type { Intent, RiskDecision } from '../model/trading.ts';
import type { VenueCommand, VenueStream } from '../model/venue.ts';
import type { OmsEvents } from '../oms/index.ts';
import type { PortfolioEventMap } from '../portfolio/index.ts';
import type { RiskEventMap } from '../risk/index.ts';

/** Why a decision ran (see the decision rule in core.ts; `operator`: a pause or resume, `setPaused`). */
export type DecisionTrigger = 'book' | 'orders' | 'timer' | 'deferred' | 'venue' | 'operator';

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
  commands: VenueCommand[];
}

/** A venue stream went down or came back (`streamState`), as the core applied it. */
export interface StreamChanged {
  tsUs: number;
  stream: VenueStream;
  up: boolean;
  /** Market stream: the symbols whose books it invalidated (down) or that may re-sync (up). */
  symbols: string[];
  reason: string;
}

/** A venue account snapshot was taken in (`accountSync`): what the venue said next to what we had. */
export interface AccountSynced {
  tsUs: number;
  /** Snapshot time at the venue, µs. */
  venueTsUs: number;
  positions: { symbol: string; venueLots: number; ourLots: number; checked: boolean }[];
  balances: { asset: string; venueWallet: string; ourWallet: string; adopted: boolean }[];
  /** Open orders listed by the venue, and how many of them were new to us (adopted). */
  openOrders: number;
  adoptedOrders: number;
}

/**
 * Our position differed from the venue's once every order's outcome was known: the venue's is
 * taken. The difference is booked in the ledger as a fill at `priceTicks` (the book mid), or not
 * booked when there was no price (`priceTicks` NaN).
 */
export interface PositionAdjusted {
  symbol: string;
  tsUs: number;
  fromLots: number;
  toLots: number;
  priceTicks: number;
}

/**
 * Why the trader's book of a symbol became valid or invalid:
 * - `synced` / `resynced`: the depth book loaded a snapshot and bridged it (first time / again);
 * - `gap`: a diff broke the update-id chain (the book waits for a new snapshot);
 * - `crossed`: a diff or a snapshot left the book crossed;
 * - `streamDown`: the venue's market stream went down (`streamState`);
 * - `awaitingSync`: the first book event left the depth book waiting for a snapshot (or the diff bridging it);
 * - `topOfBook`: a bookTicker made the top-of-book book valid or invalid (one-sided or crossed).
 */
export type BookValidityCause = 'synced' | 'resynced' | 'gap' | 'crossed' | 'streamDown' | 'awaitingSync' | 'topOfBook';

/**
 * The book the strategy and risk read changed validity, or was first touched (its first book
 * event, valid or not). Published on transitions only, so a listener can integrate the time the
 * book was (in)valid: from this `tsUs` until the next event of the symbol.
 */
export interface BookValidityChanged {
  symbol: string;
  tsUs: number;
  valid: boolean;
  cause: BookValidityCause;
}

/**
 * The venue liquidated a position (a CALCULATED fill of an `autoclose-` order we never placed):
 * booked in the ledger as a taker fill at `priceTicks` with `commission`, plus the insurance
 * clearance fee; the OMS's position moved with it.
 */
export interface PositionLiquidated {
  symbol: string;
  tsUs: number;
  clientOrderId: string;
  side: 'buy' | 'sell';
  qtyLots: number;
  priceTicks: number;
  commission: string;
  insuranceClearance: string;
  /** Position after the liquidation fill, lots. */
  positionLots: number;
}

/** The venue refuses requests until `untilUs` (429/418 or the local budget): the trader holds until then. */
export interface Throttled {
  tsUs: number;
  untilUs: number;
  httpStatus: number;
  reason: string;
}

/** The operator paused or resumed quoting a symbol (`TradingCore.setPaused`). */
export interface PauseChanged {
  symbol: string;
  tsUs: number;
  paused: boolean;
  reason: string;
}

export type TraderOwnEvents = {
  'trader.pauseChanged': PauseChanged;
  'venue.streamChanged': StreamChanged;
  'venue.throttled': Throttled;
  'trader.bookValidityChanged': BookValidityChanged;
  'account.synced': AccountSynced;
  'position.adjusted': PositionAdjusted;
  'position.liquidated': PositionLiquidated;
  'trader.intentDecided': IntentDecided;
  'trader.riskDecided': RiskDecided;
  'trader.commandsQueued': CommandsQueued;
};

export type TraderEvents = TraderOwnEvents & RiskEventMap & OmsEvents & PortfolioEventMap;
