/**
 * `maker ui`: browse and compare the backtest runs of a reports directory in a browser (issue 13).
 * A read-only loopback HTTP server (server.ts) over a catalogue of run directories (runs.ts), with
 * server-rendered pages (pages.ts) and charts from the runs' time series (series.ts).
 */
export { BACKTEST_SUMMARY_SCHEMA, MAX_DEPTH, MAX_ENTRIES, RunCatalogue, type RunEntry, type RunKind, type RunMetrics, type RunQuality, type RunStatus } from './runs.ts';
export { readRunSeries, SeriesError, type RunSeries } from './series.ts';
export { comparePage, errorPage, listPage, LIST_SCRIPT, LIST_SCRIPT_HASH, MAX_COMPARE, runHref, scenarioDiff, type CompareRun } from './pages.ts';
export { htmlCsp, SERVED_FILES, UiError, UiServer, type UiServerOptions } from './server.ts';
