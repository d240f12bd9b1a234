/**
 * `ACCOUNT_UPDATE` on the user data stream (binance-usdm.md §7), from the account's ledger after
 * the change was booked: reason `ORDER` after each fill (pushed after its `TRADE_LITE` and
 * `ORDER_TRADE_UPDATE`, as on Binance), with the balance of the symbol's margin asset (`wb` wallet,
 * `cw` cross wallet: the wallet less the isolated wallets, `bc` 0: no transfer) and the position
 * the fill changed (`pa`, `ep`, `cr` realized PnL before fees, `up` unrealized PnL at the replayed
 * mid, `mt` cross or isolated, `iw` its isolated wallet, `ps` BOTH in one-way mode, LONG or SHORT
 * in hedge mode); reason `FUNDING_FEE` after a funding settlement, with the balance only for a
 * cross symbol, and the balance and the symbol's positions for an isolated one (Binance: "isolated:
 * `B` + that isolated `P`"). Built only when someone listens on the account's listen key.
 */
import type { Instrument } from '../model/instrument.ts';
import type { AccountState, LocalExchange, PositionSide } from './local-exchange.ts';
import { crossWalletBalance, positionRow, positionRows, type PositionRow } from './position-view.ts';
import { dec8 } from './server.ts';
import type { StreamHub } from './stream-hub.ts';

const ms = (us: number): number => Math.floor(us / 1000);

/** One `P` entry of ACCOUNT_UPDATE. */
function positionEntry(row: PositionRow): object {
  const { p } = row;
  return {
    s: row.inst.symbol, pa: row.inst.lotsToQty(p.positionLots), ep: p.avgEntryPrice === null ? '0' : dec8(p.avgEntryPrice), bep: '0', cr: dec8(p.realizedPnl), up: dec8(p.unrealizedPnl),
    mt: row.isolated ? 'isolated' : 'cross', iw: row.isolated ? dec8(row.isolatedWallet) : '0', ps: row.side,
  };
}

/**
 * The `ACCOUNT_UPDATE` of one symbol's margin asset, as the ledger stands now: with the position of
 * `side` (reason ORDER), or with the symbol's isolated positions (FUNDING_FEE of an isolated symbol).
 */
export function accountUpdate(ex: LocalExchange, a: AccountState, inst: Instrument, reason: 'ORDER' | 'FUNDING_FEE', tsUs: number, side: PositionSide = 'BOTH'): object {
  ex.markToMid(a);
  const asset = inst.spec.marginAsset;
  const acc = a.portfolio.accountSnapshot(asset);
  const P: object[] = [];
  if (reason === 'ORDER') P.push(positionEntry(positionRow(ex, a, inst, side)));
  else if (ex.marginType(a, inst.symbol) === 'ISOLATED') for (const row of positionRows(ex, a, inst)) P.push(positionEntry(row));
  const t = ms(tsUs);
  return { e: 'ACCOUNT_UPDATE', E: t, T: t, a: { m: reason, B: [{ a: asset, wb: dec8(acc.walletBalance), cw: dec8(crossWalletBalance(ex, a, asset)), bc: '0' }], P } };
}

/** Pushes `ACCOUNT_UPDATE` for every fill (our orders' and liquidations') and funding settlement of every account. */
export function accountUpdates(ex: LocalExchange, hub: StreamHub): void {
  ex.onAccountEvent((a, e) => {
    if (e.kind === 'report') {
      const r = e.report;
      if ((r.execType !== 'TRADE' && r.execType !== 'CALCULATED') || r.lastFillLots <= 0) return;
      const inst = ex.instruments.get(r.symbol);
      if (inst !== undefined) hub.publishUser(a.account.apiKey, () => accountUpdate(ex, a, inst, 'ORDER', r.tsExchangeUs, r.positionSide ?? 'BOTH'));
    } else if (e.kind === 'funding') {
      const inst = ex.instruments.get(e.settlement.symbol);
      if (inst !== undefined) hub.publishUser(a.account.apiKey, () => accountUpdate(ex, a, inst, 'FUNDING_FEE', e.settlement.tsUs));
    }
  });
}
