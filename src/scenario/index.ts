/**
 * Scenarios: one YAML file describing a backtest (data, execution model, account, strategy,
 * signals, risk, OMS, report, seed), validated against `SCENARIO_SCHEMA` (src/scenario/schema.ts,
 * documented key by key in docs/SCENARIO.md). Units are in the key names (`…Us` µs, `…S` seconds,
 * `…H` hours, `…Rate` fractions) or stated in the key's description. Time ranges are UTC.
 */
export { loadScenarioFile, parseScenario, applyOverride, bookSourceOf, ScenarioError, type Scenario, type LiveSection, type LoadOptions, type Override, type OverrideOrigin, type FeeRates } from './load.ts';
export { SCENARIO_SCHEMA, STREAMS, fieldAt, schemaTable, type Field, type StreamName } from './schema.ts';
export { parseTimeRange, type TimeRange } from './time-range.ts';
