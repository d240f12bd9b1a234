// Model-market scenarios (data.source: model): the shipped files load, unused sections are errors
// naming the key, the world's grid is checked, and γ in the papers' unit is settable with --set.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScenarioError, loadScenarioFile, parseScenario } from '../../src/scenario/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const MODEL = `name: m
data:
  source: model
  symbols: [as2008]
  model:
    paths: 10
strategy:
  kind: avellaneda-stoikov
  gamma: 0.1
  maxPositionLots: 1000
`;

function errorOf(text: string, opts = {}): ScenarioError {
  try {
    parseScenario(text, 'm.yaml', opts);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return e as ScenarioError;
  }
  throw new Error('expected a ScenarioError');
}

describe('model-market scenarios', () => {
  it('fills the AS 2008 defaults of data.model', () => {
    const s = parseScenario(MODEL, 'm.yaml');
    expect(s.data.source).toBe('model');
    expect(s.data.model).toEqual({ paths: 10, s0: 100, horizonS: 1, dtS: 0.005, sigma: 2, aPerS: 140, k: 1.5, q0: 0, tickSize: '0.000001', fillAfterMove: false });
    expect(s.trader.strategy).toMatchObject({ kind: 'avellaneda-stoikov', gamma: 0.1, gammaPerTick: null });
  });

  it('loads the shipped model scenarios, and --set strategy.gamma overrides γ', () => {
    for (const f of ['model-as2008.yaml', 'model-as2008-symmetric.yaml', 'model-glft.yaml']) {
      const s = loadScenarioFile(join(ROOT, 'scenarios', f));
      expect(s.data.source).toBe('model');
    }
    const s = loadScenarioFile(join(ROOT, 'scenarios', 'model-as2008.yaml'), { set: ['strategy.gamma=0.01', 'data.model.paths=200'] });
    expect(s.trader.strategy).toMatchObject({ gamma: 0.01, horizonMode: 'countdown', quoteThroughMid: true, symmetric: false });
    expect(s.data.model.paths).toBe(200);
    expect(loadScenarioFile(join(ROOT, 'scenarios', 'model-as2008-symmetric.yaml')).trader.strategy).toMatchObject({ symmetric: true });
  });

  it('rejects sections and data keys a model run does not use, naming them', () => {
    expect(errorOf(`${MODEL}execution:\n  partialFills: false\n`).describe()).toMatch(/m\.yaml:\d+: key "execution": is not used by a model market/);
    expect(errorOf(`${MODEL}risk:\n  maxPositionLots: 3\n`).location.field).toBe('risk');
    expect(errorOf(MODEL.replace('  symbols: [as2008]', '  symbols: [as2008]\n  range: 2024-01-01..2024-01-02')).location.field).toBe('data.range');
  });

  it('checks the grid: whole microseconds per step, whole steps per session, a positive tick', () => {
    expect(errorOf(MODEL, { set: ['data.model.dtS=0.0000005'] }).location.field).toBe('data.model.dtS');
    expect(errorOf(MODEL, { set: ['data.model.dtS=0.003'] }).location.field).toBe('data.model.horizonS');
    expect(errorOf(MODEL, { set: ['data.model.tickSize=0'] }).location.field).toBe('data.model.tickSize');
    expect(errorOf(MODEL, { set: ['data.model.paths=0'] }).location.field).toBe('data.model.paths');
    expect(errorOf(MODEL.replace('    paths: 10', '    paths: 10\n    drift: 1')).location.field).toBe('data.model.drift');
  });
});
