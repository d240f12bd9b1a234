// Vitest global setup: bundles the `maker` CLI (bin/maker.js and the sources it loads) into one
// JavaScript file, once per test run, so that the tests that spawn `maker` (a few hundred per
// run) do not each pay for tsx compiling and resolving ~250 TypeScript modules on start: measured,
// `maker --help` 1.5 s of CPU through tsx, 0.5 s through the bundle; a 30 s quickstart backtest 2.0 s
// and 1.2 s. The bundle is the same code:
// - bin/maker.js is the entry (its EPIPE handling included); its `register()` of tsx becomes a
//   no-op, as nothing TypeScript is left to load in the main thread;
// - npm packages stay external (resolved from the repository's node_modules, as in production);
// - every `import.meta.url` / `import.meta.dirname` in src/ is replaced by the source file's own, so
//   files found next to a module (package.json, the dashboard page, the worker-thread entries that
//   boot tsx themselves) are the same files as when running from source.
// tests/store/crash-child.ts (spawned ~30 times by tests/store/atomicity.test.ts) is bundled the
// same way. Tests get the paths from tests/support/maker-bin.ts (`makerBin()`, `crashChildArgs()`).
// A few tests keep spawning bin/maker.js itself (`MAKER_BIN_SOURCE`: at least one per command), so
// the installed entry point stays tested. MAKER_TEST_BUNDLE=0 turns the bundles off (every spawn
// goes through tsx); so does watch mode, where sources change under a long-lived bundle.
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The bundled CLI to spawn with `node`, or '' to spawn bin/maker.js. */
    makerBundle: string;
    /** tests/store/crash-child.ts bundled the same way, or '' to run it through tsx. */
    crashChildBundle: string;
  }
}

const ROOT = join(import.meta.dirname, '..', '..');

/** What this setup uses of vitest's TestProject (typed here: vitest/node is a private path of vitest). */
interface Project {
  provide(key: 'makerBundle' | 'crashChildBundle', value: string): void;
  readonly vitest: { readonly config: { readonly watch: boolean } };
}

export default async function setup(project: Project): Promise<(() => void) | undefined> {
  const off = process.env.MAKER_TEST_BUNDLE === '0' || project.vitest.config.watch;
  if (off) {
    project.provide('makerBundle', '');
    project.provide('crashChildBundle', '');
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'maker-cli-bundle-'));
  // Bare imports in the bundle resolve from its directory upwards: point them at the repository's.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const src = join(ROOT, 'src');
  let esbuild: typeof import('esbuild') | undefined;
  const build = (entry: string, outfile: string) =>
    esbuild!.build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
      plugins: [
        {
          name: 'maker-test-bundle',
          setup(b) {
            b.onResolve({ filter: /^tsx\/esm\/api$/ }, (a) => (a.importer === join(ROOT, 'bin', 'maker.js') ? { path: 'tsx-noop', namespace: 'maker-test-bundle' } : undefined));
            b.onLoad({ filter: /.*/, namespace: 'maker-test-bundle' }, () => ({ contents: 'export function register() {}', loader: 'js' }));
            b.onLoad({ filter: /\.ts$/ }, (a) => {
              if (!a.path.startsWith(src)) return undefined;
              const text = readFileSync(a.path, 'utf8')
                .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(a.path).href))
                .replaceAll('import.meta.dirname', JSON.stringify(dirname(a.path)))
                .replaceAll('import.meta.filename', JSON.stringify(a.path));
              return { contents: text, loader: 'ts' };
            });
          },
        },
      ],
    });
  const outfile = join(dir, 'maker.mjs');
  const crashChild = join(dir, 'crash-child.mjs');
  try {
    // esbuild is tsx's own dependency (tsx is a dependency of maker): resolve it through tsx.
    const req = createRequire(createRequire(join(ROOT, 'package.json')).resolve('tsx/package.json'));
    esbuild = (await import(pathToFileURL(req.resolve('esbuild')).href)) as typeof import('esbuild');
    await Promise.all([build(join(ROOT, 'bin', 'maker.js'), outfile), build(join(ROOT, 'tests', 'store', 'crash-child.ts'), crashChild)]);
  } catch (e) {
    // A bundle is a speed-up only: without one, the tests spawn the sources through tsx (slower, same checks).
    process.stderr.write(`tests/support/cli-bundle.ts: no CLI bundle (${(e as Error).message.split('\n')[0]}); spawning bin/maker.js through tsx\n`);
    rmSync(dir, { recursive: true, force: true });
    project.provide('makerBundle', '');
    project.provide('crashChildBundle', '');
    return undefined;
  }
  project.provide('makerBundle', outfile);
  project.provide('crashChildBundle', crashChild);
  return () => rmSync(dir, { recursive: true, force: true });
}
