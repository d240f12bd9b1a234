/**
 * A small schema language for scenario files, and the scenario schema itself.
 *
 * A `Field` says what a key holds (number, integer, decimal string, enum, mapping, …), its default,
 * its unit (also carried by the key name where practical) and a one-line description. The same
 * schema validates a parsed YAML document, types `--set key.path=value` overrides and generates the
 * key table of docs/SCENARIO.md, so the documentation cannot drift from the code (a test checks it).
 *
 * Sections owned by other modules (strategy, signals, risk, oms) are `delegate` fields: their keys
 * are validated by that module's own parser, which names the key path in its errors.
 */
import { TIMER_MAX_MS } from '../core/clock.ts';

export type Field =
  | { kind: 'number'; doc: string; default?: number | null; min?: number; above?: number; max?: number; nullable?: boolean }
  | { kind: 'integer'; doc: string; default?: number | null; min?: number; max?: number; nullable?: boolean }
  | { kind: 'string'; doc: string; default?: string | null; nullable?: boolean }
  /** An exact decimal, written as a number or a string; kept as a normalised string. */
  | { kind: 'decimal'; doc: string; default?: string | null; nullable?: boolean }
  | { kind: 'boolean'; doc: string; default?: boolean }
  | { kind: 'enum'; doc: string; values: readonly (string | number)[]; default?: string | number }
  /** An integer, or the word `auto`. */
  | { kind: 'integerOrAuto'; doc: string; default?: number | 'auto' }
  /** `a..b` UTC, see `parseTimeRange`. */
  | { kind: 'timeRange'; doc: string; default?: null; nullable?: boolean }
  | { kind: 'list'; doc: string; of: Field; default?: unknown[] | null; nullable?: boolean; minItems?: number }
  | { kind: 'object'; doc: string; fields: Record<string, Field>; required?: readonly string[] }
  /** A mapping with free keys (e.g. symbols, assets), each value of type `of`. */
  | { kind: 'map'; doc: string; keyDoc: string; of: Field; default?: Record<string, unknown> }
  /** Validated by another module's parser (documented there). */
  | { kind: 'delegate'; doc: string; seeDoc: string };

const num = (doc: string, def: number | null, extra: { min?: number; above?: number; max?: number; nullable?: boolean } = {}): Field => ({ kind: 'number', doc, default: def, ...extra });
const int = (doc: string, def: number | null, extra: { min?: number; max?: number; nullable?: boolean } = {}): Field => ({ kind: 'integer', doc, default: def, ...extra });
const dec = (doc: string, def: string | null, nullable = false): Field => ({ kind: 'decimal', doc, default: def, nullable });
const bool = (doc: string, def: boolean): Field => ({ kind: 'boolean', doc, default: def });
const oneOf = <T extends string | number>(doc: string, values: readonly T[], def?: T): Field => ({ kind: 'enum', doc, values, default: def });
const str = (doc: string, def: string | null, nullable = false): Field => ({ kind: 'string', doc, default: def, nullable });
const obj = (doc: string, fields: Record<string, Field>, required: readonly string[] = []): Field => ({ kind: 'object', doc, fields, required });

export const STREAMS = ['depth', 'trades', 'bookTicker', 'aggTrades', 'markPrice'] as const;
export type StreamName = (typeof STREAMS)[number];

const feeFields = obj('Fee rates of one symbol.', {
  makerRate: dec('Maker fee as a fraction of notional (0.0002 = 2 bps); negative = rebate.', '0.0002'),
  takerRate: dec('Taker fee as a fraction of notional (0.0005 = 5 bps).', '0.0005'),
});

