/**
 * The live dashboard of `maker live --dashboard <port>` (issue 13): server.ts (HTTP, SSE, controls,
 * /metrics, /healthz, /readyz), state.ts (what the page shows, gathered off the trading loop),
 * metrics.ts (the Prometheus registry), page.html (the self-contained page).
 */
export { LiveDashboard, randomToken, TOKEN_HEADER, type DashboardOptions, type DashboardTarget } from './server.ts';
export { DashboardState, FILLS_KEPT, SERIES_MAX, TRIPS_KEPT, type ControlRow, type FillRow, type KillState, type TripRow } from './state.ts';
export { LIVE_METRIC_NAMES, liveMetrics, type LiveMetrics } from './metrics.ts';
