/**
 * `maker exchange`: a local Binance USDⓈ-M exchange on loopback over the backtest's simulated
 * exchange (docs/EXCHANGE_ADAPTER_SPEC.md lists what is served and what is not yet).
 */
export { Authenticator, ed25519PublicKey, hmacHex, keyTypeOf, rsaPublicKey, splitSignature, type ApiAccount, type KeyType } from './auth.ts';
export { CONFIG_ERR, maxNotionalAt, maxNotionalValue } from './account-config.ts';
export { accountUpdate } from './account-update.ts';
export { AccountsFileError, loadAccountsFile, parseAccountsFile, type AccountsFile } from './accounts-file.ts';
export { BinanceError, ERR } from './errors.ts';
export { LocalExchange, bracketsOf, type AccountSetup, type AccountState, type ExchangeAccount, type LocalExchangeOptions } from './local-exchange.ts';
export { BINANCE_RATE_LIMITS, parseRateLimitsFlag, RateLimiter, RateLimitError, type RateLimitOptions, type Usage } from './rate-limits.ts';
export { CORE_WEIGHTS, costOf, WS_API_WEIGHTS, type Cost, type CostEntry } from './rate-weights.ts';
export { ExchangeServer, type ExchangeServerConfig, type ExchangeServerOptions } from './server.ts';
export { StreamHub, type StreamHubOptions } from './stream-hub.ts';
export { DepthConflater, parseStreamName } from './streams.ts';
export { storeMarket, syntheticMarket } from './market-source.ts';
export { rawMarket, type RawMarketOptions } from './raw-market.ts';
export { ListenKeys, orderTradeUpdate, tradeLite } from './user-stream.ts';
export { FaultInjector, type FaultLogEntry } from './faults.ts';
export { FAULT_KINDS, loadFaultPlanFile, parseFaultPlan, parseFaults, type FaultKind, type FaultSpec } from './fault-plan.ts';
