/**
 * The resolved configuration of a run in words, for report.html and the terminal summary: data,
 * strategy and its parameters, latency and queue model, fees, funding mode, account, risk limits,
 * OMS settings (and, in full, signals, decision timing and report settings). Read from the resolved
 * scenario as summary.json holds it (plain JSON: every default filled in), so what is shown is what
 * ran. Keys are sorted; nothing depends on anything but the scenario.
 */

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

function str(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (Array.isArray(v)) return `[${v.map(str).join(', ')}]`;
  if (typeof v === 'object') return `{${flatten(v as Json).join(', ')}}`;
  if (v === '') return '""';
  return String(v);
}

/** `a=1, b.c=2, ...`: every leaf of an object, sorted by key path. */
export function flatten(o: Json, prefix = ''): string[] {
  const out: string[] = [];
  for (const k of Object.keys(o).sort()) {
    const v = o[k];
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) out.push(...flatten(v as Json, key));
    else out.push(`${key}=${str(v)}`);
  }
  return out;
}

function bps(rate: unknown): string {
  const n = Number(rate);
  return Number.isFinite(n) ? `${Number((n * 1e4).toFixed(4))} bp` : '?';
}

function feedLatency(f: Json): string {
  if (f.model === 'constant') return `constant: exchange time + ${str(f.latencyUs)} µs`;
  const offset = f.clockOffsetUs === 'auto' ? `auto (median of 1 s window medians over the first ${str(f.offsetSampleEvents)} events)` : `${str(f.clockOffsetUs)} µs`;
  return `recorded: receive time − clock offset ${offset}, at least ${str(f.minLatencyUs)} µs after exchange time`;
}

function orderLatency(l: Json): string {
  switch (l.model) {
    case 'constant':
      return `constant: entry ${str(l.entryUs)} µs, response ${str(l.responseUs)} µs`;
    case 'feed':
      return `feed: entry = feed latency × ${str(l.entryMultiplier)} + ${str(l.entryOffsetUs)} µs, response = feed latency × ${str(l.responseMultiplier)} + ${str(l.responseOffsetUs)} µs`;
    case 'random': {
      const what = l.distribution === 'lognormal' ? 'median' : 'mean';
      return `random ${str(l.distribution)}: entry ${what} ${str(l.entryMeanUs)} µs, response ${what} ${str(l.responseMeanUs)} µs${l.distribution === 'lognormal' ? `, σ ${str(l.sigma)}` : ''}, floor ${str(l.minUs)} µs`;
    }
    case 'recorded':
      return `recorded: interpolated from ${str(l.file)}`;
    default:
      return flatten(l).join(', ');
  }
}

function queue(e: Json): string {
  const q = obj(e.queue);
  let model = str(q.model);
  if (q.model === 'prob-power') model += ` (variant ${str(q.variant)}, f(x) = x^${str(q.power)})`;
  else if (q.model === 'prob-log') model += ` (variant ${str(q.variant)}, f(x) = ln(1 + x))`;
  else if (q.model === 'risk-averse') model += ' (advances only on trades at our price)';
  return `${model}; partial fills ${e.partialFills === false ? 'off' : 'on'}; fills on a book move through our price ${e.crossingFills === true ? 'on' : 'off'}`;
}

function fees(f: Json): string {
  const keys = Object.keys(f).sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  if (keys.length === 0) return 'default: maker 0.0002 (2 bp), taker 0.0005 (5 bp)';
  return keys
    .map((k) => {
      const r = obj(f[k]);
      return `${k}: maker ${str(r.makerRate)} (${bps(r.makerRate)}), taker ${str(r.takerRate)} (${bps(r.takerRate)})`;
    })
    .join('; ');
}

function funding(f: Json): string {
  if (f.mode === 'rate') return `rate: ${str(f.ratePerInterval)} (${bps(f.ratePerInterval)}) every ${str(f.intervalH)} h at the last mid`;
  if (f.mode === 'off') return 'off';
  return 'data: rate and mark price from the markPrice stream';
}

function data(d: Json): string {
  const range = obj(d.range);
  const where = d.source === 'store' ? `store ${str(d.store)} (${str(d.venue)})` : 'synthetic market';
  const streams = Array.isArray(d.streams) ? (d.streams as unknown[]).map(str).join(', ') : 'all in the data';
  return `${where}; ${Array.isArray(d.symbols) ? (d.symbols as unknown[]).map(str).join(', ') : '?'}; ${typeof range.text === 'string' ? range.text : 'all data'}; streams ${streams}; book ${str(d.book)}${d.spec ? `; specs from ${str(d.spec)}` : ''}`;
}

/**
 * [label, value] rows of the resolved scenario. `full` adds signals, decision timing, report
 * settings and the synthetic generator's parameters.
 */
export function configRows(resolved: unknown, full = false): [string, string][] {
  const s = obj(resolved);
  const d = obj(s.data);
  const e = obj(s.execution);
  const a = obj(s.account);
  const t = obj(s.trader);
  const strategy = obj(t.strategy);
  const { kind, ...params } = strategy;
  const balances = obj(a.balances);
  const rows: [string, string][] = [
    ['data', data(d)],
    ['strategy', `${str(kind)}: ${flatten(params).join(', ')}`],
    ['feed latency', feedLatency(obj(e.feedLatency))],
    ['order latency', orderLatency(obj(e.orderLatency))],
    ['queue model', queue(e)],
    ['fees', fees(obj(e.fees))],
    ['funding', funding(obj(e.funding))],
    ['account', `${Object.keys(balances).sort().map((k) => `${k} ${str(balances[k])}`).join(', ') || 'no balance'}; leverage ${str(a.leverage)}×`],
    ['risk limits', flatten(obj(t.risk)).join(', ')],
    ['OMS', flatten(obj(t.oms)).join(', ')],
  ];
  if (full) {
    rows.push(['decision timing', flatten(obj(t.decision)).join(', ')]);
    rows.push(['signals', flatten(obj(t.signal)).join(', ')]);
    const r = obj(s.report);
    rows.push(['report', flatten(r).join(', ')]);
    if (d.source === 'synthetic' && d.syntheticConfig) rows.push(['synthetic generator', `${flatten(obj(d.syntheticConfig)).join(', ')} (symbol, seed, start and duration are set per run)`]);
    rows.push(['seed', str(s.seed)]);
  }
  return rows;
}
