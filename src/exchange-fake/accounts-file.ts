/**
 * The accounts file of `maker exchange --accounts <file>`: a YAML list of accounts, each with its
 * API key (an HMAC `secret`, an Ed25519 `publicKey` or an RSA `rsaPublicKey`: a PEM block or the
 * path of a .pem file, relative to the accounts file), its wallet per margin asset, its leverage
 * (every symbol, and per symbol), margin type (every symbol, and per symbol) and position mode
 * (`dualSidePosition`, or its older spelling `positionMode: one-way | hedge`).
 * docs/EXCHANGE_ADAPTER_SPEC.md "Accounts file" documents it; scenarios/exchange-accounts.yaml is an example.
 *
 * Every error names the file, the line and the key path (`accounts.yaml:7: key "[1].publicKey": …`),
 * as scenario errors do. Leverage and per-symbol keys are checked against the served symbols once
 * the instruments are known (`checkAgainst`).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError } from '../core/errors.ts';
import { unresolvedAlias, yamlErrorMessage, yamlKeyLine } from '../core/yaml-keys.ts';
import type { Instrument } from '../model/instrument.ts';
import { formatScaled, parseDecimal } from '../model/money.ts';
import { ed25519PublicKey, rsaPublicKey } from './auth.ts';
import { bracketsOf, type ExchangeAccount, type MarginType } from './local-exchange.ts';

/** An accounts-file error: `file:line: key "[1].apiKey": message`. */
export class AccountsFileError extends ConfigError {
  override describe(): string {
    const { file, line, field } = this.location;
    const where = file ? `${file}${line !== undefined ? `:${line}` : ''}` : line !== undefined ? `line ${line}` : '';
    return [where, field ? `key "${field}"` : '', this.message].filter((p) => p.length > 0).join(': ');
  }
}

type Path = readonly (string | number)[];

const ACCOUNT_KEYS = ['name', 'apiKey', 'secret', 'publicKey', 'rsaPublicKey', 'balances', 'leverage', 'symbols', 'marginType', 'dualSidePosition', 'positionMode'] as const;
const SYMBOL_KEYS = ['leverage', 'marginType'] as const;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const API_KEY = /^[A-Za-z0-9]{1,128}$/;
const ASSET = /^[A-Z0-9]{2,12}$/;
const SYMBOL = /^[A-Z0-9]{2,20}$/;

export interface AccountsFile {
  readonly file: string;
  readonly accounts: ExchangeAccount[];
  /** Checks the accounts against the served instruments: per-symbol keys name served symbols, leverage within each symbol's brackets, a wallet for every served margin asset. */
  checkAgainst(instruments: readonly Instrument[]): void;
}

/** Reads and checks an accounts file. */
export function loadAccountsFile(file: string): AccountsFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AccountsFileError(`cannot read the accounts file: ${(e as Error).message}`, { file });
  }
  return parseAccountsFile(text, file, (p) => readFileSync(resolve(dirname(file), p), 'utf8'));
}

