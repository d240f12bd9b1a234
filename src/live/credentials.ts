/**
 * The API key and secret of a live session (session.ts, step 1): the key from the variable
 * `live.apiKeyEnv`, the secret from a 0600 file (`live.secretFile`) or the variable
 * `live.secretEnv`, checked by building a signer before anything is sent. A value is never logged
 * nor put in an error: errors name the variable or file, and the setting to fix.
 */
import { statSync, readFileSync } from 'node:fs';
import { Signer, type Credentials } from '../adapter/binance/index.ts';
import { ConfigError } from '../core/errors.ts';
import type { Scenario } from '../scenario/index.ts';

/** Reads the API key and secret the scenario names; never puts a value in an error. */
export function credentialsFrom(live: Scenario['live'], env: NodeJS.ProcessEnv): Credentials {
  const apiKey = env[live.apiKeyEnv];
  if (apiKey === undefined || apiKey === '') throw new ConfigError(`the API key variable ${live.apiKeyEnv} is not set (live.apiKeyEnv); use --paper to trade without keys`, { field: 'live.apiKeyEnv' });
  let secret: string | undefined;
  if (live.secretFile !== null) {
    let st;
    try {
      st = statSync(live.secretFile);
    } catch {
      throw new ConfigError(`the secret file ${live.secretFile} cannot be read (live.secretFile)`, { field: 'live.secretFile' });
    }
    if ((st.mode & 0o077) !== 0) throw new ConfigError(`the secret file ${live.secretFile} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it`, { field: 'live.secretFile' });
    secret = readFileSync(live.secretFile, 'utf8').trim();
  } else secret = env[live.secretEnv];
  if (secret === undefined || secret === '') throw new ConfigError(`the secret variable ${live.secretEnv} is not set (live.secretEnv), and no live.secretFile`, { field: 'live.secretEnv' });
  const credentials: Credentials = { apiKey, secret: live.keyType === 'Ed25519' ? secret.replace(/\\n/g, '\n') : secret, keyType: live.keyType };
  try {
    new Signer(credentials);
  } catch (e) {
    // The signer's message says what is wrong without quoting the key.
    const field = live.secretFile !== null ? 'live.secretFile' : 'live.secretEnv';
    throw new ConfigError(`the secret ${live.secretFile !== null ? `file ${live.secretFile}` : `variable ${live.secretEnv}`} does not hold a usable ${live.keyType} key (live.keyType): ${(e as Error).message}`, { field });
  }
  return credentials;
}
