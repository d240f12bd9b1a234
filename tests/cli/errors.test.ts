// How the CLI turns errors into one line and an exit status.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { reportError } from '../../src/cli/main.ts';
import { InputError } from '../../src/core/errors.ts';

function captured(e: unknown): { code: number; text: string } {
  const chunks: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    chunks.push(String(s));
    return true;
  });
  const code = reportError(e);
  return { code, text: chunks.join('') };
}

afterEach(() => vi.restoreAllMocks());

describe('reportError', () => {
  it('a MakerError: code, file:line, field; its own exit status', () => {
    const r = captured(new InputError('not a number', { file: 'a.gz', line: 3, field: 'data.p' }));
    expect(r).toEqual({ code: 2, text: 'maker: error [E_INPUT]: a.gz:3: field "data.p": not a number\n' });
  });

  it('a file-system error (disk full, no permission): one line naming the path, exit 2, no stack', () => {
    const e = Object.assign(new Error("ENOSPC: no space left on device, write '/data/store/x.parquet'"), { code: 'ENOSPC', syscall: 'write', path: '/data/store/x.parquet' });
    const r = captured(e);
    expect(r.code).toBe(2);
    expect(r.text).toBe("maker: error [E_IO]: /data/store/x.parquet: write failed: ENOSPC (no space left on device, write '/data/store/x.parquet')\n");
  });

  it('anything else is a bug: the stack is printed and the status is 70', () => {
    const r = captured(new TypeError('x is undefined'));
    expect(r.code).toBe(70);
    expect(r.text).toMatch(/^maker: internal error: TypeError: x is undefined\n\s+at /);
  });
});