/** Parses accounts-file text; `readPem` reads a `publicKey` path (relative to the file). */
export function parseAccountsFile(text: string, file: string, readPem: (path: string) => string): AccountsFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const where = (path: Path) => ({ file, line: yamlKeyLine(doc, lines, path), field: renderPath(path) });
  const fail = (path: Path, message: string): never => {
    throw new AccountsFileError(message, where(path));
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new AccountsFileError(yamlErrorMessage(e), { file, line: lines.linePos(e.pos[0]).line });
  }
  if (!isSeq(doc.contents)) fail([], 'an accounts file is a YAML list of accounts (- name: …, apiKey: …, secret: … or publicKey: …)');
  const alias = unresolvedAlias(doc, lines);
  if (alias !== undefined) throw new AccountsFileError(alias.message, { file, line: alias.line });
  const raw = doc.toJS() as unknown[];
  if (raw.length === 0) fail([], 'lists no account');
  const accounts: ExchangeAccount[] = [];
  const names = new Map<string, number>();
  const keys = new Map<string, number>();
  for (const [i, item] of raw.entries()) {
    const at = (...rest: (string | number)[]): Path => [i, ...rest];
    if (!isMap(doc.getIn([i], true))) fail(at(), 'expected an account (a mapping with name, apiKey, secret or publicKey, balances, …)');
    const a = item as Record<string, unknown>;
    for (const k of Object.keys(a)) if (!(ACCOUNT_KEYS as readonly string[]).includes(k)) fail(at(k), `unknown key (expected one of ${ACCOUNT_KEYS.join(', ')})`);
    const text = (key: string): unknown => sourceText(doc, at(key)) ?? a[key];
    const name = str(text('name'), at('name'), fail, true)!;
    if (!NAME.test(name)) fail(at('name'), `must be 1 to 64 letters, digits, "_", "." or "-", got ${JSON.stringify(name)}`);
    if (names.has(name)) fail(at('name'), `account ${JSON.stringify(name)} is listed twice (also [${names.get(name)}])`);
    names.set(name, i);
    const apiKey = str(text('apiKey'), at('apiKey'), fail, true)!;
    if (!API_KEY.test(apiKey)) fail(at('apiKey'), 'must be 1 to 128 letters and digits (Binance keys are 64)');
    if (keys.has(apiKey)) fail(at('apiKey'), `the same API key as account [${keys.get(apiKey)}]`);
    keys.set(apiKey, i);
    const secret = str(text('secret'), at('secret'), fail, false);
    const publicKeyText = str(text('publicKey'), at('publicKey'), fail, false);
    const rsaText = str(text('rsaPublicKey'), at('rsaPublicKey'), fail, false);
    if ([secret, publicKeyText, rsaText].filter((k) => k !== undefined).length !== 1) {
      fail(at(), 'needs exactly one of secret (an HMAC-SHA256 key), publicKey (an Ed25519 key) and rsaPublicKey (an RSA key)');
    }
    const account: { -readonly [K in keyof ExchangeAccount]: ExchangeAccount[K] } =
      secret !== undefined
        ? { name, apiKey, secret }
        : publicKeyText !== undefined
          ? { name, apiKey, publicKey: readPublicKey(publicKeyText, at('publicKey'), fail, readPem, 'Ed25519') }
          : { name, apiKey, rsaPublicKey: readPublicKey(rsaText!, at('rsaPublicKey'), fail, readPem, 'RSA') };
    if (a.balances !== undefined) account.balances = balances(a.balances, at('balances'), fail, doc);
    if (a.leverage !== undefined) account.leverage = leverage(a.leverage, at('leverage'), fail);
    if (a.symbols !== undefined) {
      if (!isMap(doc.getIn(at('symbols'), true))) fail(at('symbols'), 'expected a mapping of symbols, e.g. { BTCUSDT: { leverage: 50, marginType: ISOLATED } }');
      const symbolLeverage: Record<string, number> = {};
      const symbolMarginType: Record<string, MarginType> = {};
      for (const [sym, cfg] of Object.entries(a.symbols as Record<string, unknown>)) {
        if (!SYMBOL.test(sym)) fail(at('symbols', sym), 'expected an upper-case symbol such as BTCUSDT');
        if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) fail(at('symbols', sym), 'expected a mapping, e.g. { leverage: 50 }');
        for (const k of Object.keys(cfg as object)) if (!(SYMBOL_KEYS as readonly string[]).includes(k)) fail(at('symbols', sym, k), `unknown key (expected one of ${SYMBOL_KEYS.join(', ')})`);
        const lev = (cfg as { leverage?: unknown }).leverage;
        if (lev !== undefined) symbolLeverage[sym] = leverage(lev, at('symbols', sym, 'leverage'), fail);
        const mt = (cfg as { marginType?: unknown }).marginType;
        if (mt !== undefined) symbolMarginType[sym] = marginType(mt, at('symbols', sym, 'marginType'), fail);
      }
      account.symbolLeverage = symbolLeverage;
      account.symbolMarginType = symbolMarginType;
    }
    if (a.marginType !== undefined) account.marginType = marginType(a.marginType, at('marginType'), fail);
    if (a.dualSidePosition !== undefined && a.positionMode !== undefined) fail(at('positionMode'), 'give the position mode once: dualSidePosition (true = hedge mode) or positionMode (one-way | hedge), not both');
    if (a.dualSidePosition !== undefined) {
      if (typeof a.dualSidePosition !== 'boolean') fail(at('dualSidePosition'), `expected true (hedge mode) or false (one-way mode), got ${JSON.stringify(a.dualSidePosition)}`);
      account.dualSidePosition = a.dualSidePosition as boolean;
    }
    if (a.positionMode !== undefined) {
      const v = str(text('positionMode'), at('positionMode'), fail, true)!.toLowerCase();
      if (v !== 'one-way' && v !== 'hedge') fail(at('positionMode'), `expected one-way or hedge, got ${JSON.stringify(a.positionMode)}`);
      account.dualSidePosition = v === 'hedge';
    }
    accounts.push(account);
  }
  return {
    file,
    accounts,
    checkAgainst(instruments) {
      const served = new Map(instruments.map((inst) => [inst.symbol, inst]));
      const assets = [...new Set(instruments.map((inst) => inst.spec.marginAsset))].sort();
      for (const [i, acc] of accounts.entries()) {
        for (const sym of new Set([...Object.keys(acc.symbolLeverage ?? {}), ...Object.keys(acc.symbolMarginType ?? {})])) {
          if (!served.has(sym)) fail([i, 'symbols', sym], `${sym} is not served (served: ${[...served.keys()].join(', ')}; see --symbols)`);
        }
        for (const inst of instruments) {
          const own = acc.symbolLeverage?.[inst.symbol];
          const lev = own ?? acc.leverage;
          const highest = bracketsOf(inst.symbol)[0].initialLeverage;
          if (lev !== undefined && lev > highest) fail(own !== undefined ? [i, 'symbols', inst.symbol, 'leverage'] : [i, 'leverage'], `${lev} is above ${inst.symbol}'s highest leverage ${highest} (its first leverage bracket)`);
        }
        if (acc.balances !== undefined) {
          for (const asset of assets) {
            if (acc.balances[asset] === undefined) fail([i, 'balances'], `has no ${asset}, the margin asset of ${instruments.filter((x) => x.spec.marginAsset === asset).map((x) => x.symbol).join(', ')}: add ${asset}: "0" if the account has none`);
          }
        }
      }
    },
  };
}

