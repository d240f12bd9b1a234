/**
 * Strict parsers of CLI option values shared by the commands. A value a user can get wrong is an
 * error naming the option (E_CONFIG, exit 2), never silently a default: `Number("")` is 0, so
 * `--seed ""` must not become seed 0.
 */
import { ConfigError } from '../core/errors.ts';

/**
 * A seed option: a non-negative safe integer written as plain decimal digits (`42`, not `""`,
 * `-1`, `1.5`, `abc`, `0x10`, `1e3` or ` 7`). `undefined` (the option not given) stays undefined.
 */
export function parseSeedOption(value: string | undefined, option = '--seed'): number | undefined {
  if (value === undefined) return undefined;
  const n = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new ConfigError(`must be a non-negative integer written in digits, such as 42; got "${value}"`, { field: option });
  return n;
}
