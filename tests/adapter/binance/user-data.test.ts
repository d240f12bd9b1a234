// User-data wire parsing and signing, without a network: ORDER_TRADE_UPDATE → ExecutionReport in
// exact ticks and lots (a captured-shape payload as `maker exchange` and Binance send it), what is
// skipped and what is an error; the account snapshot; Binance's documented HMAC test vector; a
// signer that prints no secret.
import { generateKeyPairSync, verify } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseBalances, parseOpenOrders, parseOrderTradeUpdate, parsePositions, Signer } from '../../../src/adapter/binance/index.ts';
import { instrument } from './helpers.ts';

const INSTRUMENTS = new Map([[instrument.symbol, instrument]]);
// Fields as binance-usdm.md §7 lists them (values of a taker fill).
const TRADE = {
  e: 'ORDER_TRADE_UPDATE',
  E: 1_700_000_000_123,
  T: 1_700_000_000_120,
  o: { s: 'BTCUSDT', c: 'mk-1', S: 'SELL', o: 'LIMIT', f: 'GTC', q: '0.050', p: '61800.0', ap: '61800.10000', sp: '0', x: 'TRADE', X: 'PARTIALLY_FILLED', i: 4242, l: '0.020', z: '0.030', L: '61800.1', N: 'USDT', n: '0.61800100', T: 1_700_000_000_119, t: 77, b: '0', a: '0', m: false, R: true, wt: 'CONTRACT_PRICE', ot: 'LIMIT', ps: 'BOTH', cp: false, rp: '0', pP: false, si: 0, ss: 0, V: 'EXPIRE_MAKER', pm: 'NONE', gtd: 0 },
};

describe('ORDER_TRADE_UPDATE', () => {
  it('a fill: exact ticks, lots, commission, trade id, liquidity, order trade time', () => {
    expect(parseOrderTradeUpdate(TRADE, INSTRUMENTS)).toEqual({
      report: {
        symbol: 'BTCUSDT', clientOrderId: 'mk-1', orderId: 4242, execType: 'TRADE', status: 'PARTIALLY_FILLED', side: 'sell',
        priceTicks: 618000, origQtyLots: 50, cumFilledLots: 30, lastFillLots: 20, lastFillPriceTicks: 618001, tradeId: 77, liquidity: 'taker',
        commission: '0.61800100', errorCode: 0, errorMessage: '', reduceOnly: true, tsExchangeUs: 1_700_000_000_119_000,
      },
    });
  });

  it('a cancel carries no fill; a MARKET order price "0" is 0 ticks', () => {
    const r = parseOrderTradeUpdate({ ...TRADE, o: { ...TRADE.o, x: 'CANCELED', X: 'CANCELED', o: 'MARKET', p: '0', l: '0', L: '0', n: undefined } }, INSTRUMENTS);
    expect(r).toMatchObject({ report: { execType: 'CANCELED', priceTicks: 0, lastFillLots: 0, lastFillPriceTicks: 0, tradeId: -1, liquidity: null, commission: '0' } });
  });

  it('skips other symbols and unknown execution types; a price off the grid is an error, not a guess', () => {
    expect(parseOrderTradeUpdate({ ...TRADE, o: { ...TRADE.o, s: 'ETHUSDT' } }, INSTRUMENTS)).toEqual({ skip: 'symbol ETHUSDT is not traded here' });
    expect(parseOrderTradeUpdate({ ...TRADE, o: { ...TRADE.o, x: 'SOMETHING_NEW' } }, INSTRUMENTS)).toEqual({ skip: 'execution type SOMETHING_NEW' });
    expect(parseOrderTradeUpdate({ ...TRADE, o: { ...TRADE.o, L: '61800.15' } }, INSTRUMENTS)).toMatchObject({ error: expect.stringContaining('mk-1') });
    expect(parseOrderTradeUpdate({ e: 'ORDER_TRADE_UPDATE' }, INSTRUMENTS)).toEqual({ error: 'ORDER_TRADE_UPDATE without "o"' });
  });
});

describe('account snapshot', () => {
  it('open orders, signed positions (flat ones left out), balances sorted by asset', () => {
    const orders = parseOpenOrders([{ symbol: 'BTCUSDT', clientOrderId: 'a', orderId: 1, side: 'BUY', type: 'LIMIT', timeInForce: 'GTX', reduceOnly: false, status: 'PARTIALLY_FILLED', price: '60000.0', origQty: '0.050', executedQty: '0.010', avgPrice: '60000.0' }, { symbol: 'XRPUSDT', clientOrderId: 'b' }], INSTRUMENTS);
    expect(orders).toEqual([{ symbol: 'BTCUSDT', clientOrderId: 'a', orderId: 1, side: 'buy', type: 'LIMIT', timeInForce: 'GTX', reduceOnly: false, status: 'PARTIALLY_FILLED', priceTicks: 600000, origQtyLots: 50, cumFilledLots: 10, avgFillPriceTicks: 600000 }]);
    expect(parsePositions([{ symbol: 'BTCUSDT', positionAmt: '-0.030', entryPrice: '60000.1' }], INSTRUMENTS)).toEqual([{ symbol: 'BTCUSDT', lots: -30, entryPrice: '60000.1' }]);
    expect(parsePositions([{ symbol: 'BTCUSDT', positionAmt: '0.000', entryPrice: '0.0' }], INSTRUMENTS)).toEqual([]);
    expect(parseBalances([{ asset: 'USDT', balance: '10.5' }, { asset: 'BNB', balance: '0' }])).toEqual([{ asset: 'BNB', walletBalance: '0' }, { asset: 'USDT', walletBalance: '10.5' }]);
    expect(() => parseOpenOrders({ code: -1 }, INSTRUMENTS)).toThrow(/not a list/);
  });
});

describe('Signer', () => {
  it('HMAC-SHA256: Binance’s documented test vector (binance-usdm.md §2)', () => {
    const s = new Signer({ apiKey: 'k', keyType: 'HMAC', secret: '2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9' });
    expect(s.sign('symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943')).toBe('3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9');
  });

  it('Ed25519: a URL-encoded base64 signature the public key verifies', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const s = new Signer({ apiKey: 'k', keyType: 'Ed25519', secret: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    const sig = s.sign('a=1&timestamp=2');
    expect(verify(null, Buffer.from('a=1&timestamp=2'), publicKey, Buffer.from(decodeURIComponent(sig), 'base64'))).toBe(true);
  });

  it('prints, serialises and fails without the secret', () => {
    const secret = 'superSecretValue0123456789';
    const s = new Signer({ apiKey: 'apiKeyValue0123456789', keyType: 'HMAC', secret });
    for (const text of [inspect(s, { depth: 10, showHidden: true }), JSON.stringify(s), JSON.stringify({ s }), String(s)]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain('apiKeyValue0123456789');
    }
    const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIsecretsecretsecretsecretsecretsecretXX\n-----END PRIVATE KEY-----\n';
    let message = '';
    try {
      new Signer({ apiKey: 'k', keyType: 'Ed25519', secret: pem });
    } catch (e) {
      message = `${(e as Error).message} ${String((e as Error).stack)}`;
    }
    expect(message).toMatch(/not a PKCS#8 PEM private key/);
    expect(message).not.toContain('secretsecret');
  });
});