/** `[1].symbols.BTCUSDT.leverage` */
function renderPath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

type Fail = (path: Path, message: string) => never;

/**
 * A key or secret as written: YAML reads a plain `0x1F`, `1e5`, `012` or a 64-digit key as a number
 * (31, 100000, 12, a rounded float), never what the user meant. A plain scalar that YAML did not read
 * as a string is taken by its source text; undefined for anything else (strings, null, tagged
 * values, aliases, collections), which the caller reads from the converted value.
 */
function sourceText(doc: Document, path: Path): string | undefined {
  const node = doc.getIn(path, true);
  if (!isScalar(node) || node.type !== 'PLAIN' || node.tag !== undefined) return undefined;
  if (typeof node.value === 'string' || node.value === null || typeof node.source !== 'string') return undefined;
  return node.source;
}

function str(v: unknown, path: Path, fail: Fail, required: boolean): string | undefined {
  if (v === undefined || v === null) {
    if (required) fail(path, 'is required');
    return undefined;
  }
  // A secret is never echoed, even a malformed one. A number here came through a tag or an alias:
  // its text is gone (0x1F is 31 by then), so it is refused rather than guessed.
  if (typeof v !== 'string') {
    const hint = typeof v === 'number' || typeof v === 'boolean' ? ': put it in quotes, so that YAML keeps it as written' : '';
    fail(path, path.at(-1) === 'secret' ? `expected a string${hint}` : `expected a string, got ${JSON.stringify(v)}${hint}`);
  }
  const s = (v as string).trim();
  if (s === '') fail(path, 'must not be empty');
  return s;
}

function marginType(v: unknown, path: Path, fail: Fail): MarginType {
  const t = typeof v === 'string' ? v.trim().toUpperCase() : '';
  if (t !== 'CROSSED' && t !== 'ISOLATED') fail(path, `expected CROSSED or ISOLATED, got ${JSON.stringify(v)}`);
  return t as MarginType;
}

function leverage(v: unknown, path: Path, fail: Fail): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 125) fail(path, `expected an integer leverage in 1..125, got ${JSON.stringify(v)}`);
  return v as number;
}

function balances(v: unknown, path: Path, fail: Fail, doc: Document): Record<string, string> {
  if (!isMap(doc.getIn(path, true))) fail(path, 'expected a mapping of margin assets to amounts, e.g. { USDT: "10000", USDC: "5000" }');
  const out: Record<string, string> = {};
  for (const [asset, amount] of Object.entries(v as Record<string, unknown>)) {
    if (!ASSET.test(asset)) fail([...path, asset], 'expected an upper-case asset such as USDT');
    const text = typeof amount === 'number' ? String(amount) : typeof amount === 'string' ? amount.trim() : '';
    if (!/^\d+(\.\d+)?$/.test(text)) fail([...path, asset], `expected an amount ≥ 0 as a decimal, e.g. "10000", got ${JSON.stringify(amount)}`);
    const d = parseDecimal(text);
    out[asset] = formatScaled(d.units, d.scale);
  }
  return out;
}

function readPublicKey(text: string, path: Path, fail: Fail, readPem: (path: string) => string, kind: 'Ed25519' | 'RSA'): string {
  let pem = text;
  let from = 'the PEM';
  if (!text.includes('-----BEGIN')) {
    from = `the file ${text}`;
    try {
      pem = readPem(text);
    } catch (e) {
      fail(path, `cannot read the public key file ${text}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  // A private key must never be handed to the exchange (Node would derive the public key from it silently).
  if (pem.includes('PRIVATE KEY')) fail(path, `${from} holds a private key: give the ${kind} public key; the private key stays with the client`);
  const key = kind === 'RSA' ? rsaPublicKey(pem) : ed25519PublicKey(pem);
  if (key instanceof Error) fail(path, `${from} is ${key.message}: expected an ${kind} public key (openssl pkey -in private.pem -pubout)`);
  return pem;
}
