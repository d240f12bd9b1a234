// The CLI's cached bundle (bin/bundle.js): built once, reused while every source it holds is
// unchanged, rebuilt when one changes; each source keeps its own import.meta.url; `maker` runs from
// it, and from the sources through tsx when it cannot be had or MAKER_BUNDLE=0.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedBundle } from '../../bin/bundle.js';
import { MAKER_BIN_SOURCE } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'maker-bundle-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const run = promisify(execFile);

describe('bin/bundle.js', () => {
  it('builds once, reuses while the sources are unchanged, rebuilds when one changes; import.meta.url is the source file', async () => {
    const root = join(tmp, 'project');
    mkdirSync(join(root, 'src'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
    writeFileSync(join(root, 'src', 'main.ts'), "import { v } from './b.ts';\nexport const main = (): number => v;\nexport const here: string = import.meta.url;\n");
    writeFileSync(join(root, 'src', 'b.ts'), 'export const v: number = 1;\n');
    const cacheDir = join(tmp, 'cache');
    const o = { root, entry: 'src/main.ts', name: 't', cacheDir };

    const first = await cachedBundle(o);
    expect(first.built).toBe(true);
    const m1 = (await import(pathToFileURL(first.path).href)) as { main: () => number; here: string };
    expect(m1.main()).toBe(1);
    expect(m1.here).toBe(pathToFileURL(join(root, 'src', 'main.ts')).href);

    const again = await cachedBundle(o);
    expect(again).toEqual({ path: first.path, built: false });

    // A source the bundle holds changes: a new bundle with the new code.
    writeFileSync(join(root, 'src', 'b.ts'), 'export const v: number = 2;\n');
    const second = await cachedBundle(o);
    expect(second.built).toBe(true);
    expect(second.path).not.toBe(first.path);
    expect(((await import(pathToFileURL(second.path).href)) as { main: () => number }).main()).toBe(2);

    // A damaged index is not trusted: rebuilt.
    writeFileSync(join(cacheDir, 't.json'), '{"format":');
    expect((await cachedBundle(o)).built).toBe(true);
    // The old bundle stays for processes that may still load it (pruned after an hour), no temporary file is left.
    expect(readdirSync(cacheDir).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});

describe('maker runs from the cached bundle', () => {
  it('builds it on the first run and reuses it; MAKER_BUNDLE=0 and an unusable cache directory run the sources through tsx', async () => {
    const cacheDir = join(tmp, 'cli-cache');
    const env = { ...process.env, MAKER_CACHE_DIR: cacheDir };
    const version = (await run(process.execPath, [MAKER_BIN_SOURCE, '--version'], { env, cwd: ROOT })).stdout;
    expect(version).toMatch(/^\d+\.\d+\.\d+\n$/);
    const bundles = readdirSync(cacheDir).filter((f) => /^cli-[0-9a-f]{16}\.mjs$/.test(f));
    expect(bundles).toHaveLength(1);
    const built = statSync(join(cacheDir, bundles[0])).mtimeMs;
    expect((await run(process.execPath, [MAKER_BIN_SOURCE, '--version'], { env, cwd: ROOT })).stdout).toBe(version);
    expect(readdirSync(cacheDir).filter((f) => /^cli-[0-9a-f]{16}\.mjs$/.test(f))).toEqual(bundles);
    expect(statSync(join(cacheDir, bundles[0])).mtimeMs).toBe(built);

    const off = join(tmp, 'off-cache');
    expect((await run(process.execPath, [MAKER_BIN_SOURCE, '--version'], { env: { ...env, MAKER_CACHE_DIR: off, MAKER_BUNDLE: '0' }, cwd: ROOT })).stdout).toBe(version);
    expect(() => statSync(off)).toThrow();

    // A regular file where the cache directory should be: no bundle, the same answer.
    const blocked = join(tmp, 'a-file');
    writeFileSync(blocked, '');
    expect((await run(process.execPath, [MAKER_BIN_SOURCE, '--version'], { env: { ...env, MAKER_CACHE_DIR: join(blocked, 'cache') }, cwd: ROOT })).stdout).toBe(version);
  }, 60_000);
});
