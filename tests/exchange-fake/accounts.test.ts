// The accounts file of `maker exchange --accounts`: the example parses; every mistake is reported
// with the file, the line and the key path (exit 2 from the CLI); margin type and position mode
// are read and checked. The CLI serves the file's accounts: the JSON line lists each
// apiKey (and the secret of HMAC keys only), each account has its own wallet and leverage, and
// both key kinds sign requests.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountsFileError, hmacHex, loadAccountsFile, parseAccountsFile } from '../../src/exchange-fake/index.ts';
import { syntheticInstrument } from '../../src/synthetic/index.ts';
import { ed25519Pair, signedEd } from './account-helpers.ts';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = makerBin();
const KEYS = ed25519Pair();
const noPem = (p: string): string => {
  throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
};

/** The error `parseAccountsFile` raises for `text`, as the CLI prints it. */
function errorOf(text: string, readPem: (p: string) => string = noPem): string {
  try {
    parseAccountsFile(text, 'acc.yaml', readPem);
  } catch (e) {
    expect(e).toBeInstanceOf(AccountsFileError);
    return (e as AccountsFileError).describe();
  }
  throw new Error('no error');
}

const HMAC = '- name: a\n  apiKey: keyA\n  secret: s\n';

describe('accounts file', () => {
  it('the example: HMAC, Ed25519 and RSA accounts, wallets, leverage per symbol, the public keys read from their paths', () => {
    const f = loadAccountsFile(join(ROOT, 'scenarios', 'exchange-accounts.yaml'));
    expect(f.accounts.map((a) => [a.name, a.secret !== undefined, a.publicKey?.startsWith('-----BEGIN PUBLIC KEY-----') ?? false, a.rsaPublicKey?.startsWith('-----BEGIN PUBLIC KEY-----') ?? false])).toEqual([
      ['mm-hmac', true, false, false],
      ['mm-ed25519', false, true, false],
      ['mm-rsa', false, false, true],
    ]);
    expect(f.accounts[0]).toMatchObject({ balances: { USDT: '10000', USDC: '5000' }, leverage: 20, symbolLeverage: { BTCUSDT: 50 }, marginType: 'CROSSED', dualSidePosition: false });
    expect(f.accounts[1]).toMatchObject({ balances: { USDT: '2500', USDC: '0' }, leverage: 10 });
    expect(() => f.checkAgainst(['BTCUSDT', 'ETHUSDT', 'BTCUSDC'].map((s) => syntheticInstrument(s)))).not.toThrow();
  });

  it('names the file, line and key of every mistake', () => {
    expect(errorOf('- name: a\n  secret: s\n')).toBe('acc.yaml:1: key "[0].apiKey": is required');
    expect(errorOf(`${HMAC}  publicKey: k.pem\n`)).toMatch(/^acc\.yaml:1: key "\[0\]": needs exactly one of secret \(an HMAC-SHA256 key\), publicKey \(an Ed25519 key\) and rsaPublicKey \(an RSA key\)/);
    expect(errorOf(`${HMAC}  levrage: 5\n`)).toMatch(/^acc\.yaml:4: key "\[0\]\.levrage": unknown key \(expected one of name, apiKey/);
    expect(errorOf(`${HMAC}  leverage: 200\n`)).toBe('acc.yaml:4: key "[0].leverage": expected an integer leverage in 1..125, got 200');
    expect(errorOf(`${HMAC}  balances:\n    USDT: -5\n`)).toMatch(/^acc\.yaml:5: key "\[0\]\.balances\.USDT": expected an amount ≥ 0/);
    expect(errorOf(`${HMAC}  balances: { usdt: 5 }\n`)).toMatch(/^acc\.yaml:4: key "\[0\]\.balances\.usdt": expected an upper-case asset/);
    expect(errorOf(`${HMAC}  symbols:\n    BTCUSDT: { leverage: 0 }\n`)).toMatch(/^acc\.yaml:5: key "\[0\]\.symbols\.BTCUSDT\.leverage": expected an integer leverage/);
    expect(errorOf(`${HMAC}- name: b\n  apiKey: keyA\n  secret: t\n`)).toBe('acc.yaml:5: key "[1].apiKey": the same API key as account [0]');
    expect(errorOf(`${HMAC}- name: a\n  apiKey: keyB\n  secret: t\n`)).toMatch(/^acc\.yaml:4: key "\[1\]\.name": account "a" is listed twice/);
    expect(errorOf('- name: a\n  apiKey: "bad key!"\n  secret: s\n')).toMatch(/^acc\.yaml:2: key "\[0\]\.apiKey": must be 1 to 128 letters and digits/);
    expect(errorOf('- name: a\n  apiKey: k\n  secret: [hunter2]\n')).toBe('acc.yaml:3: key "[0].secret": expected a string');
    expect(errorOf('name: a\n')).toMatch(/^acc\.yaml:1: an accounts file is a YAML list of accounts/);
    expect(errorOf('[]\n')).toMatch(/^acc\.yaml:1: lists no account/);
    expect(errorOf('- name: a\n  apiKey: [unclosed\n')).toMatch(/^acc\.yaml:\d+: not valid YAML/);
    // An alias without its anchor parses; converting it threw a ReferenceError without a line (exit 70).
    expect(errorOf('- name: a\n  apiKey: *k\n  secret: s\n')).toBe('acc.yaml:2: not valid YAML: the alias *k has no anchor &k before it');
    expect(errorOf(`${HMAC}---\n- name: b\n`)).toBe('acc.yaml:4: one YAML document expected, but a second one starts on this line (---): keep one document in the file');
  });

  it('a key or secret YAML would read as a number (0x1F, 1e5, 012, 64 digits) is taken as written; a tagged one is refused without echoing it', () => {
    const digits = '1234567890'.repeat(6) + '1234';
    const f = parseAccountsFile(`- name: 012\n  apiKey: ${digits}\n  secret: 0x1F\n- name: b\n  apiKey: 1e5\n  secret: 012\n- name: c\n  apiKey: k3\n  secret: 1e5\n`, 'acc.yaml', noPem);
    expect(f.accounts.map((a) => [a.name, a.apiKey, a.secret])).toEqual([
      ['012', digits, '0x1F'],
      ['b', '1e5', '012'],
      ['c', 'k3', '1e5'],
    ]);
    const e = errorOf('- name: a\n  apiKey: k\n  secret: !!int 0x1F\n');
    expect(e).toBe('acc.yaml:3: key "[0].secret": expected a string: put it in quotes, so that YAML keeps it as written');
    expect(errorOf('- name: a\n  apiKey: !!float 1e5\n  secret: s\n')).toBe('acc.yaml:2: key "[0].apiKey": expected a string, got 100000: put it in quotes, so that YAML keeps it as written');
  });

  it('margin type (every symbol and per symbol) and position mode (dualSidePosition or positionMode); bad values by key', () => {
    const a = parseAccountsFile(`${HMAC}  marginType: ISOLATED\n  dualSidePosition: true\n  symbols:\n    ETHUSDT: { marginType: crossed, leverage: 5 }\n`, 'acc.yaml', noPem).accounts[0];
    expect([a.marginType, a.symbolMarginType, a.dualSidePosition, a.symbolLeverage]).toEqual(['ISOLATED', { ETHUSDT: 'CROSSED' }, true, { ETHUSDT: 5 }]);
    expect(parseAccountsFile(`${HMAC}  positionMode: hedge\n`, 'acc.yaml', noPem).accounts[0].dualSidePosition).toBe(true);
    expect(parseAccountsFile(`${HMAC}  marginType: crossed\n  positionMode: one-way\n`, 'acc.yaml', noPem).accounts[0]).toMatchObject({ marginType: 'CROSSED', dualSidePosition: false });
    expect(errorOf(`${HMAC}  marginType: PORTFOLIO\n`)).toBe('acc.yaml:4: key "[0].marginType": expected CROSSED or ISOLATED, got "PORTFOLIO"');
    expect(errorOf(`${HMAC}  symbols:\n    BTCUSDT: { marginType: 3 }\n`)).toBe('acc.yaml:5: key "[0].symbols.BTCUSDT.marginType": expected CROSSED or ISOLATED, got 3');
    expect(errorOf(`${HMAC}  dualSidePosition: "yes"\n`)).toBe('acc.yaml:4: key "[0].dualSidePosition": expected true (hedge mode) or false (one-way mode), got "yes"');
    expect(errorOf(`${HMAC}  positionMode: sideways\n`)).toBe('acc.yaml:4: key "[0].positionMode": expected one-way or hedge, got "sideways"');
    expect(errorOf(`${HMAC}  positionMode: hedge\n  dualSidePosition: true\n`)).toMatch(/^acc\.yaml:4: key "\[0\]\.positionMode": give the position mode once/);
  });

  it('Ed25519 public keys: a PEM block or a file; a private key, a missing file or garbage is refused', () => {
    const inline = `- name: e\n  apiKey: keyE\n  publicKey: |\n${KEYS.publicKey.trim().split('\n').map((l) => `    ${l}`).join('\n')}\n`;
    expect(parseAccountsFile(inline, 'acc.yaml', noPem).accounts[0].publicKey).toBe(KEYS.publicKey.trim());
    const byPath = parseAccountsFile('- name: e\n  apiKey: keyE\n  publicKey: keys/e.pub.pem\n', 'acc.yaml', (p) => (p === 'keys/e.pub.pem' ? KEYS.publicKey : noPem(p)));
    expect(byPath.accounts[0].publicKey).toBe(KEYS.publicKey);
    expect(errorOf('- name: e\n  apiKey: keyE\n  publicKey: keys/missing.pem\n')).toMatch(/^acc\.yaml:3: key "\[0\]\.publicKey": cannot read the public key file keys\/missing\.pem: ENOENT/);
    expect(errorOf('- name: e\n  apiKey: keyE\n  publicKey: keys/e.pem\n', () => KEYS.privateKey)).toMatch(/holds a private key: give the Ed25519 public key; the private key stays with the client$/);
    expect(errorOf('- name: e\n  apiKey: keyE\n  publicKey: "-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----"\n')).toMatch(/^acc\.yaml:3: key "\[0\]\.publicKey": the PEM is not a PEM public key/);
  });

  it('checks the accounts against the served symbols once they are known', () => {
    const inst = (...s: string[]) => s.map((x) => syntheticInstrument(x));
    const f = (text: string) => parseAccountsFile(text, 'acc.yaml', noPem);
    const describeOf = (fn: () => void): string => {
      try {
        fn();
      } catch (e) {
        return (e as AccountsFileError).describe();
      }
      return 'no error';
    };
    expect(describeOf(() => f(`${HMAC}  symbols:\n    ETHUSDT: { leverage: 5 }\n`).checkAgainst(inst('BTCUSDT')))).toBe('acc.yaml:5: key "[0].symbols.ETHUSDT": ETHUSDT is not served (served: BTCUSDT; see --symbols)');
    expect(describeOf(() => f(`${HMAC}  leverage: 125\n`).checkAgainst(inst('BTCUSDT', 'ETHUSDT')))).toBe("acc.yaml:4: key \"[0].leverage\": 125 is above ETHUSDT's highest leverage 100 (its first leverage bracket)");
    expect(describeOf(() => f(`${HMAC}  balances: { USDT: 100 }\n`).checkAgainst(inst('BTCUSDT', 'BTCUSDC')))).toBe('acc.yaml:4: key "[0].balances": has no USDC, the margin asset of BTCUSDC: add USDC: "0" if the account has none');
    expect(describeOf(() => f(`${HMAC}  leverage: 125\n`).checkAgainst(inst('BTCUSDT')))).toBe('no error');
  });
});

describe('maker exchange --accounts', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'accounts-cli-'));
    writeFileSync(join(dir, 'ed.pub.pem'), KEYS.publicKey);
    writeFileSync(
      join(dir, 'accounts.yaml'),
      [
        '- name: alice',
        '  apiKey: aliceKey0000000000000000000000000000000000000000000000000000000',
        '  secret: aliceSecret',
        '  balances: { USDT: "1234.5" }',
        '  symbols: { BTCUSDT: { leverage: 7 } }',
        '- name: bob',
        '  apiKey: bobKey000000000000000000000000000000000000000000000000000000000',
        '  publicKey: ed.pub.pem',
        '  leverage: 3',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'bad.yaml'), '- name: alice\n  apiKey: aliceKey\n  secret: s\n  marginType: HALF\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("serves the file's accounts; --json lists the apiKeys and the HMAC secrets only", async () => {
    const child = spawn(process.execPath, [BIN, 'exchange', '--accounts', join(dir, 'accounts.yaml'), '--port', '0', '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += String(c)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let timer: NodeJS.Timeout | undefined;
    try {
      const line = await Promise.race([
        new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve)),
        new Promise<string>((_, reject) => (timer = setTimeout(() => reject(new Error(`no JSON line within 60 s; stderr: ${stderr}`)), 60_000))),
      ]);
      const info = JSON.parse(line) as { rest: string; accounts: Record<string, string>[] };
      expect(info.accounts).toEqual([
        { apiKey: 'aliceKey0000000000000000000000000000000000000000000000000000000', secret: 'aliceSecret' },
        { apiKey: 'bobKey000000000000000000000000000000000000000000000000000000000' },
      ]);
      const alice = info.accounts[0];
      const q = `timestamp=${Date.now()}`;
      const bal = await fetch(`${info.rest}/fapi/v2/balance?${q}&signature=${hmacHex(alice.secret, q)}`, { headers: { 'x-mbx-apikey': alice.apiKey } });
      expect(((await bal.json()) as { balance: string }[])[0].balance).toBe('1234.50000000');
      const bob = { apiKey: info.accounts[1].apiKey, privateKey: KEYS.privateKey };
      const pos = await signedEd(info.rest, 'GET', '/fapi/v2/positionRisk', { symbol: 'BTCUSDT' }, bob);
      expect(pos.status).toBe(200);
      expect((pos.json as unknown as { leverage: string }[])[0].leverage).toBe('3');
      expect(((await signedEd(info.rest, 'GET', '/fapi/v2/balance', {}, bob)).json as unknown as { balance: string }[])[0].balance).toBe('10000.00000000');
      const q2 = `symbol=BTCUSDT&timestamp=${Date.now()}`;
      const lev = await fetch(`${info.rest}/fapi/v1/symbolConfig?${q2}&signature=${hmacHex(alice.secret, q2)}`, { headers: { 'x-mbx-apikey': alice.apiKey } });
      expect(((await lev.json()) as { leverage: number }[])[0].leverage).toBe(7);
    } finally {
      clearTimeout(timer);
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  }, 90_000);

  it('a mistake in the file: exit 2 with the file, line and key, before any data is read', () => {
    const r = spawnSync(process.execPath, [BIN, 'exchange', '--accounts', join(dir, 'bad.yaml'), '--port', '0'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'bad.yaml')}:4: key "[0].marginType": expected CROSSED or ISOLATED, got "HALF"`);
    const missing = spawnSync(process.execPath, [BIN, 'exchange', '--accounts', join(dir, 'nope.yaml'), '--port', '0'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/nope\.yaml: cannot read the accounts file/);
  }, 90_000);
});
