// writeRecordingFile (what `maker data synth` writes with): a new file only, complete or not at all.
// A full disk is injected through its test hook (a real tiny full file system is not available
// here); the error must name the output file and the cause, and nothing may be left behind.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SYNTHETIC, syntheticInstrument, syntheticRecordingChunks, writeRecordingFile } from '../../src/synthetic/index.ts';

const root = mkdtempSync(join(tmpdir(), 'maker-rec-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const inst = syntheticInstrument();
const chunks = () => syntheticRecordingChunks({ ...DEFAULT_SYNTHETIC, seed: 5, durationS: 20 }, inst);
/** Many small chunks, so that a failure at chunk 3000 comes after much was written (streams read ahead). */
function* manyChunks(): Generator<string> {
  for (let i = 0; i < 4000; i++) yield `${i} ${'x'.repeat(1000)}\n`;
}

async function failure(p: Promise<unknown>): Promise<{ code?: string; exitCode?: number; message: string; location?: { file?: string } }> {
  try {
    await p;
  } catch (e) {
    return e as never;
  }
  throw new Error('expected a failure');
}

describe('writeRecordingFile', () => {
  it('writes the recording (gzip by name) and creates missing directories', async () => {
    const out = join(root, 'a', 'b', 'synth.gz');
    await writeRecordingFile(out, chunks());
    const lines = gunzipSync(readFileSync(out)).toString('utf8').trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(1000);
    expect(lines[0]).toMatch(/^\d+ \{"stream":"btcusdt@/);
    expect(readdirSync(join(root, 'a', 'b'))).toEqual(['synth.gz']);
  });

  it('a full disk mid-write: E_IO naming the output file and ENOSPC; no partial file, no created directory left', async () => {
    const dir = join(root, 'full');
    mkdirSync(dir);
    writeFileSync(join(dir, 'keep.txt'), 'mine');
    for (const [name, sub] of [['synth.gz', ''], ['synth.txt', 'created/deeper']] as const) {
      const out = join(dir, sub, name);
      let partialSize = -1;
      const e = await failure(
        writeRecordingFile(out, manyChunks(), {
          beforeChunk: (i, partial) => {
            if (i < 3000) return;
            partialSize = statSync(partial).size; // the partial file exists and holds data by now
            throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC', syscall: 'write' });
          },
        }),
      );
      expect(partialSize, name).toBeGreaterThan(0);
      expect(e).toMatchObject({ code: 'E_IO', exitCode: 2, location: { file: out } });
      expect(e.message).toBe(`cannot write ${name}: no space left on device (ENOSPC); nothing was written, and nothing of it is left behind`);
      expect(readdirSync(dir)).toEqual(['keep.txt']);
    }
    expect(readFileSync(join(dir, 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('never replaces an existing file or directory, and never touches a partial file it did not create', async () => {
    const dir = join(root, 'exists');
    mkdirSync(dir);
    const out = join(dir, 'synth.gz');
    writeFileSync(out, 'precious recording');
    expect((await failure(writeRecordingFile(out, chunks()))).message).toMatch(/^already exists; maker never replaces a file/);
    expect(readFileSync(out, 'utf8')).toBe('precious recording');
    mkdirSync(join(dir, 'd'));
    expect((await failure(writeRecordingFile(join(dir, 'd'), chunks()))).message).toMatch(/^already exists/);
    // a leftover with the name this process would use is not ours: an error, and it stays
    const other = join(dir, 'other.gz');
    const stale = join(dir, `.other.gz.partial-${process.pid}`);
    writeFileSync(stale, 'not mine');
    const e = await failure(writeRecordingFile(other, chunks()));
    expect(e).toMatchObject({ code: 'E_IO', location: { file: other } });
    expect(e.message).toMatch(/\(EEXIST\)/);
    expect(readFileSync(stale, 'utf8')).toBe('not mine');
    expect(existsSync(other)).toBe(false);
  });

  it('a path under a regular file (ENOTDIR) is an E_IO error naming the path, and leaves nothing', async () => {
    const file = join(root, 'plain-file');
    writeFileSync(file, 'x');
    const out = join(file, 'sub', 'synth.gz');
    const e = await failure(writeRecordingFile(out, chunks()));
    expect(e).toMatchObject({ code: 'E_IO', exitCode: 2, location: { file: out } });
    expect(e.message).toMatch(/\((ENOTDIR|EEXIST)\)/);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });
});
