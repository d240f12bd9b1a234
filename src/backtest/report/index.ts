/**
 * backtest/report: what a backtest run leaves behind.
 *
 * - `RunRecorder` — the engine calls it during the run (orders, fills, risk-state changes, funding,
 *   grid samples); bounded memory (chunked columnar fills/orders, online markouts).
 * - `EventLogHasher` — SHA-256 over the canonical event log (the determinism hash).
 * - `computeMetrics` — every metric of docs/METRICS.md from the recorder and the portfolio's exact
 *   PnL decomposition.
 * - `DataQualityTracker` — requested vs covered time, the trader's book out of sync, the time to the
 *   first quote and why not before (quality.ts), with the warnings they raise.
 * - `buildSummary`, `renderReportHtml`, `writeRunOutputs` — summary.json, a self-contained
 *   report.html and the Parquet tables, written atomically into a run directory.
 *
 * Units: time µs since the Unix epoch (UTC); prices integer ticks inside, exact decimal strings or
 * floats (charts, statistics) outside; quantities lots inside; money exact decimal strings in the
 * summary's PnL decomposition, floats elsewhere in metrics.
 */
export * from './recorder.ts';
export { EventLogHasher, canonicalJson, type EventField } from './hasher.ts';
export { FILL_COLUMNS, ORDER_COLUMNS } from './tables.ts';
export { computeMetrics, checkDecomposition, drawdownSeries, drawdownStats, ratiosNote, sharpeSortino, DEFAULT_RETURN_INTERVAL_US, DEFAULT_MIN_RETURNS, SHORT_SAMPLE_SECONDS, type MetricsInputs, type RunMetrics, type SymbolMetrics, type MarkoutMetric } from './metrics.ts';
export { renderReportHtml, REPORT_CSS, MAX_CHART_POINTS, type ReportExtras, type RunInfo } from './html.ts';
export { configRows } from './config-view.ts';
export { describeReject, formatRejects } from './reasons.ts';
export { writeRunOutputs, publishStagedRun, writeModelRunOutputs, MODEL_RUN_FILES, buildSummary, summaryJson, stagingDirFor, discardRunStaging, discardStagingLeftIn, assertRunDirUsable, timeseriesParquet, RunOutputError, RUN_FILES, TIMESERIES_COLUMNS, type SummaryInputs, type WriteRunOptions } from './output.ts';
export { downsampleMinMax, esc, fmtNum, niceTicks, renderChart, type ChartSpec, type LineSeries } from './svg.ts';
export { ParquetTableStream, type OutColumn, type OutColumnData } from './parquet-out.ts';
export { AUTO_ENCODE_MIN_EVENTS, ENCODE_THREAD_ENV, EncodeThread, MAX_GROUPS_IN_FLIGHT, encodeThreadFromEnv, encodeWorkerBundle, useEncodeThread, type EncodeThreadMode, type EncodeThreadOptions } from './encode-thread.ts';
export { DataQualityTracker, addFundingQuality, addStoreQuality, fundingTimesCrossed, type FundingCheck, type StoreQuality, MAX_EPISODES_LISTED, MAX_OUT_OF_SYNC_PCT, MIN_COVERAGE_PCT, fmtDuration, fmtPct, normaliseReason, type BookQuality, type DataQuality, type DataQualityWarning, type DataQualityWarningCode, type FirstQuoteQuality, type OutOfSyncEpisode, type QuoteReason, type StreamQuality, type SymbolQuality } from './quality.ts';
