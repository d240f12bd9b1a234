/**
 * The stream health of a live session (session.ts), as the dashboard and `/readyz` read it: the
 * market feed, the user-data stream and the ws-fapi order entry, each up or down since when, how
 * often it went down and why last. Wall-clock µs. The session hands each stream's events here
 * before the runner gets them; the market and user-data stream lines are logged here, and an order
 * entry change leaves a note for the ws-fapi state line that follows it (ws-order-entry.ts), so one
 * line says both.
 */
import type { MarketEvent } from '../model/events.ts';
import type { VenueEvent } from '../model/venue.ts';

/** Stream health as the session saw it (the dashboard and `/readyz` read it; wall-clock µs). */
export interface SessionHealth {
  marketUp: boolean;
  userUp: boolean;
  /** The user-data stream's account snapshot was taken in since it last came up. */
  accountSynced: boolean;
  /** Wall clock of the last market event / user-data stream event, µs (0: none yet). */
  marketLastUs: number;
  userLastUs: number;
  /** Times the market / user-data stream went down. */
  marketDowns: number;
  userDowns: number;
  /** Market events delivered, by type (depth, snapshot, bookTicker, trade, markPrice, ...). */
  marketByType: Record<string, number>;
  lastMarketDown: string;
  lastUserDown: string;
  /**
   * Order entry over the WebSocket API (`live.orderEntry: ws`): true from its first open, false from
   * a drop until a connection is open again (the core holds meanwhile: nothing is placed, amended,
   * cancelled or queried); null with REST order entry (a request per command: no connection to lose).
   */
  orderEntryUp: boolean | null;
  /** Wall clock of order entry's last change (its first open, then each down and up), µs; 0 with REST. */
  orderEntrySinceUs: number;
  /** Times order entry went down, and why last (`ws-fapi reconnecting: dropped (1006)`). */
  orderEntryDowns: number;
  lastOrderEntryDown: string;
}

export class StreamHealth {
  readonly health: SessionHealth = {
    marketUp: false,
    userUp: false,
    accountSynced: false,
    marketLastUs: 0,
    userLastUs: 0,
    marketDowns: 0,
    userDowns: 0,
    marketByType: {},
    lastMarketDown: '',
    lastUserDown: '',
    orderEntryUp: null,
    orderEntrySinceUs: 0,
    orderEntryDowns: 0,
    lastOrderEntryDown: '',
  };
  /** What an order entry change means for the trader, added to the ws-fapi line that caused it (`orderEntryChanged`). */
  private orderEntryNote = '';

  constructor(
    private readonly wallUs: () => number,
    private readonly log: (line: string) => void,
  ) {}

  /** An event of the user-data stream (logged when it goes up or down). */
  userEvent(e: VenueEvent): void {
    const h = this.health;
    h.userLastUs = this.wallUs();
    if (e.kind === 'streamState') {
      this.log(`user stream ${e.up ? 'up' : 'down'}${e.reason ? `: ${e.reason}` : ''}`);
      if (h.userUp && !e.up) {
        h.userDowns++;
        h.lastUserDown = e.reason;
      }
      h.userUp = e.up;
      h.accountSynced = false; // down, or back up until the next account snapshot
    } else if (e.kind === 'accountSync') {
      h.userUp = true;
      h.accountSynced = true;
    }
  }

  /** A market event (counted by type). */
  marketEvent(e: MarketEvent): void {
    const h = this.health;
    h.marketLastUs = this.wallUs();
    h.marketByType[e.type] = (h.marketByType[e.type] ?? 0) + 1;
  }

  /** The market feed went up or down (logged). */
  marketState(e: Extract<VenueEvent, { kind: 'streamState' }>): void {
    this.log(`market stream ${e.up ? 'up' : 'down'}${e.symbols ? ` (${e.symbols.join(', ')})` : ''}${e.reason ? `: ${e.reason}` : ''}`);
    if (this.health.marketUp && !e.up) {
      this.health.marketDowns++;
      this.health.lastMarketDown = e.reason;
    }
    this.health.marketUp = e.up;
  }

  /** The ws-fapi order entry opened for the first time (`start()`). */
  orderEntryOpened(): void {
    this.health.orderEntryUp = true;
    this.health.orderEntrySinceUs = this.wallUs();
  }

  /** Order entry (ws-fapi) went down or came back: the health the dashboard reads, and the log line's note. */
  orderEntryChanged(up: boolean, reason: string): void {
    const h = this.health;
    const nowUs = this.wallUs();
    if (up) {
      const downS = h.orderEntrySinceUs > 0 ? ` after ${((nowUs - h.orderEntrySinceUs) / 1e6).toFixed(1)} s` : '';
      this.orderEntryNote = `; order entry up${downS}: every symbol decides afresh`;
    } else {
      h.orderEntryDowns++;
      h.lastOrderEntryDown = reason;
      this.orderEntryNote = '; order entry down: the trader holds (no order, amendment, cancel or query; what rests stays) until it is open again';
    }
    h.orderEntryUp = up;
    h.orderEntrySinceUs = nowUs;
  }

  /** The note of the last order entry change, once ('' when none is pending). */
  takeOrderEntryNote(): string {
    const note = this.orderEntryNote;
    this.orderEntryNote = '';
    return note;
  }
}
