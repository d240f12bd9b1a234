// Loads the CLI's `main`: from the cached bundle (bin/bundle.js) unless MAKER_BUNDLE=0 or it
// cannot be had, else from the TypeScript sources through tsx (compiled on load, no build step).
// Either way the same sources run; the bundle only starts and runs faster.
import { pathToFileURL } from 'node:url';

export async function loadMain() {
  if (process.env.MAKER_BUNDLE !== '0') {
    let bundle = null;
    try {
      const { cachedBundle } = await import('./bundle.js');
      bundle = (await cachedBundle({ entry: 'src/cli/main.ts', name: 'cli' })).path;
    } catch {
      // a speed-up only: run the sources through tsx
    }
    if (bundle !== null) {
      // Stack traces name the TypeScript sources, as under tsx.
      process.setSourceMapsEnabled(true);
      return (await import(pathToFileURL(bundle).href)).main;
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return (await import('../src/cli/main.ts')).main;
}
