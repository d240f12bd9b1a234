// `maker live` interrupted after its confirmed shutdown, while it writes report.html (which replays
// the journal and backtests the session's market in a temporary store). Ctrl-C there used to hit
// Node's default action: the process died by the signal (status 130, which docs/LIVE.md reads as
// "a second signal: the shutdown was NOT confirmed, check the venue"), printed no summary, and left
// the temporary store `maker-live-report-*` behind. Now the signal stops the report only: the
// summary is printed, the exit status is the session's (0: confirmed), nothing temporary is left.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makerBin } from '../support/maker-bin.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'maker-live-report-signal-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('maker live: a signal while report.html is written', () => {
  it('stops the report only: the summary is printed, exit 0 (the shutdown was confirmed), no temporary store left', async () => {
    const tempParent = join(tmp, 'tmpdir');
    mkdirSync(tempParent);
    const out = join(tmp, 'runs');
    const child = spawn(process.execPath, [makerBin(), 'live', '--scenario', join(ROOT, 'scenarios', 'quickstart.yaml'), '--paper', '--duration', '6s', '--out', out], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: tempParent },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 120_000,
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
    try {
      // The report's temporary store exists only while the report is being built.
      const end = Date.now() + 90_000;
      while (!readdirSync(tempParent).some((f) => f.startsWith('maker-live-report-'))) {
        if (Date.now() > end || child.exitCode !== null) throw new Error(`the report's temporary store never appeared; stderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(stderr).toMatch(/shutdown confirmed/);
      child.kill('SIGINT');
      expect(await exited, stderr).toEqual({ code: 0, signal: null });
    } finally {
      child.kill('SIGKILL');
    }
    const runDir = join(out, readdirSync(out)[0]);
    expect(stderr).toContain(`maker live: report.html NOT written: stopped by SIGINT; maker replay ${runDir} --report writes it\n`);
    expect(stderr).toContain('maker live: stopped; every order cancelled and confirmed\n');
    expect(stderr.trimEnd().split('\n').at(-1)).toBe(`  ${runDir}/ (journal.log, summary.json); maker replay ${runDir}`);
    expect(readdirSync(tempParent), 'the temporary store is gone').toEqual([]);
    expect(readdirSync(runDir).sort()).toEqual(['journal.log', 'scenario.source.yaml', 'scenario.yaml', 'summary.json']);
    expect(existsSync(join(runDir, 'report.html'))).toBe(false);
  }, 150_000);
});
