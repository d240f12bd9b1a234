// The architecture rules of docs/ARCHITECTURE.md, checked on every import in src/:
//  1. modules are layered: an import goes to a module of a strictly lower layer (or stays inside
//     its own module), so there are no cycles and peers (backtest/ and live/) never meet;
//  2. a module is entered through its index.ts; only core/ and model/ (the vocabulary everyone
//     shares, no state, no I/O) may be imported file by file;
//  3. a dependency whose private paths we import is pinned to an exact version.
// The imports are read with the TypeScript compiler's own pre-processor (comments and strings are
// not mistaken for imports).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

/**
 * Layers, lowest first. A module may import modules of lower layers only. Modules not created yet
 * have their place already (live/, exchange-fake/, sweep/), so that the rule holds from their
 * first line.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['core'],
  ['model', 'wire'],
  ['book', 'adapter/binance', 'oms', 'risk', 'portfolio', 'store'],
  ['marketdata', 'signal', 'strategy', 'importers', 'synthetic'],
  ['trader', 'sim-exchange', 'model-market'],
  ['scenario', 'exchange-fake', 'record'],
  ['backtest', 'live'],
  ['sweep', 'live-report', 'ui'],
  ['sweep-queue'],
  ['cli'],
];

/** Modules whose files anyone may import directly (shared vocabulary: types, pure functions). */
const OPEN_MODULES = new Set(['core', 'model']);

const layerOf = new Map<string, number>();
LAYERS.forEach((mods, i) => mods.forEach((m) => layerOf.set(m, i)));

/** The module a path under src/ belongs to: its first folder, or adapter/<venue>. */
function moduleOf(relPath: string): string {
  const parts = relPath.split(sep).join('/').split('/');
  return parts[0] === 'adapter' ? `adapter/${parts[1]}` : parts[0];
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

interface Edge {
  from: string;
  to: string;
  fromModule: string;
  toModule: string;
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), ref.fileName);
      const rel = relative(SRC, target);
      if (rel.startsWith('..')) continue;
      out.push({ from: relative(SRC, file), to: rel, fromModule: moduleOf(relative(SRC, file)), toModule: moduleOf(rel) });
    }
  }
  return out;
}

const ALL = edges();
const CROSS = ALL.filter((e) => e.fromModule !== e.toModule);

describe('architecture', () => {
  it('every folder of src/ is a module with a layer', () => {
    const modules = new Set(sourceFiles(SRC).map((f) => moduleOf(relative(SRC, f))));
    expect([...modules].filter((m) => !layerOf.has(m))).toEqual([]);
  });

  it('imports go down the layers only (no cycles; backtest/ and live/ never import each other)', () => {
    const bad = CROSS.filter((e) => !(layerOf.get(e.toModule)! < layerOf.get(e.fromModule)!)).map((e) => `${e.from} -> ${e.to} (${e.fromModule} is layer ${layerOf.get(e.fromModule)}, ${e.toModule} is layer ${layerOf.get(e.toModule)})`);
    expect(bad).toEqual([]);
  });

  it('modules are entered through their index.ts (core/ and model/ excepted)', () => {
    const bad = CROSS.filter((e) => !OPEN_MODULES.has(e.toModule)).filter((e) => e.to.split(sep).join('/') !== `${e.toModule}/index.ts`).map((e) => `${e.from} -> ${e.to}`);
    expect(bad).toEqual([]);
  });

  it('core/ and model/ do no I/O (no node: imports, no file system, no network)', () => {
    const bad: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const mod = moduleOf(relative(SRC, file));
      if (mod !== 'core' && mod !== 'model') continue;
      for (const ref of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
        if (/^node:(fs|net|http|https|dgram|child_process|worker_threads)/.test(ref.fileName) || /^(ws|undici)$/.test(ref.fileName)) bad.push(`${relative(SRC, file)} imports ${ref.fileName}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the rule can fail: a backtest -> live edge, an upward edge and an internal import are caught', () => {
    const check = (e: Edge) => layerOf.get(e.toModule)! < layerOf.get(e.fromModule)! && (OPEN_MODULES.has(e.toModule) || e.to === `${e.toModule}/index.ts`);
    expect(check({ from: 'backtest/x.ts', to: 'live/index.ts', fromModule: 'backtest', toModule: 'live' })).toBe(false);
    expect(check({ from: 'oms/x.ts', to: 'trader/index.ts', fromModule: 'oms', toModule: 'trader' })).toBe(false);
    expect(check({ from: 'trader/x.ts', to: 'oms/manager.ts', fromModule: 'trader', toModule: 'oms' })).toBe(false);
    expect(check({ from: 'trader/x.ts', to: 'oms/index.ts', fromModule: 'trader', toModule: 'oms' })).toBe(true);
    expect(check({ from: 'trader/x.ts', to: 'model/venue.ts', fromModule: 'trader', toModule: 'model' })).toBe(true);
  });

  it('dependencies whose private paths src/ or tests/ import are pinned to an exact version', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const versions = { ...pkg.dependencies, ...pkg.devDependencies };
    const privateUsers = new Set<string>();
    for (const dir of ['src', 'tests', 'bench', 'scripts']) {
      for (const file of sourceFiles(join(ROOT, dir))) {
        for (const ref of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
          const m = /^(@[^/]+\/[^/]+|[^./@][^/]*)\/(.+)$/.exec(ref.fileName);
          if (m && !ref.fileName.startsWith('node:')) privateUsers.add(m[1]);
        }
      }
    }
    expect([...privateUsers].sort()).toContain('hyparquet');
    const loose = [...privateUsers].filter((name) => !/^\d+\.\d+\.\d+$/.test(versions[name] ?? '')).map((name) => `${name}@${versions[name]}`);
    expect(loose).toEqual([]);
  });
});
