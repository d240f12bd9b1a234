// The local exchange for the live gateway's tests: the synthetic BTCUSDT market in real time with
// an HMAC and an Ed25519 account, MIN_NOTIONAL raised to 1000 USDT (so that -4164 is reachable
// inside the PERCENT_PRICE band), and the gateway's clients pointed at it.
import { generateKeyPairSync } from 'node:crypto';
import { BinanceGateway, BinanceRest, Signer, type Credentials, type RestClientOptions } from '../../../src/adapter/binance/index.ts';
import type { Clock } from '../../../src/core/clock.ts';
import { Rng } from '../../../src/core/random.ts';
import { ExchangeServer, LocalExchange, syntheticMarket, type ExchangeAccount, type ExchangeServerConfig } from '../../../src/exchange-fake/index.ts';
import { WallClock, wallTimers } from '../../../src/live/index.ts';
import { Instrument } from '../../../src/model/instrument.ts';
import type { VenueEvent } from '../../../src/model/venue.ts';
import { syntheticInstrument } from '../../../src/synthetic/index.ts';

const ED = generateKeyPairSync('ed25519');
export const HMAC_CREDS: Credentials = { apiKey: 'liveKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', keyType: 'HMAC', secret: 'liveSecretHmacZZ9q8w7e6r5t4y3u2i1o0p' };
export const ED_CREDS: Credentials = { apiKey: 'liveEdKeyBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', keyType: 'Ed25519', secret: ED.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
const ACCOUNTS: ExchangeAccount[] = [
  { name: 'hmac', apiKey: HMAC_CREDS.apiKey, secret: HMAC_CREDS.secret },
  { name: 'ed', apiKey: ED_CREDS.apiKey, publicKey: ED.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
];
/** Everything secret in these tests: no output may contain any of it. */
export const SECRETS = [HMAC_CREDS.secret, HMAC_CREDS.apiKey, ED_CREDS.apiKey, ...ED_CREDS.secret.split('\n').filter((l) => l.length > 20)];

export const instrument = new Instrument({ ...syntheticInstrument('BTCUSDT').spec, minNotional: '1000' });

export async function startLocal(config: ExchangeServerConfig = {}) {
  const ex = new LocalExchange({
    instruments: [instrument],
    source: syntheticMarket([instrument], 1, Date.now() * 1000, 3600),
    speed: 1,
    accounts: ACCOUNTS,
    execution: { rng: new Rng(1), queueModel: { model: 'prob-power', variant: 2, power: 3 }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } } },
  });
  const server = new ExchangeServer(ex, ACCOUNTS, config);
  const port = await server.listen();
  await ex.start();
  return {
    ex,
    server,
    base: `http://127.0.0.1:${port}`,
    async close() {
      ex.stop();
      await server.close();
    },
  };
}

export function restFor(base: string, creds: Credentials = HMAC_CREDS, o: Partial<RestClientOptions> & { clock?: Clock } = {}): BinanceRest {
  return new BinanceRest({ baseUrl: base, signer: new Signer(creds), clock: new WallClock(), timers: wallTimers, timeoutMs: 5_000, ...o });
}

export function gatewayFor(rest: BinanceRest): BinanceGateway {
  return new BinanceGateway({ rest, instruments: new Map([[instrument.symbol, instrument]]) });
}

/** Best bid and ask in ticks, from the exchange's bookTicker. */
export async function bookTicks(base: string): Promise<{ bid: number; ask: number }> {
  const r = (await (await fetch(`${base}/fapi/v1/ticker/bookTicker?symbol=BTCUSDT`, { signal: AbortSignal.timeout(5_000) })).json()) as { bidPrice: string; askPrice: string };
  return { bid: instrument.priceToTicks(r.bidPrice), ask: instrument.priceToTicks(r.askPrice) };
}

/** Sends one command and waits for its outcome; returns the events it produced. */
export async function roundTrip(g: BinanceGateway, cmd: Parameters<BinanceGateway['send']>[0]): Promise<VenueEvent[]> {
  g.send(cmd, Date.now() * 1000);
  await g.idle();
  return g.drainEvents();
}

/** Asserts that no secret appears in `texts`. */
export function leaks(texts: string[]): string[] {
  return SECRETS.filter((s) => texts.some((t) => t.includes(s)));
}
