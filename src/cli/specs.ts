/** Instrument specs and import sessions as the CLI commands set them up. */
import { importSources } from '../importers/index.ts';
import type { FormatId, ImportSession, ImportWarning } from '../importers/index.ts';
import { loadExchangeInfoFile } from '../adapter/binance/index.ts';
import { Instrument, SpecRegistry } from '../model/instrument.ts';
import type { Progress } from './progress.ts';

export function registryFromFiles(files: readonly string[]): SpecRegistry {
  const reg = new SpecRegistry();
  for (const f of files) reg.addAll(loadExchangeInfoFile(f));
  return reg;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export interface SourceCliOptions {
  spec: string[];
  inferSpec: boolean;
  format?: FormatId;
  symbol?: string;
  /** Skip lines that do not parse (counted, reported with file:line) instead of failing. */
  skipBadLines?: boolean;
}

/**
 * Opens an import session over raw inputs with the CLI's spec options, progress and warnings, and a
 * resolver that gives each symbol's instrument: from `--spec`, else the spec inferred by the session
 * (with `--infer-spec`), else the registry's clear "no instrument spec" error.
 */
export function openSources(
  inputs: string[],
  opts: SourceCliOptions,
  progress: Progress,
  onWarning: (w: ImportWarning) => void,
): { session: ImportSession; instrumentOf: (symbol: string) => Instrument } {
  const specs = registryFromFiles(opts.spec);
  const session: ImportSession = importSources(inputs, {
    specs,
    inferSpecs: opts.inferSpec,
    format: opts.format,
    symbol: opts.symbol,
    skipBadLines: opts.skipBadLines,
    onProgress: (done, total) => progress.update(done, total, session.stats().events),
    onWarning,
  });
  const inferred = new Map<string, Instrument>();
  const instrumentOf = (symbol: string): Instrument => {
    if (specs.has(symbol)) return specs.get(symbol);
    let inst = inferred.get(symbol);
    if (!inst) {
      const spec = session.stats().inferredSpecs.find((s) => s.symbol === symbol);
      if (!spec) return specs.get(symbol); // throws MissingSpecError with the hint
      inst = new Instrument(spec);
      inferred.set(symbol, inst);
    }
    return inst;
  };
  return { session, instrumentOf };
}

export function formatWarning(w: ImportWarning): string {
  return `maker: warning: ${w.file ? `${w.file}: ` : ''}${w.message}\n`;
}
