import { ExchangeServer, LocalExchange, syntheticMarket, type ExchangeServerConfig } from '../../src/exchange-fake/index.ts';
import { Rng } from '../../src/core/random.ts';
import { syntheticInstrument } from '../../src/synthetic/index.ts';
import { ACCOUNT } from './helpers.ts';

/** Like helpers.ts's startExchange, with the server's configuration (rate limits, stream lifetimes). */
export async function startExchangeWith(config: ExchangeServerConfig, symbols = ['BTCUSDT']) {
  const instruments = symbols.map((s) => syntheticInstrument(s));
  const ex = new LocalExchange({
    instruments,
    source: syntheticMarket(instruments, 1, Date.now() * 1000, 3600),
    speed: 1,
    accounts: [ACCOUNT],
    execution: { rng: new Rng(1), queueModel: { model: 'prob-power', variant: 2, power: 3 }, fees: { default: { makerRate: '0.0002', takerRate: '0.0005' } } },
  });
  const server = new ExchangeServer(ex, [ACCOUNT], config);
  const port = await server.listen();
  await ex.start();
  const base = `http://127.0.0.1:${port}`;
  return {
    ex,
    server,
    base,
    wsBase: base.replace('http', 'ws'),
    async close() {
      ex.stop();
      await server.close();
    },
  };
}
