// The CLI's cached bundle. `maker` runs the TypeScript sources as one esbuild bundle kept in
// node_modules/.cache/maker/, built on the first run and rebuilt when a source it holds changes.
// Measured against loading the same sources module by module through tsx: a command starts ~1 s
// of CPU sooner, peak RSS is ~35 MB lower, and the 24 h backtest's run thread needed ~4 % less CPU
// in seven of eight alternating pairs (docs/decisions/0015-cli-bundle.md).
//
// Freshness: next to each bundle, an index (`<name>.json`) lists every file esbuild read for it
// with the file's SHA-256; the bundle is used only when every listed file still has that hash (a
// changed file, and so any import it adds, triggers a rebuild). Bundles are named by their own hash
// and written to a temporary name, then renamed, index last: two `maker` processes building at once
// each end with a whole bundle, and a reader never sees half of one.
//
// Everything here is a speed-up only. When the bundle cannot be had (esbuild missing, the cache
// directory not writable, a build error) the caller runs the sources through tsx, exactly as
// before; MAKER_BUNDLE=0 asks for that. The sweep's pool runs a bundle of its worker module the
// same way (src/sweep/pool.ts `PiscinaPool.open`); other worker threads (the store's decode thread,
// the recorder's compaction) load their entry modules through tsx: each source's `import.meta.url`
// in a bundle is the source file's own, so files found next to a module are the same files.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The repository (or installed package) root: the directory above bin/. */
export const ROOT = resolve(import.meta.dirname, '..');

/** Bumped when the bundle's build options change, so older bundles are not reused. */
const FORMAT = 1;

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** esbuild (a dependency of maker, and tsx's own compiler), resolved from `root`. */
async function loadEsbuild(root) {
  return import(pathToFileURL(createRequire(join(root, 'package.json')).resolve('esbuild')).href);
}

/**
 * esbuild options for a bundle of `entry` (a file under `root`): npm packages stay external,
 * each TypeScript file under `metaRoot` (default `root`) sees its own `import.meta.url` / `dirname`
 * / `filename`. `plugins` come first (tests/support/cli-bundle.ts replaces modules with them).
 */
export function bundleOptions(root, entry, outfile, plugins = [], metaRoot = root) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    metafile: true,
    absWorkingDir: root,
    write: false,
    logLevel: 'silent',
    plugins: [
      ...plugins,
      {
        name: 'maker-import-meta',
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, (a) => {
            if (relative(metaRoot, a.path).startsWith('..')) return undefined;
            const text = readFileSync(a.path, 'utf8')
              .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(a.path).href))
              .replaceAll('import.meta.dirname', JSON.stringify(dirname(a.path)))
              .replaceAll('import.meta.filename', JSON.stringify(a.path));
            return { contents: text, loader: 'ts' };
          });
        },
      },
    ],
  };
}

/** The index of a fresh bundle of `name` in `cacheDir`, or null (missing, another format, a source changed). */
function freshIndex(cacheDir, name, esbuildVersion) {
  let index;
  try {
    index = JSON.parse(readFileSync(join(cacheDir, `${name}.json`), 'utf8'));
  } catch {
    return null;
  }
  if (index === null || typeof index !== 'object' || index.format !== FORMAT || index.esbuild !== esbuildVersion || typeof index.bundle !== 'string') return null;
  if (index.node !== process.versions.node.split('.')[0]) return null;
  for (const [path, hash] of Object.entries(index.inputs ?? {})) {
    try {
      if (sha256(readFileSync(path)) !== hash) return null;
    } catch {
      return null;
    }
  }
  try {
    statSync(join(cacheDir, index.bundle));
  } catch {
    return null;
  }
  return index;
}

/**
 * The path of an up-to-date bundle of `entry` (relative to `root`), building it when needed.
 * Returns `{ path, built }`; throws on any failure (the caller falls back to tsx).
 */
export async function cachedBundle({ root = ROOT, entry, name, cacheDir = process.env.MAKER_CACHE_DIR || join(root, 'node_modules', '.cache', 'maker'), plugins = [] }) {
  const esbuild = await loadEsbuild(root);
  const fresh = freshIndex(cacheDir, name, esbuild.version);
  if (fresh !== null) return { path: join(cacheDir, fresh.bundle), built: false };
  mkdirSync(cacheDir, { recursive: true });
  linkPackages(root, cacheDir);
  const tmp = join(cacheDir, `.${name}-${process.pid}-${Date.now()}`);
  try {
    const result = await esbuild.build(bundleOptions(root, join(root, entry), join(cacheDir, `${name}.mjs`), plugins));
    const inputs = {};
    for (const input of Object.keys(result.metafile.inputs).sort()) {
      const path = isAbsolute(input) ? input : resolve(root, input);
      // Inputs outside the tree (virtual modules of plugins) have nothing to hash.
      try {
        inputs[path] = sha256(readFileSync(path));
      } catch {
        // not a file
      }
    }
    const out = (ext) => result.outputFiles.find((f) => f.path.endsWith(ext)).text;
    let code = out('.mjs');
    const bundle = `${name}-${sha256(code).slice(0, 16)}.mjs`;
    // The last line names the map by the output name given to esbuild: name the final one.
    code = code.replace(new RegExp(`//# sourceMappingURL=${name}\\.mjs\\.map\\s*$`), `//# sourceMappingURL=${bundle}.map\n`);
    writeFileSync(`${tmp}.map`, out('.mjs.map'));
    renameSync(`${tmp}.map`, join(cacheDir, `${bundle}.map`));
    writeFileSync(`${tmp}.mjs`, code);
    renameSync(`${tmp}.mjs`, join(cacheDir, bundle));
    const index = { format: FORMAT, esbuild: esbuild.version, node: process.versions.node.split('.')[0], bundle, inputs };
    writeFileSync(`${tmp}.json`, `${JSON.stringify(index, null, 1)}\n`);
    renameSync(`${tmp}.json`, join(cacheDir, `${name}.json`));
    prune(cacheDir, name, bundle);
    return { path: join(cacheDir, bundle), built: true };
  } finally {
    for (const ext of ['.mjs', '.map', '.json']) rmSync(`${tmp}${ext}`, { force: true });
  }
}

/**
 * The bundle's bare imports (npm packages, external) resolve from its directory upwards: outside
 * the package's own node_modules (MAKER_CACHE_DIR elsewhere), a link to it makes them resolve.
 */
function linkPackages(root, cacheDir) {
  const modules = join(root, 'node_modules');
  if (!relative(modules, cacheDir).startsWith('..')) return;
  try {
    symlinkSync(modules, join(cacheDir, 'node_modules'), 'dir');
  } catch (e) {
    if (e.code !== 'EEXIST') throw e;
  }
}

/** Removes older bundles of `name` (an hour old at least: a process started before may still load one). */
function prune(cacheDir, name, keep) {
  const hourAgo = Date.now() - 3_600_000;
  for (const f of readdirSync(cacheDir)) {
    if (!f.startsWith(`${name}-`) || f === keep || f === `${keep}.map`) continue;
    try {
      if (statSync(join(cacheDir, f)).mtimeMs < hourAgo) rmSync(join(cacheDir, f), { force: true });
    } catch {
      // gone already
    }
  }
}
