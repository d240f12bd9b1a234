// Scenario loading: schema validation with file:line key errors, defaults, overrides, time ranges,
// and the generated key table of docs/SCENARIO.md.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScenarioError, loadScenarioFile, parseScenario, parseTimeRange, schemaTable } from '../../src/scenario/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BASE = `name: t
seed: 3
data:
  source: synthetic
  symbols: [btcusdt]
  range: 2024-01-01T00:00:00Z..2024-01-01T00:10:00Z
strategy:
  kind: fixed
  sizeLots: 2
  maxPositionLots: 20
  halfSpreadTicks: 2
`;

function errorOf(text: string, opts = {}): ScenarioError {
  try {
    parseScenario(text, 'x.yaml', opts);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return e as ScenarioError;
  }
  throw new Error('expected a ScenarioError');
}

describe('parseScenario', () => {
  it('an alias without an anchor, and --set values YAML cannot read or cannot place, are errors naming the line or key (they were internal errors, exit 70)', () => {
    expect(errorOf(BASE.replace('sizeLots: 2', 'sizeLots: *nope')).describe()).toBe('x.yaml:9: not valid YAML: the alias *nope has no anchor &nope before it');
    expect(errorOf(BASE, { set: ['data.symbols=[BTC'] }).describe()).toMatch(/^--set data\.symbols=\[BTC: key "data\.symbols": expected a YAML value \(Flow sequence must end with a \]/);
    expect(errorOf(`${BASE}execution:\n  orderLatency:\n    entryUs: .inf\n`).describe()).toBe('x.yaml:14: key "execution.orderLatency.entryUs": expected a number, got Infinity');
    expect(errorOf(BASE, { set: ['strategy.sizeLots.x=5'] }).describe()).toMatch(/^--set strategy\.sizeLots\.x=5: key "strategy\.sizeLots\.x": cannot be set in this scenario/);
  });

  it('data.streams: [] is refused (the synthetic market spun for ever with nothing to replay); a timer interval past 2^31 − 1 ms too (Node fires it after 1 ms)', () => {
    const streams = errorOf(BASE.replace('  source: synthetic\n', '  source: synthetic\n  streams: []\n'));
    expect(streams.describe()).toMatch(/^x\.yaml:5: key "data\.streams": needs at least 1 item/);
    const sync = errorOf(`${BASE}live:\n  syncMs: 9999999999\n`);
    expect(sync.describe()).toMatch(/^x\.yaml:\d+: key "live\.syncMs": must be ≤ 2147483647, got 9999999999/);
  });

  it('data.book drives the strategy\'s book source too, unless decision.bookSource is written (fails before issue 9: always auto)', () => {
    const withBook = (book: string, decision = '') => parseScenario(BASE.replace('  source: synthetic\n', `  source: synthetic\n  book: ${book}\n`) + decision, 'x.yaml').trader.decision.bookSource;
    expect(parseScenario(BASE, 'x.yaml').trader.decision.bookSource).toBe('auto');
    expect(withBook('depth')).toBe('depth');
    expect(withBook('top-of-book')).toBe('bookTicker');
    expect(withBook('auto')).toBe('auto');
    // Another decision key keeps the book from data.book; an explicit bookSource wins.
    expect(withBook('top-of-book', 'decision:\n  minIntervalUs: 1000\n')).toBe('bookTicker');
    expect(withBook('top-of-book', 'decision:\n  bookSource: depth\n')).toBe('depth');
    const bad = errorOf(BASE + 'decision:\n  bookSource: fused\n');
    expect(`${bad.message} ${bad.location.field ?? ''}`).toMatch(/bookSource/);
  });

  it('fills defaults and resolves the trader sections', () => {
    const s = parseScenario(BASE, 'x.yaml');
    expect(s.seed).toBe(3);
    expect(s.data.symbols).toEqual(['BTCUSDT']);
    expect(s.data.range).toEqual({ fromUs: 1_704_067_200_000_000, toUs: 1_704_067_801_000_000, text: '2024-01-01T00:00:00Z..2024-01-01T00:10:00Z' });
    expect(s.execution.orderLatency).toMatchObject({ model: 'constant', entryUs: 5000, responseUs: 5000 });
    expect(s.execution.queue.model).toBe('risk-averse');
    expect(s.account.balances).toEqual({ USDT: '10000' });
    expect(s.trader.strategy.kind).toBe('fixed');
    expect(s.trader.risk.maxPositionLots).toBeGreaterThan(0);
    expect(s.data.syntheticConfig?.symbol).toBeDefined();
  });

  it('names file, line and key path of an unknown key, a wrong type and a missing key', () => {
    const typo = errorOf(BASE.replace('  range:', '  rnage:'));
    expect(typo.describe()).toMatch(/^x\.yaml:6: key "data\.rnage": unknown key/);
    const type = errorOf(`${BASE}execution:\n  orderLatency:\n    entryUs: fast\n`);
    expect(type.describe()).toBe('x.yaml:14: key "execution.orderLatency.entryUs": expected a number, got "fast"');
    const strategy = errorOf(BASE.replace('halfSpreadTicks: 2', 'halfSpreadTicks: two'));
    expect(strategy.describe()).toMatch(/^x\.yaml:11: key "strategy\.halfSpreadTicks": /);
    const missing = errorOf(BASE.replace('  source: synthetic\n', ''));
    expect(missing.describe()).toMatch(/^x\.yaml:3: key "data\.source": is required/);
    expect(errorOf(BASE.replace(/strategy:[\s\S]*$/, '')).location.field).toBe('strategy');
    expect(errorOf(`${BASE}signals:\n  volHalfLifeS: -1\n`).describe()).toMatch(/^x\.yaml:13: key "signals\.volHalfLifeS"/);
    expect(errorOf(`${BASE}execution:\n  fees:\n    BTCUSDT:\n      makerRate: cheap\n`).location.field).toBe('execution.fees.BTCUSDT.makerRate');
  });

  it('rejects YAML syntax errors with a line', () => {
    const e = errorOf('data:\n  source: [store\n');
    expect(e.message).toMatch(/not valid YAML/);
    expect(e.location.line).toBeGreaterThanOrEqual(2);
  });

  it('needs a store path for store data and a range for synthetic data', () => {
    expect(errorOf(BASE.replace('source: synthetic', 'source: store')).location.field).toBe('data.store');
    expect(errorOf(BASE.replace(/  range: .*\n/, '')).location.field).toBe('data.range');
    expect(errorOf(BASE.replace('[btcusdt]', '[BTCUSDT, btcusdt]')).location.field).toBe('data.symbols');
  });

  it('rejects a negative balance and an account with no money, naming the key', () => {
    const neg = errorOf(`${BASE}account:\n  balances:\n    USDT: -5\n`);
    expect(neg.describe()).toBe('x.yaml:14: key "account.balances.USDT": must be ≥ 0, got -5');
    expect(errorOf(`${BASE}account:\n  balances:\n    USDT: 0\n`).describe()).toMatch(/^x\.yaml:13: key "account\.balances": needs a positive balance/);
    expect(parseScenario(`${BASE}account:\n  balances:\n    USDT: 1\n    BNB: 0\n`, 'x.yaml').account.balances).toEqual({ USDT: '1', BNB: '0' });
  });

  it('applies --set overrides typed by the schema, and --seed', () => {
    const s = parseScenario(BASE, 'x.yaml', { seed: 9, set: ['strategy.halfSpreadTicks=5', 'execution.queue.model=prob-log', 'execution.queue.variant=2', 'data.symbols=BTCUSDT,ETHUSDT', 'execution.crossingFills=true'] });
    expect(s.seed).toBe(9);
    expect(s.trader.strategy.kind === 'fixed' && s.trader.strategy.halfSpreadTicks).toBe(5);
    expect(s.execution.queue).toMatchObject({ model: 'prob-log', variant: 2 });
    expect(s.data.symbols).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(s.execution.crossingFills).toBe(true);
    expect(errorOf(BASE, { set: ['execution.orderLatency.entryUs=abc'] }).location.field).toBe('execution.orderLatency.entryUs');
    expect(errorOf(BASE, { set: ['data.nope=1'] }).describe()).toBe('--set data.nope=1: key "data.nope": unknown key');
    expect(errorOf(BASE, { set: ['novalue'] }).message).toMatch(/key\.path=value/);
  });

  it('a bad value from --set, --grid or a space file names where it came from, not a line of the scenario file', () => {
    // Before, these named x.yaml and the line of the key (or of its parent), where the value is fine.
    expect(errorOf(BASE, { set: ['strategy.halfSpreadTicks=-1'] }).describe()).toBe('--set strategy.halfSpreadTicks=-1: key "strategy.halfSpreadTicks": must be ≥ 0, got -1');
    expect(errorOf(BASE, { set: ['execution.orderLatency.entryUs=-3'] }).describe()).toBe('--set execution.orderLatency.entryUs=-3: key "execution.orderLatency.entryUs": must be ≥ 0, got -3');
    expect(errorOf(BASE, { set: ['data.range=2024-01-02..2024-01-01'] }).describe()).toMatch(/^--set data\.range=2024-01-02\.\.2024-01-01: key "data\.range": the range .* ends before it starts/);
    const grid = { assignment: 'strategy.halfSpreadTicks=-2', origin: { option: '--grid strategy.halfSpreadTicks=-2..3' } };
    expect(errorOf(BASE, { set: [grid] }).describe()).toBe('--grid strategy.halfSpreadTicks=-2..3: key "strategy.halfSpreadTicks": must be ≥ 0, got -2');
    const space = { assignment: 'execution.queue.model=nope', origin: { file: 'space.yaml', line: 4 } };
    expect(errorOf(BASE, { set: [space] }).describe()).toMatch(/^space\.yaml:4: key "execution\.queue\.model": expected one of /);
    // The last writer of a key is named; a key nobody overrode keeps the file and line.
    expect(errorOf(BASE, { set: ['strategy.halfSpreadTicks=-1', grid] }).describe()).toMatch(/^--grid /);
    expect(errorOf(BASE.replace('halfSpreadTicks: 2', 'halfSpreadTicks: -1'), { set: ['strategy.sizeLots=3'] }).describe()).toBe('x.yaml:11: key "strategy.halfSpreadTicks": must be ≥ 0, got -1');
  });

  it('a second YAML document (---) is refused at its line, in words (the message named a function of the YAML library)', () => {
    expect(errorOf(`${BASE}---\nname: other\n`).describe()).toBe(`x.yaml:${BASE.split('\n').length}: one YAML document expected, but a second one starts on this line (---): keep one document in the file`);
    // A leading --- is the one document's start: accepted.
    expect(parseScenario(`---\n${BASE}`, 'x.yaml').name).toBe('t');
  });

  it('ships scenarios that validate', () => {
    for (const f of ['quickstart.yaml', 'btc-jan.yaml', 'btcusdt-20240808-glft.yaml']) {
      const s = loadScenarioFile(join(ROOT, 'scenarios', f));
      expect(s.data.symbols).toContain('BTCUSDT');
    }
  });
});

describe('parseTimeRange', () => {
  it('makes the end inclusive at the precision written', () => {
    const day = parseTimeRange('2024-01-01..2024-01-31');
    expect(day.toUs - day.fromUs).toBe(31 * 86_400_000_000);
    const sec = parseTimeRange('2024-01-01T00:00:00Z..2024-01-31T23:59:59Z');
    expect(sec.toUs).toBe(Date.UTC(2024, 1, 1) * 1000);
    const frac = parseTimeRange('2024-01-01T00:00:00.5Z..2024-01-01T00:00:00.75Z');
    expect([frac.fromUs % 1_000_000, frac.toUs % 1_000_000]).toEqual([500_000, 760_000]);
    expect(() => parseTimeRange('2024-02-30..2024-03-01')).toThrow(/not a valid/);
    expect(() => parseTimeRange('2024-01-02..2024-01-01T00:00Z')).toThrow(/ends before/);
    expect(() => parseTimeRange('yesterday..today')).toThrow(/not a UTC date/);
  });
});

describe('docs/SCENARIO.md', () => {
  it('holds the key table generated from the schema', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'SCENARIO.md'), 'utf8');
    const table = doc.split('<!-- schema-table:start -->')[1].split('<!-- schema-table:end -->')[0].trim();
    expect(table).toBe(schemaTable());
    expect(table).toMatch(/`execution\.orderLatency\.entryUs`/);
  });
});
