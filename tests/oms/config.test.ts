import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { DEFAULT_OMS_CONFIG, parseOmsConfig } from '../../src/oms/index.ts';

function fieldOf(raw: unknown): string | undefined {
  try {
    parseOmsConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).location.field;
  }
  return undefined;
}

describe('parseOmsConfig', () => {
  it('fills defaults, keeps given values and is idempotent', () => {
    expect(parseOmsConfig()).toEqual(DEFAULT_OMS_CONFIG);
    const c = parseOmsConfig({ idPrefix: 'bt', runTag: 'r1', modifyMode: 'cancel-replace', qtyTolerance: 0.1, orderTtlUs: 5_000_000, quoteTimeInForce: 'GTC', flattenOrderType: 'IOC' });
    expect(c).toMatchObject({ idPrefix: 'bt', runTag: 'r1', modifyMode: 'cancel-replace', qtyTolerance: 0.1, orderTtlUs: 5_000_000, quoteTimeInForce: 'GTC', flattenOrderType: 'IOC' });
    expect(parseOmsConfig(c)).toEqual(c);
  });

  it('names the key of every bad value', () => {
    expect(fieldOf([])).toBe('oms');
    expect(fieldOf(null)).toBe('oms');
    expect(fieldOf({ ttl: 1 })).toBe('oms.ttl');
    expect(fieldOf({ idPrefix: 3 })).toBe('oms.idPrefix');
    expect(fieldOf({ runTag: false })).toBe('oms.runTag');
    expect(fieldOf({ idPrefix: 'bad prefix' })).toBe('oms.idPrefix');
    expect(fieldOf({ runTag: 'x'.repeat(30) })).toBe('oms.runTag');
    expect(fieldOf({ modifyMode: 'replace' })).toBe('oms.modifyMode');
    expect(fieldOf({ qtyTolerance: 1 })).toBe('oms.qtyTolerance');
    expect(fieldOf({ qtyTolerance: '0' })).toBe('oms.qtyTolerance');
    expect(fieldOf({ orderTtlUs: -1 })).toBe('oms.orderTtlUs');
    expect(fieldOf({ quoteTimeInForce: 'IOC' })).toBe('oms.quoteTimeInForce');
    expect(fieldOf({ flattenOrderType: 'LIMIT' })).toBe('oms.flattenOrderType');
    expect(fieldOf({ queryIntervalUs: 0 })).toBe('oms.queryIntervalUs');
    expect(fieldOf({ requestGraceUs: 1.5 })).toBe('oms.requestGraceUs');
    expect(fieldOf({ terminalRetentionUs: 'x' })).toBe('oms.terminalRetentionUs');
  });

  it('says what is wrong with each value, in words a user can act on', () => {
    const message = (raw: unknown): string => {
      try {
        parseOmsConfig(raw);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(message(5)).toBe('oms: expected a mapping, got 5');
    expect(message('ab')).toBe('oms: expected a mapping, got "ab"');
    expect(message({ ttl: 1 })).toBe(
      'oms.ttl: unknown key (allowed: idPrefix, runTag, modifyMode, qtyTolerance, orderTtlUs, quoteTimeInForce, flattenOrderType, queryIntervalUs, requestGraceUs, terminalRetentionUs)',
    );
    expect(message({ idPrefix: 3 })).toBe('oms.idPrefix: expected a string, got 3');
    expect(message({ idPrefix: 'bad prefix' })).toBe('oms.idPrefix: "bad prefix" must be 1-24 characters of [.A-Z:/a-z0-9_-] (Binance client order ids)');
    expect(message({ qtyTolerance: -0.1 })).toBe('oms.qtyTolerance: expected a fraction in [0, 1), got -0.1');
    expect(message({ qtyTolerance: '0' })).toBe('oms.qtyTolerance: expected a fraction in [0, 1), got "0"');
    expect(message({ modifyMode: 'replace' })).toBe('oms.modifyMode: expected one of "amend", "cancel-replace", got "replace"');
    expect(message({ quoteTimeInForce: 3 })).toBe('oms.quoteTimeInForce: expected one of "GTC", "GTX", got 3');
    expect(message({ queryIntervalUs: 0 })).toBe('oms.queryIntervalUs: expected an integer ≥ 1 (µs), got 0');
    expect(message({ orderTtlUs: '5' })).toBe('oms.orderTtlUs: expected an integer ≥ 0 (µs), got "5"');
  });
});