/** The scenario schema. Key order here is the order of docs/SCENARIO.md. */
export const SCENARIO_SCHEMA = obj(
  'A backtest scenario.',
  {
    name: str('Free-form name shown in the report.', ''),
    seed: int('Seed of the run: every random choice (latency draws, probabilistic queues, synthetic data) derives from it. `--seed` overrides.', 1, { min: 0 }),
    data: obj(
      'Market data of the run.',
      {
        source: oneOf('`store` (Parquet store written by `maker import`), `synthetic` (the embedded seeded generator) or `model` (the papers\' model world of data.model: no book, fills with probability A·e^(−k·δ)·dt per step; docs/MODEL_MARKETS.md).', ['store', 'synthetic', 'model'] as const),
        store: str('Store directory (relative to the current directory). Required when source is `store`.', null, true),
        venue: str('Venue directory in the store.', 'binance-usdm'),
        symbols: { kind: 'list', doc: 'Symbols to replay in one clock, e.g. [BTCUSDT, ETHUSDT].', of: { kind: 'string', doc: 'symbol' }, minItems: 1 },
        range: { kind: 'timeRange', doc: 'UTC time range `start..end` of receive times, e.g. `2024-01-01T00:00:00Z..2024-01-31T23:59:59Z` or `2024-01-01..2024-01-31`; the end is inclusive at the precision written (a date means the whole day). Synthetic: the start is the session start, the length its duration. Omitted: all data in the store.', default: null, nullable: true },
        streams: { kind: 'list', doc: `Streams to replay, of ${STREAMS.join(', ')}. Omitted: every stream the data has.`, of: oneOf('stream', STREAMS), default: null, nullable: true, minItems: 1 },
        book: oneOf('How the book is built, for the exchange and (unless `decision.bookSource` is set) the strategy alike: `auto` (depth data: the fused book, the depth book with every newer bookTicker laid over its top until the next diff; else top-of-book), `depth` (diffs + snapshots only), or `top-of-book` (a 1-level book from each bookTicker). See docs/SIM_EXCHANGE.md §1. The report states which.', ['auto', 'depth', 'top-of-book'] as const, 'auto'),
        missingHint: str('What to tell the user when the store or its data is missing (e.g. the `maker download … --import` command that fetches it).', null, true),
        spec: str('Binance exchangeInfo JSON to take instrument specs from (overrides the spec stored with the data).', null, true),
        verify: bool('Check every store file the run reads against the SHA-256 its partition recorded; a file that does not match stops the run, naming it. `false`: run on it anyway, the mismatch listed in the summary (the data fingerprint always covers the bytes read); a file too damaged to decode still stops the run, naming it and the reader\'s error.', true),
        model: obj('The model world of `source: model` (docs/MODEL_MARKETS.md), in the papers\' units (price units of the quote currency, seconds); the defaults are Avellaneda–Stoikov 2008 §3.3. Only strategy, seed and name apply to a model run; the other sections must be absent.', {
          paths: int('Independent paths (sessions of horizonS), each from s0 and q0.', 1_000, { min: 1 }),
          s0: num('Initial mid, price units.', 100, { above: 0 }),
          horizonS: num('Session length T, seconds (a whole number of dtS).', 1, { above: 0 }),
          dtS: num('Decision and simulation step dt, seconds.', 0.005, { above: 0 }),
          sigma: num('Volatility σ of the arithmetic Brownian mid, price units per √s: the mid moves ±σ·√dt (rounded to whole ticks) with probability ½ each step.', 2, { min: 0 }),
          aPerS: num('Fill intensity A at the mid, fills per second.', 140, { above: 0 }),
          k: num('Decay k of the fill intensity A·e^(−k·δ), per price unit of distance δ from the mid.', 1.5, { above: 0 }),
          q0: int('Initial inventory, lots (one lot = one unit).', 0),
          tickSize: dec('Price grid of the world, price units: quotes round outwards to it and the mid step to the nearest tick; fine enough to make rounding negligible.', '0.000001'),
          fillAfterMove: bool('Draw each step\'s fills against the mid after that step\'s move instead of the mid the quotes were decided on (the paper\'s §3.3 tables match this order better; docs/MODEL_MARKETS.md).', false),
        }),
        synthetic: { kind: 'map', doc: 'Parameters of the synthetic generator (`SyntheticConfig` in src/synthetic; keys are checked against its defaults, e.g. `startMidTicks`, `tradesPerS`, `sigmaTicksPerSqrtS`). `symbol`, `seed`, `startUs` and `durationS` come from data.symbols, seed and data.range.', keyDoc: 'SyntheticConfig key', of: { kind: 'delegate', doc: 'value', seeDoc: 'src/synthetic' }, default: {} },
      },
      ['source', 'symbols'],
    ),
    execution: obj('The simulated exchange and the wire between it and the strategy.', {
      feedLatency: obj('When the strategy side sees a market event.', {
        model: oneOf('`recorded`: at its receive time minus the clock offset; `constant`: at exchange time + latencyUs.', ['recorded', 'constant'] as const, 'recorded'),
        latencyUs: int('Feed latency of the `constant` model, µs.', 1_000, { min: 0 }),
        clockOffsetUs: { kind: 'integerOrAuto', doc: 'Steady offset of the recorder clock vs the exchange clock, µs, removed from receive times: an integer, or `auto` = estimated from the first offsetSampleEvents events, the median over 1-second windows of each window\'s median receive − exchange, so a burst at the start weighs no more than its seconds (this also removes the median latency, so set minLatencyUs).', default: 0 },
        offsetSampleEvents: int('Events `clockOffsetUs: auto` holds back and estimates from (minutes of a busy symbol; the run starts once they are read).', 100_000, { min: 1 }),
        minLatencyUs: int('Floor of the feed latency: the strategy never sees an event earlier than exchange time + this, µs.', 0, { min: 0 }),
      }),
      orderLatency: obj('Order entry (strategy → exchange) and response (exchange → strategy) latency. Per direction, messages stay in FIFO order.', {
        model: oneOf('`constant`, `feed` (multiple + offset of the current feed latency), `random` (seeded draws) or `recorded` (interpolated from a CSV file).', ['constant', 'feed', 'random', 'recorded'] as const, 'constant'),
        entryUs: int('constant: entry latency, µs.', 5_000, { min: 0 }),
        responseUs: int('constant: response latency, µs.', 5_000, { min: 0 }),
        entryMultiplier: num('feed: entry = feed latency × this + entryOffsetUs.', 1, { min: 0 }),
        entryOffsetUs: int('feed: see entryMultiplier, µs.', 0, { min: 0 }),
        responseMultiplier: num('feed: response = feed latency × this + responseOffsetUs.', 1, { min: 0 }),
        responseOffsetUs: int('feed: see responseMultiplier, µs.', 0, { min: 0 }),
        distribution: oneOf('random: `exponential` (mean), `lognormal` (median, sigma) or `uniform` (0..2 × mean), each added to minUs.', ['exponential', 'lognormal', 'uniform'] as const, 'lognormal'),
        entryMeanUs: int('random: mean (median for lognormal) of the entry latency above minUs, µs.', 5_000, { min: 0 }),
        responseMeanUs: int('random: mean (median for lognormal) of the response latency above minUs, µs.', 5_000, { min: 0 }),
        sigma: num('random, lognormal: σ of the log.', 0.5, { min: 0 }),
        minUs: int('random: latency floor, µs.', 0, { min: 0 }),
        file: str('recorded: CSV with a header `ts_us,entry_latency_us,response_latency_us`, rows by ts_us; linear interpolation, constant beyond the ends.', null, true),
      }),
      queue: obj('Queue position model of our resting orders (market-making.md §2.8).', {
        model: oneOf('`risk-averse` (advance only on trades at our price), `prob-power` (f(x)=x^power) or `prob-log` (f(x)=ln(1+x)).', ['risk-averse', 'prob-power', 'prob-log'] as const, 'risk-averse'),
        variant: oneOf('Probabilistic models: which of hftbacktest\'s three forms of p.', [1, 2, 3] as const, 1),
        power: num('prob-power: the exponent n.', 2, { above: 0 }),
      }),
      partialFills: bool('Allow partial fills of resting orders (false: a print at the order\'s price fills it only if it can fill the whole remaining quantity; taker orders still walk the book).', true),
      crossingFills: bool('A book move through our resting price fills it without a print (optimistic).', false),
      matchWindowUs: int('The exchange side replays events in match-time order (`T`, else `E`), sorting the feed in this window: an event published up to this long after later-matched ones still takes its place; one later than that is placed at the window edge and counted (summary engine.lateMatchEvents), µs.', 2_000_000, { min: 0 }),
      selfTradePrevention: oneOf('When one of our taker orders reaches one of our own resting orders (Binance `selfTradePreventionMode`): `EXPIRE_MAKER` expires the resting one, `EXPIRE_TAKER` the rest of the taker, `EXPIRE_BOTH` both (status EXPIRED_IN_MATCH); `NONE` lets them trade with each other (both fees paid).', ['EXPIRE_MAKER', 'EXPIRE_TAKER', 'EXPIRE_BOTH', 'NONE'] as const, 'EXPIRE_MAKER'),
      fees: { kind: 'map', doc: 'Fee rates per symbol; the key `default` applies to symbols not listed.', keyDoc: 'symbol or `default`', of: feeFields, default: {} },
      funding: obj('Funding payments (longs pay shorts when the rate is positive).', {
        mode: oneOf('`data` (mark price and rate from markPrice events, and the store\'s imported fundingRate history: `maker data import`), `rate` (a fixed rate every intervalH hours at the mark, or the mid without one) or `off`. A run that crosses funding times without settlements warns NO_FUNDING.', ['data', 'rate', 'off'] as const, 'data'),
        ratePerInterval: dec('rate: funding rate per interval as a fraction.', '0.0001'),
        intervalH: int('rate: hours between funding times (from 00:00 UTC).', 8, { min: 1, max: 24 }),
      }),
    }),
    account: obj('The account at the start.', {
      balances: { kind: 'map', doc: 'Initial balance per asset, exact decimal (e.g. `USDT: 10000`).', keyDoc: 'asset', of: dec('amount', null), default: { USDT: '10000' } },
      leverage: int('Leverage per symbol (margin = notional / leverage): the portfolio\'s margin figures and the simulated exchange\'s initial-margin check.', 5, { min: 1, max: 125 }),
      margin: bool('Exchange-side margin in the simulated exchange (docs/SIM_EXCHANGE.md §4): a new order whose initial margin the equity cannot cover is rejected -2019, and the account is liquidated when equity falls to the maintenance margin (on the mark price, or the book mid without one). `false`: every order is accepted and nothing is liquidated.', true),
      brackets: {
        kind: 'map',
        doc: 'Leverage brackets per symbol (Binance `GET /fapi/v1/leverageBracket`), replacing the built-in ones (BTCUSDT and ETHUSDT as published; other symbols one tier at 1 % maintenance, 50× at most).',
        keyDoc: 'symbol',
        of: {
          kind: 'list',
          doc: 'Tiers in increasing notionalCap.',
          minItems: 1,
          of: obj('One tier.', {
            notionalCap: dec('Upper bound of the position notional of the tier, quote asset; omitted on the last tier: unbounded.', null, true),
            initialLeverage: int('Highest leverage of the tier.', null),
            maintMarginRatio: dec('Maintenance margin rate (0.004 = 0.4 %).', null),
            cum: dec('Maintenance amount: maintenance margin = notional × maintMarginRatio − cum.', '0'),
          }, ['initialLeverage', 'maintMarginRatio']),
        },
        default: {},
      },
      liquidationFeeRate: dec('Insurance clearance fee of a liquidation, fraction of the closed notional (Binance exchangeInfo `liquidationFee`), at most what is left of the equity.', '0.0125'),
    }),
    strategy: { kind: 'delegate', doc: 'Quoting strategy: `kind` (fixed, avellaneda-stoikov, glft) and its parameters.', seeDoc: 'docs/STRATEGY_SPEC.md' },
    signals: { kind: 'delegate', doc: 'Signal engine parameters (SignalConfig keys except tickSize).', seeDoc: 'docs/SIGNALS.md' },
    risk: { kind: 'delegate', doc: 'Risk limits (RiskConfig keys).', seeDoc: 'docs/RISK_RULES.md' },
    oms: { kind: 'delegate', doc: 'Order manager settings (OmsConfig keys).', seeDoc: 'docs/OMS_SPEC.md' },
    decision: { kind: 'delegate', doc: 'When the trading core decides: minIntervalUs, requoteIntervalUs, bookSource, markSource, midMarkIntervalUs, obiSource, micropriceSource, decideOnTopQtyChange.', seeDoc: 'src/trader/config.ts' },
    live: obj('`maker live` only (ignored by the backtest): the venue, the keys, order entry, reconciliation and shutdown. docs/LIVE.md.', {
      rest: str('REST base URL of the venue. `--venue` and `--paper` override it.', 'https://fapi.binance.com'),
      ws: str('Market and user-data stream base URL (the `/public`, `/market`, `/private` routes are appended).', 'wss://fstream.binance.com'),
      apiKeyEnv: str('Environment variable holding the API key.', 'MAKER_API_KEY'),
      secretEnv: str('Environment variable holding the HMAC secret or the Ed25519 private key (PKCS#8 PEM).', 'MAKER_API_SECRET'),
      secretFile: str('File holding the secret instead (must not be readable by group or others: mode 0600).', null, true),
      keyType: oneOf('Key type: `HMAC` or `Ed25519`.', ['HMAC', 'Ed25519'] as const, 'HMAC'),
      wsApi: str('WebSocket API URL (order entry with `orderEntry: ws`). `--venue` and `--paper` override it.', 'wss://ws-fapi.binance.com/ws-fapi/v1'),
      orderEntry: oneOf('Order entry: `rest` (`POST/PUT/DELETE /fapi/v1/order`) or `ws` (the WebSocket API: `order.place`/`modify`/`cancel`/`status` on one connection; Ed25519 keys log the session on once). Same outcomes either way; cancel-all at shutdown always goes over REST.', ['rest', 'ws'] as const, 'rest'),
      depthStream: oneOf('Depth diff stream per symbol.', ['depth', 'depth@100ms', 'depth@0ms'] as const, 'depth@100ms'),
      bookTicker: bool('Subscribe `<symbol>@bookTicker` (the real-time top, fused over the depth book).', true),
      trades: bool('Subscribe `<symbol>@trade`.', true),
      markPrice: bool('Subscribe `<symbol>@markPrice@1s` (mark price, funding rate).', true),
      reconcile: obj('Start-up reconciliation, before the first quote: what to do with what the venue already has.', {
        openOrders: oneOf('Open orders of the traded symbols at start: `adopt` (the trader takes them over and keeps or cancels them like its own), `cancel` (cancelled with `allOpenOrders` before quoting, confirmed by query), `halt` (refuse to start, exit 4).', ['adopt', 'cancel', 'halt'] as const, 'cancel'),
        position: oneOf('A non-zero position at start: `adopt` (the trader starts from it) or `halt` (refuse to start, exit 4).', ['adopt', 'halt'] as const, 'adopt'),
      }),
      shutdown: obj('Kill switch and shutdown (SIGINT, SIGTERM, the kill file).', {
        flatten: bool('Also close every position with reduce-only MARKET orders after cancelling.', false),
        confirmTimeoutS: num('How long the shutdown keeps trying to cancel (and flatten) and confirm by query, s.', 30, { above: 0 }),
      }),
      stallTimeoutMs: int('A market stream silent this long is taken as dropped: reconnect and re-sync, ms.', 10_000, { min: 100, max: TIMER_MAX_MS }),
      rotateAfterMs: int('Market stream connections, and the WebSocket API connection of `orderEntry: ws`, are replaced this long after they opened, before Binance\'s 24 h cut, ms (the ws-fapi one: a new connection, logged on again with an Ed25519 key, takes the new requests; the old one answers what it has in flight, then is closed).', 82_800_000, { min: 1_000, max: TIMER_MAX_MS }),
      killFile: str('A file whose appearance triggers the kill switch (checked every second).', null, true),
      syncMs: int('Journal fdatasync interval, ms (records reach the operating system before every command regardless).', 1000, { min: 10, max: TIMER_MAX_MS }),
      dashboard: obj('The dashboard of `maker live --dashboard <port>` (docs/LIVE.md "Dashboard").', {
        tokenEnv: str('Environment variable holding the dashboard\'s control token (at least 16 characters); unset: a random token, printed at start. The token itself is never a scenario key: the scenario is copied into the run directory and the journal.', null, true),
      }),
    }),
    report: obj('Outputs.', {
      sampleIntervalUs: int('Grid of the equity/position/quote samples (time series, charts, markouts, uptime), µs.', 1_000_000, { min: 1_000 }),
      returnIntervalUs: int('Interval of the equity returns behind Sharpe and Sortino, µs (annualised with √(365 d / interval)); they are null with fewer than 10 returns.', 60_000_000, { min: 1_000 }),
      eventLog: bool('Write the full event log as text (events.log) next to summary.json; summary.json holds the determinism hash either way (over the log\'s binary encoding, src/backtest/event-log.ts).', false),
      html: bool('Write report.html.', true),
    }),
  },
  ['data', 'strategy'],
);

