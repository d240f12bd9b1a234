// How the CLI turns errors into one line and an exit status.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { reportError } from '../../src/cli/main.ts';
import { InputError, ioError, MakerError } from '../../src/core/errors.ts';

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

  it('a mapped file-system error (ioError): the path the user knows, the real cause in words, its code, exit 2', () => {
    const sys = (code: string, path: string) => Object.assign(new Error(`${code}: some text, open '${path}'`), { code, syscall: 'open', path });
    // EROFS / EACCES cannot be produced in tests running as root; the mapping is what decides the message
    const rofs = ioError(sys('EROFS', '/mnt/ro/.maker-write-probe-1-0'), 'create files in /mnt/ro', { file: '/mnt/ro/reports', field: '--out' }, 'choose another --out');
    expect(rofs).toBeInstanceOf(MakerError);
    expect(captured(rofs)).toEqual({ code: 2, text: 'maker: error [E_IO]: /mnt/ro/reports: field "--out": cannot create files in /mnt/ro: read-only file system (EROFS); choose another --out\n' });
    const acces = ioError(sys('EACCES', '/srv/x'), 'create files in /srv', { file: '/srv/store', field: '--out' });
    expect(captured(acces).text).toBe('maker: error [E_IO]: /srv/store: field "--out": cannot create files in /srv: permission denied (EACCES)\n');
    const full = ioError(sys('ENOSPC', '/r/.q.partial-9/report.html'), 'write report.html', { file: '/r/q/report.html' });
    expect((full as MakerError).describe()).toBe('/r/q/report.html: cannot write report.html: no space left on device (ENOSPC)');
    expect((full as MakerError).cause).toMatchObject({ code: 'ENOSPC' });
    // an unknown code keeps the system's words
    expect((ioError(sys('EWEIRD', '/x'), 'write x', { file: '/x' }) as MakerError).message).toBe('cannot write x: some text (EWEIRD)');
    // a MakerError passes unchanged; an error with no code (a bug) too, and stays an internal error (70)
    const mine = new InputError('bad');
    expect(ioError(mine, 'write x', { file: '/x' })).toBe(mine);
    const bug = new TypeError('x is undefined');
    expect(ioError(bug, 'write x', { file: '/x' })).toBe(bug);
  });
});

describe('stdout closed by its reader (`maker … | head`)', () => {
  it('the command still ends normally: exit 0, no unhandled EPIPE on stderr', async () => {
    const { spawn } = await import('node:child_process');
    const { resolve } = await import('node:path');
    const bin = resolve(import.meta.dirname, '../../bin/maker.js');
    const child = spawn(process.execPath, [bin, 'sweep', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the read end is closed long before the CLI has loaded and writes its help
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((res, rej) => {
      const t = setTimeout(() => { child.kill('SIGKILL'); rej(new Error('maker --help did not exit within 30 s')); }, 30_000);
      child.on('exit', (c) => { clearTimeout(t); res(c); });
    });
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  }, 40_000);
});
