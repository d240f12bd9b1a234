/**
 * backtest: the deterministic event-driven backtest. `BacktestEngine` (engine.ts: the loop, its
 * tie-break and timing), latency models (latency.ts), data sources (feed.ts: store batches read
 * in place and synthetic data, as the store's `EventBatch`es), the event log and its determinism hash
 * (event-log.ts: SHA-256 of a canonical binary encoding), run wiring
 * (run.ts: scenario → data + parts → engine; parts.ts: SimExchange + TradingCore + RunRecorder),
 * what the data covered (coverage.ts).
 * The simulated exchange lives in src/sim-exchange, metrics and outputs in ./report.
 *
 * Units: times integer µs since the Unix epoch; prices ticks, quantities lots; money exact decimal
 * strings. A run is a pure function of (data, scenario, seed).
 */
export { BacktestEngine, type EngineObserver, type EngineOptions, type EngineStats } from './engine.ts';
export { ConstantLatency, FeedRelativeLatency, FeedTiming, RandomLatency, RecordedLatency, medianOffsetUs, estimateClockOffsetUs, DEFAULT_OFFSET_SAMPLE_EVENTS, OFFSET_WINDOW_US, type FeedTimingConfig, type LatencyDistribution, type OrderLatencyModel } from './latency.ts';
export { STREAM_TABLES, STREAM_TYPES, rebatch, storeSource, syntheticSource, type StoreSourceOptions } from './feed.ts';
export { orderLatencyModel, prepareData, runScenario, type BookMode, type PartsContext, type PreparedData, type RunOptions, type RunParts, type RunResult } from './run.ts';
export { dataKind, feeSchedule, realParts, type RealParts } from './parts.ts';
export { backtest, codeVersion, resolvedScenario, runIdFor, economicsNotes, type BacktestOutcome } from './backtest.ts';
export { MODEL_SUMMARY_SCHEMA, modelFingerprint, runModelScenario, type ModelOutcome } from './model.ts';
export { EventLog, RECORD_FIELDS, type EndRecord, type EventLogSink } from './event-log.ts';
export { Priority, Timeline, type TimelineEntry } from './timeline.ts';
export { assertRunDirUsable, canonicalJson, discardStagingLeftIn, ParquetTableStream, downsampleMinMax, esc, fmtNum, niceTicks, renderChart, REPORT_CSS, type ChartSpec, type LineSeries, type OutColumn, type OutColumnData, summaryJson, writeModelRunOutputs, publishStagedRun, writeRunOutputs } from './report/index.ts';
export { configRows, fmtDuration, fmtPct, formatRejects, type DataQuality, type DataQualityWarning } from './report/index.ts';
export { computeMetrics, renderReportHtml, RunRecorder, type RunInfo, type RunMetrics, type SymbolMetrics, type MarkoutMetric } from './report/index.ts';
export { CoverageMeter, COVERAGE_STREAMS, type StreamCoverage, type SymbolCoverage } from './coverage.ts';
