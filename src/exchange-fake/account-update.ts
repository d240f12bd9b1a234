/**
 * `ACCOUNT_UPDATE` on the user data stream (binance-usdm.md §7), from the account's ledger after
 * the change was booked: reason `ORDER` after each fill (pushed after its `TRADE_LITE` and
 * `ORDER_TRADE_UPDATE`, as on Binance), with the balance of the symbol's margin asset (`wb` wallet,
 * `cw` cross wallet: the same in cross margin, `bc` 0: no transfer) and the symbol's position (`pa`,
 * `ep`, `cr` realized PnL before fees, `up` unrealized PnL at the replayed mid, `mt` cross, `ps` BOTH);
 * reason `FUNDING_FEE` after a funding settlement, with the balance only (a cross position).
 * Built only when someone listens on the account's listen key.
 */
import type { Instrument } from '../model/instrument.ts';
import type { AccountState, LocalExchange } from './local-exchange.ts';
import { dec8 } from './server.ts';
import type { StreamHub } from './stream-hub.ts';

const ms = (us: number): number => Math.floor(us / 1000);

/** The `ACCOUNT_UPDATE` of one symbol's margin asset (and its position unless `reason` is FUNDING_FEE), as the ledger stands now. */
export function accountUpdate(ex: LocalExchange, a: AccountState, inst: Instrument, reason: 'ORDER' | 'FUNDING_FEE', tsUs: number): object {
  ex.markToMid(a);
  const asset = inst.spec.marginAsset;
  const acc = a.portfolio.accountSnapshot(asset);
  const wallet = dec8(acc.walletBalance);
  const P: object[] = [];
  if (reason === 'ORDER') {
    const p = a.portfolio.positionSnapshot(inst.symbol);
    P.push({ s: inst.symbol, pa: inst.lotsToQty(p.positionLots), ep: p.avgEntryPrice === null ? '0' : dec8(p.avgEntryPrice), bep: '0', cr: dec8(p.realizedPnl), up: dec8(p.unrealizedPnl), mt: 'cross', iw: '0', ps: 'BOTH' });
  }
  const t = ms(tsUs);
  return { e: 'ACCOUNT_UPDATE', E: t, T: t, a: { m: reason, B: [{ a: asset, wb: wallet, cw: wallet, bc: '0' }], P } };
}

/** Pushes `ACCOUNT_UPDATE` for every fill (our orders' and liquidations') and funding settlement of every account. */
export function accountUpdates(ex: LocalExchange, hub: StreamHub): void {
  ex.onAccountEvent((a, e) => {
    if (e.kind === 'report') {
      const r = e.report;
      if ((r.execType !== 'TRADE' && r.execType !== 'CALCULATED') || r.lastFillLots <= 0) return;
      const inst = ex.instruments.get(r.symbol);
      if (inst !== undefined) hub.publishUser(a.account.apiKey, () => accountUpdate(ex, a, inst, 'ORDER', r.tsExchangeUs));
    } else if (e.kind === 'funding') {
      const inst = ex.instruments.get(e.settlement.symbol);
      if (inst !== undefined) hub.publishUser(a.account.apiKey, () => accountUpdate(ex, a, inst, 'FUNDING_FEE', e.settlement.tsUs));
    }
  });
}
