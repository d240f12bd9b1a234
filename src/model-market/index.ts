/**
 * model-market: the stylised world of the market-making papers (arithmetic Brownian mid on a fine
 * tick grid, fills with probability A·e^(−k·δ)·dt per step independently of any book, decisions on
 * a fixed dt with zero latency, many independent paths), driving the product's own strategies.
 * See world.ts for the step, units and random-number order, and docs/MODEL_MARKETS.md.
 */
export { modelInstrument } from './instrument.ts';
export { summarize, type Summary } from './stats.ts';
export { modelGrid, runModelMarket, runModelPath, type ModelMarketResult, type ModelPathResult, type ModelWorldGrid, type ModelWorldParams } from './world.ts';
