// Parameter sets of a sweep: grid parsing and expansion (order, ranges without float drift), the
// random space file and its seeded sampling, run seeds, and every bad input naming the key.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { expandGrid, parseGridOption, parseSeeds, parseSpace, sampleSpace } from '../../src/sweep/index.ts';

function errorOf(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('grid', () => {
  it('parses lists and inclusive ranges, without float drift', () => {
    expect(parseGridOption('strategy.halfSpreadTicks=2..10:2')).toEqual({ key: 'strategy.halfSpreadTicks', values: ['2', '4', '6', '8', '10'] });
    expect(parseGridOption('strategy.skewTicksPerLot=0,0.25')).toEqual({ key: 'strategy.skewTicksPerLot', values: ['0', '0.25'] });
    expect(parseGridOption('a.b=0.1..0.5:0.1').values).toEqual(['0.1', '0.2', '0.3', '0.4', '0.5']);
    expect(parseGridOption('a.b=1..3').values).toEqual(['1', '2', '3']);
    expect(parseGridOption('a.b=2..7:2').values).toEqual(['2', '4', '6']);
    // A time range is a plain value (data.range), not a numeric range.
    expect(parseGridOption('data.range=2024-01-01T00:00:00Z..2024-01-01T00:01:00Z').values).toEqual(['2024-01-01T00:00:00Z..2024-01-01T00:01:00Z']);
  });

  it('expands the product, the last axis fastest', () => {
    const sets = expandGrid([parseGridOption('x.a=1,2'), parseGridOption('x.b=p,q,r')]);
    expect(sets.map((s) => s.map(([k, v]) => `${k}=${v}`).join(' '))).toEqual(['x.a=1 x.b=p', 'x.a=1 x.b=q', 'x.a=1 x.b=r', 'x.a=2 x.b=p', 'x.a=2 x.b=q', 'x.a=2 x.b=r']);
  });

  it('bad grids name the key', () => {
    for (const [opt, msg] of [
      ['strategy.halfSpreadTicks=', /empty grid/],
      ['strategy.halfSpreadTicks=2..x:1', /bad range syntax/],
      ['strategy.halfSpreadTicks=2..10:0', /step must be a number > 0/],
      ['strategy.halfSpreadTicks=10..2:2', /must go up/],
      ['strategy.halfSpreadTicks=1,,2', /empty value/],
    ] as const) {
      const e = errorOf(() => parseGridOption(opt));
      expect(e.location.field).toBe('strategy.halfSpreadTicks');
      expect(e.message).toMatch(msg);
    }
    expect(errorOf(() => parseGridOption('novalues')).location.field).toBe('--grid');
    // The seed is --seeds' (swept as a parameter it was ignored, then the results table failed: exit 70).
    expect(errorOf(() => parseGridOption('seed=1,2')).message).toMatch(/the seed is not a parameter: .*--seeds/);
    const inSpace = errorOf(() => parseSpace('strategy.levels: [1, 2]\nseed: [1, 2]\n', 'space.yaml'));
    expect(inSpace.message).toMatch(/the seed is not a parameter/);
    expect(inSpace.location).toMatchObject({ file: 'space.yaml', line: 2, field: 'seed' });
    expect(errorOf(() => expandGrid([parseGridOption('a.b=1'), parseGridOption('a.b=2')])).message).toMatch(/swept twice/);
  });
});

describe('random space', () => {
  const SPACE = 'strategy.halfSpreadTicks: {min: 1, max: 20, integer: true}\nstrategy.skewTicksPerLot: [0, 0.25, 0.5]\nstrategy.gamma: {min: 0.001, max: 1, log: true}\n';

  it('samples deterministically by seed, in the file order, inside the bounds', () => {
    const dims = parseSpace(SPACE, 'space.yaml');
    const a = sampleSpace(dims, 50, 7);
    expect(sampleSpace(dims, 50, 7)).toEqual(a);
    expect(sampleSpace(dims, 50, 8)).not.toEqual(a);
    // The first draws do not depend on how many are drawn.
    expect(sampleSpace(dims, 10, 7)).toEqual(a.slice(0, 10));
    for (const s of a) {
      expect(s.map(([k]) => k)).toEqual(['strategy.halfSpreadTicks', 'strategy.skewTicksPerLot', 'strategy.gamma']);
      const h = Number(s[0][1]);
      expect(Number.isInteger(h) && h >= 1 && h <= 20).toBe(true);
      expect(['0', '0.25', '0.5']).toContain(s[1][1]);
      const g = Number(s[2][1]);
      expect(g >= 0.001 && g <= 1).toBe(true);
    }
    // Log sampling spreads over decades: some draws below 0.01, some above 0.1.
    const gs = a.map((s) => Number(s[2][1]));
    expect(gs.some((g) => g < 0.01) && gs.some((g) => g > 0.1)).toBe(true);
    // Pinned: the sampler is part of what makes a sweep reproducible.
    expect(a[0]).toMatchInlineSnapshot(`
      [
        [
          "strategy.halfSpreadTicks",
          "8",
        ],
        [
          "strategy.skewTicksPerLot",
          "0.5",
        ],
        [
          "strategy.gamma",
          "0.00240958",
        ],
      ]
    `);
  });

  it('bad space files name the file, line and key', () => {
    const e = errorOf(() => parseSpace('a.b: [1]\nstrategy.gamma: {min: 1}\n', 'sp.yaml'));
    expect(e.location).toMatchObject({ file: 'sp.yaml', line: 2, field: 'strategy.gamma' });
    expect(errorOf(() => parseSpace('x: {min: 0, max: 1, log: true}\n', 'sp.yaml')).message).toMatch(/min > 0/);
    expect(errorOf(() => parseSpace('x: []\n', 'sp.yaml')).message).toMatch(/empty list/);
    expect(errorOf(() => parseSpace('x: {min: 0, max: 1, step: 2}\n', 'sp.yaml')).message).toMatch(/unknown property "step"/);
    expect(errorOf(() => parseSpace('- 1\n', 'sp.yaml')).message).toMatch(/mapping/);
    // Found when sampling before, with neither the file nor the line.
    expect(errorOf(() => parseSpace('x: [1]\ny: {min: 0.2, max: 0.8, integer: true}\n', 'sp.yaml')).describe()).toBe('sp.yaml:2: field "y": no integer between 0.2 and 0.8');
    expect(errorOf(() => parseSpace('x: [1]\n---\ny: [2]\n', 'sp.yaml')).describe()).toBe('sp.yaml:2: one YAML document expected, but a second one starts on this line (---): keep one document in the file');
  });
});

describe('seeds', () => {
  it('a count runs the scenario seed and the ones after it; a list is taken as is', () => {
    expect(parseSeeds(undefined, 42)).toEqual([42]);
    expect(parseSeeds('3', 42)).toEqual([42, 43, 44]);
    expect(parseSeeds('1,5,9', 42)).toEqual([1, 5, 9]);
    for (const bad of ['0', '-1', 'x', '1,1', '1,,2']) expect(errorOf(() => parseSeeds(bad, 42)).location.field).toBe('--seeds');
  });
});
