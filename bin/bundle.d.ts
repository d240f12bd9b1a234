// Types of bin/bundle.js for the TypeScript that imports it (tests/support/cli-bundle.ts, bench/).
import type { BuildOptions, Plugin } from 'esbuild';

export declare const ROOT: string;
export declare function bundleOptions(root: string, entry: string, outfile: string, plugins?: Plugin[], metaRoot?: string): BuildOptions & { metafile: true; write: false };
export declare function cachedBundle(o: { root?: string; entry: string; name: string; cacheDir?: string; plugins?: Plugin[] }): Promise<{ path: string; built: boolean }>;
