import type { ExchangeServerConfig } from '../../src/exchange-fake/index.ts';
import { startLocalExchange } from './helpers.ts';

/** Like helpers.ts's startExchange, with the server's configuration (rate limits, stream lifetimes). */
export function startExchangeWith(config: ExchangeServerConfig, symbols = ['BTCUSDT']) {
  return startLocalExchange({ config, symbols });
}
