// Determinism guard: nothing in src/ (outside the live shells and the CLI) may read ambient time or
// randomness. The engine passes a Clock and an Rng instead. The live shells are live/ and
// exchange-fake/ (`maker exchange`: a real-time server with the wall clock and timers); the matching
// engine they drive (sim-exchange/) stays clean.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', 'src');
// record/ (`maker record`) is a live shell too: receive times are wall-clock times by definition.
// sweep-queue/ (`maker sweep --queue`, `maker worker`) is a network shell: Redis connections with timeouts.
const ALLOWED_DIRS = ['live', 'cli', 'exchange-fake', 'record', 'sweep-queue'];
const FORBIDDEN: [RegExp, string][] = [
  [/\bDate\.now\s*\(/, 'Date.now()'],
  [/new\s+Date\s*\(\s*\)/, 'new Date() without an argument'],
  [/\bperformance\.now\s*\(/, 'performance.now()'],
  [/\bprocess\.hrtime\b/, 'process.hrtime'],
  [/\bMath\.random\s*\(/, 'Math.random()'],
  [/\bsetTimeout\s*\(/, 'setTimeout'],
  [/\bsetInterval\s*\(/, 'setInterval'],
  [/\bsetImmediate\s*\(/, 'setImmediate'],
  [/\bcrypto\.random/, 'crypto random'],
  [/\brandomUUID\s*\(/, 'randomUUID()'],
];

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

export function findAmbientUses(files: { path: string; text: string }[]): string[] {
  const hits: string[] = [];
  for (const { path, text } of files) {
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, '');
      for (const [re, what] of FORBIDDEN) if (re.test(code)) hits.push(`${path}:${i + 1}: ${what}`);
    });
  }
  return hits;
}

describe('no ambient time or randomness in src/', () => {
  it('the scanner catches each forbidden call', () => {
    const bad = ['Date.now()', 'new Date()', 'performance.now()', 'process.hrtime.bigint()', 'Math.random()', 'setTimeout(f, 1)', 'setInterval(f, 1)'];
    for (const b of bad) expect(findAmbientUses([{ path: 'x.ts', text: `const a = ${b};` }])).toHaveLength(1);
    expect(findAmbientUses([{ path: 'x.ts', text: 'const d = new Date(tsMs).toISOString();' }])).toHaveLength(0);
  });

  it('src/ outside live/, exchange-fake/ and cli/ is clean', () => {
    const files = walk(SRC)
      .filter((p) => !ALLOWED_DIRS.some((d) => relative(SRC, p).startsWith(`${d}/`)))
      .map((p) => ({ path: relative(SRC, p), text: readFileSync(p, 'utf8') }));
    expect(files.length).toBeGreaterThan(5);
    expect(findAmbientUses(files)).toEqual([]);
  });
});
