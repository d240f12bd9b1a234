// Vitest global setup: bundles the `maker` CLI (bin/maker.js and the sources it loads) into one
// JavaScript file, once per test run, so that the tests that spawn `maker` (a few hundred per
// run) do not each check or build the CLI's cached bundle (bin/bundle.js) or, without it, pay for
// tsx compiling and resolving ~250 TypeScript modules on start: measured, `maker --help` 1.5 s of
// CPU through tsx, 0.5 s through the bundle; a 30 s quickstart backtest 2.0 s and 1.2 s. The bundle
// is the same code, with the options of bin/bundle.js:
// - bin/maker.js is the entry (its EPIPE handling included); its loader (bin/load-main.js) becomes a
//   static import of src/cli/main.ts, as nothing is left to load at run time;
// - npm packages stay external (resolved from the repository's node_modules, as in production);
// - every `import.meta.url` / `import.meta.dirname` in src/ is the source file's own (not in the
//   entries: crash-child.ts checks that it is the file node runs), so
//   files found next to a module (package.json, the dashboard page, the worker-thread entries that
//   boot tsx themselves) are the same files as when running from source.
// tests/store/crash-child.ts (spawned ~30 times by tests/store/atomicity.test.ts) is bundled the
// same way. Tests get the paths from tests/support/maker-bin.ts (`makerBin()`, `crashChildArgs()`).
// A few tests keep spawning bin/maker.js itself (`MAKER_BIN_SOURCE`: at least one per command), so
// the installed entry point stays tested. MAKER_TEST_BUNDLE=0 turns the bundles off (every spawn
// goes through tsx); so does watch mode, where sources change under a long-lived bundle.
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleOptions } from '../../bin/bundle.js';

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
  let esbuild: typeof import('esbuild') | undefined;
  // The options `maker` bundles itself with (bin/bundle.js), written to disk without a map; the
  // entry is bin/maker.js, whose loader becomes a static import of the CLI's main (no cache, no tsx).
  const build = (entry: string, outfile: string) =>
    esbuild!.build({
      ...bundleOptions(ROOT, entry, outfile, [
        {
          name: 'maker-test-bundle',
          setup(b) {
            b.onResolve({ filter: /^\.\/load-main\.js$/ }, (a) => (a.importer === join(ROOT, 'bin', 'maker.js') ? { path: 'load-main', namespace: 'maker-test-bundle' } : undefined));
            b.onLoad({ filter: /.*/, namespace: 'maker-test-bundle' }, () => ({
              contents: `import { main } from ${JSON.stringify(join(ROOT, 'src', 'cli', 'main.ts'))};\nexport async function loadMain() { return main; }\n`,
              loader: 'js',
              resolveDir: ROOT,
            }));
          },
        },
      ], join(ROOT, 'src')),
      write: true,
      sourcemap: false,
      metafile: false,
      logLevel: 'warning',
    });
  const outfile = join(dir, 'maker.mjs');
  const crashChild = join(dir, 'crash-child.mjs');
  try {
    esbuild = await import('esbuild');
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
