/**
 * `maker exchange`: a local Binance USDⓈ-M exchange on loopback over the backtest's simulated
 * exchange (docs/EXCHANGE_ADAPTER_SPEC.md lists what is served and what is not yet).
 */
export { Authenticator, hmacHex, splitSignature, type ApiAccount } from './auth.ts';
export { BinanceError, ERR } from './errors.ts';
export { LocalExchange, type AccountState, type LocalExchangeOptions } from './local-exchange.ts';
export { ExchangeServer, type ExchangeServerConfig, type ExchangeServerOptions } from './server.ts';
export { StreamHub, type StreamHubOptions } from './stream-hub.ts';
export { DepthConflater, parseStreamName } from './streams.ts';
export { storeMarket, syntheticMarket } from './market-source.ts';
export { ListenKeys, orderTradeUpdate, tradeLite } from './user-stream.ts';
export { FaultInjector, type FaultLogEntry } from './faults.ts';
export { FAULT_KINDS, loadFaultPlanFile, parseFaultPlan, parseFaults, type FaultKind, type FaultSpec } from './fault-plan.ts';