/** Walks the schema to the field at a dotted key path (map keys match any name). */
export function fieldAt(path: readonly string[], root: Field = SCENARIO_SCHEMA): Field | undefined {
  let f: Field | undefined = root;
  for (const k of path) {
    if (!f) return undefined;
    if (f.kind === 'object') f = f.fields[k];
    else if (f.kind === 'map') f = f.of;
    else if (f.kind === 'delegate') return f;
    else return undefined;
  }
  return f;
}

function typeName(f: Field): string {
  switch (f.kind) {
    case 'enum':
      return f.values.map((v) => `\`${v}\``).join(' \\| ');
    case 'list':
      return `list of ${typeName(f.of)}`;
    case 'map':
      return `mapping ${f.keyDoc} → ${f.of.kind === 'object' ? 'mapping' : typeName(f.of)}`;
    case 'delegate':
      return `mapping (see ${f.seeDoc})`;
    case 'timeRange':
      return 'time range';
    case 'integerOrAuto':
      return 'integer or `auto`';
    case 'decimal':
      return 'decimal';
    default:
      return f.kind;
  }
}

function defaultText(f: Field, required: boolean): string {
  if (required) return 'required';
  if (!('default' in f) || f.default === undefined) return '';
  const d = f.default;
  if (d === null) return 'none';
  if (typeof d === 'object') return `\`${JSON.stringify(d)}\``;
  return `\`${String(d)}\``;
}

/** The markdown key table of docs/SCENARIO.md, generated from the schema. */
export function schemaTable(root: Field = SCENARIO_SCHEMA): string {
  const rows: string[] = ['| key | type | default | meaning |', '|---|---|---|---|'];
  const walk = (f: Field, path: string, required: boolean): void => {
    if (path !== '') rows.push(`| \`${path}\` | ${typeName(f)} | ${defaultText(f, required)} | ${f.doc.replace(/\|/g, '\\|')} |`);
    if (f.kind === 'object') for (const [k, sub] of Object.entries(f.fields)) walk(sub, path ? `${path}.${k}` : k, (f.required ?? []).includes(k));
    if (f.kind === 'map' && f.of.kind === 'object') for (const [k, sub] of Object.entries(f.of.fields)) walk(sub, `${path}.<${f.keyDoc.split(' ')[0]}>.${k}`, false);
    if (f.kind === 'map' && f.of.kind === 'list' && f.of.of.kind === 'object') {
      const item = f.of.of;
      for (const [k, sub] of Object.entries(item.fields)) walk(sub, `${path}.<${f.keyDoc.split(' ')[0]}>[].${k}`, (item.required ?? []).includes(k));
    }
  };
  walk(root, '', false);
  return rows.join('\n');
}
