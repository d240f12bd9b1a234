/**
 * Reject reasons in words next to their codes ("-5022 post-only would take"). The codes and
 * Binance's messages are the simulated exchange's (`REJECT`, sim-exchange/filters.ts); the short
 * words are ours, one per `REJECT` entry (the type makes a new entry without words an error), plus
 * Binance's generic request errors and the risk engine's codes.
 */
import { REJECT } from '../../sim-exchange/index.ts';

const WORDS: Record<keyof typeof REJECT, string> = {
  unknownOrder: 'unknown order (cancel or modify of an order no longer open)',
  badSymbol: 'invalid symbol',
  duplicateClientId: 'duplicate client order id',
  marginInsufficient: 'margin is insufficient',
  maxOpenOrders: 'too many open orders',
  reduceOnly: 'reduce-only order would add to the position',
  positionSideMismatch: "order's position side does not match the position mode",
  reduceOnlyInHedge: 'reduce-only sent in hedge mode',
  postOnly: 'post-only would take',
  fokUnfillable: 'FOK not fillable at once',
  sameOrder: 'modify with nothing to change',
  modifyNotLimit: 'modify of a non-limit order',
  qtyNotPositive: 'quantity not positive',
  priceNotPositive: 'price not positive',
  priceAboveMax: 'price above the max price',
  priceBelowMin: 'price below the min price',
  priceOffTick: 'price off the tick size',
  qtyBelowMin: 'quantity below the min quantity',
  qtyAboveMax: 'quantity above the max quantity',
  qtyOffStep: 'quantity off the step size',
  percentPriceUp: 'price above the PERCENT_PRICE band',
  percentPriceDown: 'price below the PERCENT_PRICE band',
  percentPriceMarket: 'market order beyond the PERCENT_PRICE band',
  minNotional: 'notional below MIN_NOTIONAL',
};

const BY_CODE = new Map<string, string>();
for (const key of Object.keys(REJECT) as (keyof typeof REJECT)[]) BY_CODE.set(String(REJECT[key].code), WORDS[key]);
// Binance's generic request errors (the venue contract's unknown outcomes and throttles).
for (const [code, words] of [
  ['-1000', 'unknown error'],
  ['-1001', 'disconnected'],
  ['-1003', 'too many requests'],
  ['-1006', 'unexpected response'],
  ['-1007', 'timeout'],
  ['-1008', 'server busy'],
  ['-1015', 'too many orders'],
  ['-2013', 'order does not exist'],
] as const) {
  if (!BY_CODE.has(code)) BY_CODE.set(code, words);
}

/** The words for a reject reason code (a Binance code such as "-5022", or a risk code such as "MAX_POSITION"). */
export function describeReject(code: string): string {
  const words = BY_CODE.get(code);
  if (words !== undefined) return words;
  if (code === 'UNKNOWN') return 'no reason given';
  if (/^[A-Z][A-Z_]+$/.test(code)) return `risk: ${code.toLowerCase().replace(/_/g, ' ')}`;
  return 'unknown code';
}

/** "-5022 post-only would take: 149, -2011 unknown order (…): 181", in code order; "none" when empty. */
export function formatRejects(byReason: Readonly<Record<string, number>>): string {
  const keys = Object.keys(byReason);
  if (keys.length === 0) return 'none';
  return keys.map((k) => `${k} ${describeReject(k)}: ${byReason[k]}`).join(', ');
}
