/** Building the instrument-spec registry from `--spec` files (Binance exchangeInfo payloads). */
import { SpecRegistry, loadExchangeInfoFile } from '../model/instrument.ts';

export function registryFromFiles(files: readonly string[]): SpecRegistry {
  const reg = new SpecRegistry();
  for (const f of files) reg.addAll(loadExchangeInfoFile(f));
  return reg;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
