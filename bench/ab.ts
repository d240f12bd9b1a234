// Side-by-side A/B of the backtest between two commits (docs/PERFORMANCE.md, "Side by side,
// pinned"): alternating whole runs vary ±10 % on a shared 2-core machine, too much to see a 2 to 5 %
// change. Here both builds run at the same time, one per core (`taskset`), each decoding in its
// run's thread (`MAKER_DECODE_THREAD=main`, so a process stays on its core), the cores swapped every
// round; both see the machine at the same moment. The measure is the run thread's CPU seconds.
// Its own noise (a build against itself, 24 h tile): B/A 0.955 to 1.025 per pair, leaning 1 to 2 %
// towards the second-started process (B): so a few pairs resolve ~3 % at best.
//
//   node --import tsx bench/ab.ts <refA> <refB> [--rounds N] [--tile 1h|24h]
//
// Each ref is checked out in a temporary git worktree (node_modules linked from this checkout) and
// its bench/backtest-child.ts bundled as `maker` runs (bin/bundle.js); the tile stores are this
// checkout's (built by `npm run bench -- --only backtest` or here). Each pair also checks that both
// runs hashed the same event log; a difference is printed (a behaviour change, not only speed).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedBundle } from '../bin/bundle.js';
import { ensureTile } from '../scripts/tile-sample.ts';

const ROOT = join(import.meta.dirname, '..');

interface Args {
  refs: [string, string];
  rounds: number;
  hours: number;
}

function usage(why: string): never {
  process.stderr.write(`bench/ab.ts: ${why}\nusage: node --import tsx bench/ab.ts <refA> <refB> [--rounds N (default 2)] [--tile 1h|24h (default 24h)]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const refs: string[] = [];
  let rounds = 2;
  let hours = 24;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rounds') {
      rounds = Number(argv[++i]);
      if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) usage(`--rounds takes an integer from 1 to 20, got ${argv[i]}`);
    } else if (a === '--tile') {
      const t = argv[++i];
      if (t !== '1h' && t !== '24h') usage(`--tile takes 1h or 24h, got ${t}`);
      hours = t === '1h' ? 1 : 24;
    } else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else refs.push(a);
  }
  if (refs.length !== 2) usage(`two refs are needed, got ${refs.length}`);
  return { refs: [refs[0], refs[1]], rounds, hours };
}

function git(args: string[]): string {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout.trim();
}

interface Child {
  runThreadCpuSeconds: number;
  hash: string;
}

/** One measurement child pinned to `core`; rejects on a non-zero exit or after 10 minutes. */
function runPinned(bundle: string, store: string, core: number): Promise<Child> {
  return new Promise((resolve, reject) => {
    const p = spawn('taskset', ['-c', String(core), process.execPath, bundle, store, '--no-out'], {
      env: { ...process.env, MAKER_DECODE_THREAD: 'main' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 600_000,
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`child on core ${core} exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as Child);
    });
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (availableParallelism() < 2) usage('needs two cores (one per build)');
  if (spawnSync('taskset', ['-c', '0', 'true']).status !== 0) usage('needs taskset (util-linux) to pin each build to a core');
  const shas = args.refs.map((r) => git(['rev-parse', '--verify', `${r}^{commit}`]));
  const tmp = mkdtempSync(join(tmpdir(), 'maker-ab-'));
  const trees: string[] = [];
  try {
    const bundles: string[] = [];
    for (const [i, sha] of shas.entries()) {
      const tree = join(tmp, `${'AB'[i]}-${sha.slice(0, 10)}`);
      git(['worktree', 'add', '--detach', tree, sha]);
      trees.push(tree);
      symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
      bundles.push((await cachedBundle({ root: tree, entry: 'bench/backtest-child.ts', name: 'ab', cacheDir: join(tmp, `cache-${i}`) })).path);
    }
    const store = await ensureTile(args.hours, undefined, (s) => console.log(s));
    console.log(`A ${args.refs[0]} (${shas[0].slice(0, 10)}) vs B ${args.refs[1]} (${shas[1].slice(0, 10)}), ${args.hours} h tile, ${args.rounds} round(s) of two pinned pairs`);
    const ratios: number[] = [];
    for (let r = 0; r < args.rounds; r++) {
      for (const swap of [false, true]) {
        const [ca, cb] = swap ? [1, 0] : [0, 1];
        const [a, b] = await Promise.all([runPinned(bundles[0], store, ca), runPinned(bundles[1], store, cb)]);
        const ratio = b.runThreadCpuSeconds / a.runThreadCpuSeconds;
        ratios.push(ratio);
        const same = a.hash === b.hash ? 'same hash' : `HASHES DIFFER: A ${a.hash.slice(0, 23)}… B ${b.hash.slice(0, 23)}…`;
        console.log(`A@${ca} ${a.runThreadCpuSeconds.toFixed(2)} s  B@${cb} ${b.runThreadCpuSeconds.toFixed(2)} s  B/A ${ratio.toFixed(3)}  ${same}`);
      }
    }
    const s = [...ratios].sort((x, y) => x - y);
    const median = s.length % 2 === 1 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    console.log(`B/A run-thread CPU: median ${median.toFixed(3)}, min ${s[0].toFixed(3)}, max ${s[s.length - 1].toFixed(3)} over ${s.length} pairs (a build against itself: 0.955 to 1.025)`);
  } finally {
    for (const t of trees) {
      try {
        rmSync(join(t, 'node_modules')); // the link only, before git removes the tree
        git(['worktree', 'remove', '--force', t]);
      } catch (e) {
        console.error(`could not remove the worktree ${t}: ${(e as Error).message}`);
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main().catch((e: unknown) => {
  process.stderr.write(`bench/ab.ts: ${(e as Error).message}\n`);
  process.exit(1);
});
