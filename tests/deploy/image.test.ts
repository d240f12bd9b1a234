// deploy/Dockerfile: the image's shape (Node 20, multi-stage, production dependencies only,
// non-root, a health check, tini and the maker entrypoint), every file it copies exists and is not dropped by
// .dockerignore, the code it runs imports nothing outside "dependencies" (the image has no
// devDependency), the health-check script's answers, and, where a Docker daemon is reachable, the
// image builds and runs `maker --help` and a backtest as its non-root user on a read-only root.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { builtinModules } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { checkMakerArgs, DEPLOY, ROOT } from './helpers.ts';

const DOCKERFILE = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
/** Instructions with their continuation lines joined, comments dropped. */
const INSTRUCTIONS = DOCKERFILE.replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };

/** .dockerignore patterns (the subset of Go filepath.Match syntax used there: *, **, literal names). */
function dockerIgnored(): (path: string) => boolean {
  const res = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((p) => {
      if (p.startsWith('!')) throw new Error('.dockerignore: exceptions (!) are not modelled by this check');
      const re = p
        .replace(/[.+^${}()|[\]]/g, '\\$&')
        .replace(/\*\*\//g, '\u0000')
        .replace(/\*/g, '[^/]*')
        .replace(/\u0000/g, '(?:.*/)?');
      return new RegExp(`^${re}$`);
    });
  return (path: string) => {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) if (res.some((r) => r.test(parts.slice(0, i).join('/')))) return true;
    return false;
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Packages imported at run time (type-only imports left out) by the files the image runs. */
function runtimeImports(): Map<string, string> {
  const out = new Map<string, string>();
  const files = [...filesUnder(join(ROOT, 'src')), ...filesUnder(join(ROOT, 'bin')), join(DEPLOY, 'healthcheck.mjs')].filter((f) => /\.(ts|mjs|js)$/.test(f));
  for (const file of files) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (n: ts.Node): void => {
      let spec: string | undefined;
      if (ts.isImportDeclaration(n) && !n.importClause?.isTypeOnly && ts.isStringLiteral(n.moduleSpecifier)) spec = n.moduleSpecifier.text;
      else if (ts.isExportDeclaration(n) && !n.isTypeOnly && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) spec = n.moduleSpecifier.text;
      else if (ts.isCallExpression(n) && n.arguments.length > 0 && ts.isStringLiteral(n.arguments[0]) && (n.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'resolve'))) spec = n.arguments[0].text;
      if (spec !== undefined && !spec.startsWith('.') && !spec.startsWith('node:')) {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!out.has(name)) out.set(name, relative(ROOT, file));
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}

describe('deploy/Dockerfile', () => {
  it('Node 20, multi-stage, npm ci --omit=dev, non-root, a health check, the maker entrypoint', () => {
    const froms = INSTRUCTIONS.filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(DOCKERFILE).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    for (const f of froms) expect(f).toMatch(/^FROM \$\{NODE_IMAGE\} AS \w+$/);
    expect(INSTRUCTIONS.some((l) => /^RUN npm ci --omit=dev\b/.test(l))).toBe(true);
    expect(INSTRUCTIONS.some((l) => /^RUN npm (install|i)\b/.test(l)), 'npm ci, not npm install').toBe(false);
    // The runtime stage takes node_modules from the deps stage, never from the build context.
    expect(INSTRUCTIONS).toContain('COPY --from=deps /app/node_modules ./node_modules');
    const users = INSTRUCTIONS.filter((l) => l.startsWith('USER '));
    expect(users.at(-1)).toMatch(/^USER (1000(:1000)?|node)$/);
    expect(INSTRUCTIONS.findIndex((l) => l.startsWith('USER '))).toBeGreaterThan(INSTRUCTIONS.findLastIndex((l) => l.startsWith('FROM ')));
    expect(INSTRUCTIONS.some((l) => l.startsWith('HEALTHCHECK ') && l.includes('deploy/healthcheck.mjs'))).toBe(true);
    // tini as PID 1 (signals forwarded, zombies reaped), installed from Debian in the runtime stage.
    expect(INSTRUCTIONS).toContain('ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/maker.js"]');
    expect(INSTRUCTIONS.some((l) => /^RUN apt-get update .*apt-get install -y --no-install-recommends tini .*rm -rf \/var\/lib\/apt\/lists/.test(l))).toBe(true);
    const cmd = JSON.parse(INSTRUCTIONS.find((l) => l.startsWith('CMD '))!.slice(4)) as string[];
    // The default command is a maker command line (here: the help).
    expect(cmd).toEqual(['--help']);
    expect(DOCKERFILE).not.toMatch(/^(ENV|ARG) .*(KEY|SECRET|TOKEN|PASSWORD)/m);
  });

  it('copies files that exist and that .dockerignore keeps; keeps secrets, data and host node_modules out of the context', () => {
    const ignored = dockerIgnored();
    const copies = INSTRUCTIONS.filter((l) => l.startsWith('COPY ') && !l.includes('--from='));
    expect(copies.length).toBeGreaterThanOrEqual(5);
    for (const c of copies) {
      const parts = c.split(/\s+/).slice(1).filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) {
        expect(existsSync(join(ROOT, src)), `${c}: ${src} exists`).toBe(true);
        expect(ignored(src), `${c}: ${src} is not in .dockerignore`).toBe(false);
        if (statSync(join(ROOT, src)).isDirectory()) {
          const kept = filesUnder(join(ROOT, src)).map((f) => relative(ROOT, f)).filter((f) => !ignored(f));
          expect(kept.length, `${src} keeps files`).toBeGreaterThan(0);
        }
      }
    }
    for (const p of ['node_modules', 'src/node_modules', '.git', 'deploy/maker.env', 'data/store/x.parquet', 'reports/run/journal.log', 'scenarios/keys/exchange-demo-rsa.pem', 'x.env', '.env']) expect(ignored(p), `${p} is kept out`).toBe(true);
    // What the image runs is in the context.
    for (const p of ['bin/maker.js', 'src/cli/main.ts', 'src/live/dashboard/page.html', 'package-lock.json', 'scenarios/quickstart.yaml', 'deploy/healthcheck.mjs']) expect(ignored(p), p).toBe(false);
  });

  it('the code the image runs imports production dependencies only (devDependencies are not installed there)', () => {
    const imports = runtimeImports();
    expect(imports.get('tsx')).toBeDefined();
    const builtins = new Set(builtinModules);
    for (const [name, file] of imports) {
      if (builtins.has(name)) continue;
      expect(Object.keys(PKG.dependencies), `${file} imports ${name} at run time: it must be in "dependencies" (the image runs npm ci --omit=dev)`).toContain(name);
    }
  });

  it('the health check: healthy on 2xx or without a URL, unhealthy on 5xx or no answer', async () => {
    const server = createServer((req, res) => {
      res.statusCode = req.url === '/healthz' ? 200 : 503;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const check = (url: string | undefined): Promise<number | null> =>
      new Promise((resolve) => {
        const env: NodeJS.ProcessEnv = { ...process.env };
        delete env.MAKER_HEALTHCHECK_URL;
        if (url !== undefined) env.MAKER_HEALTHCHECK_URL = url;
        const p = spawn(process.execPath, [join(DEPLOY, 'healthcheck.mjs')], { env, stdio: 'ignore' });
        const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
        p.on('exit', (code) => {
          clearTimeout(t);
          resolve(code);
        });
      });
    try {
      expect(await check(`${base}/healthz`)).toBe(0);
      expect(await check(`${base}/readyz`)).toBe(1);
      expect(await check(undefined)).toBe(0);
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(await check(base)).toBe(1); // closed port: connection refused
  }, 60_000);

  it('builds and runs maker --help and a backtest as uid 1000 on a read-only root (where a Docker daemon is reachable)', (ctx) => {
    const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 20_000 });
    if (info.error !== undefined || info.status !== 0) {
      const why = info.error?.message ?? (info.stderr.trim().split('\n').find((l) => l.trim() !== '') ?? `exit ${String(info.status)}`);
      ctx.skip(`no Docker daemon reachable (${why}): the image build is not checked here`);
    }
    const tag = `maker:deploy-test-${process.pid}`;
    try {
      const build = spawnSync('docker', ['build', '-f', 'deploy/Dockerfile', '-t', tag, '.'], { cwd: ROOT, encoding: 'utf8', timeout: 900_000 });
      expect(build.status, build.stderr.slice(-3000)).toBe(0);
      const help = spawnSync('docker', ['run', '--rm', '--read-only', '--tmpfs', '/tmp', tag], { encoding: 'utf8', timeout: 120_000 });
      expect(help.status, help.stderr).toBe(0);
      expect(help.stdout).toContain('Usage: maker');
      const user = spawnSync('docker', ['run', '--rm', '--entrypoint', 'id', tag, '-u'], { encoding: 'utf8', timeout: 60_000 });
      expect(user.stdout.trim()).toBe('1000');
      expect(checkMakerArgs(['backtest', '--scenario', 'scenarios/quickstart.yaml', '--out', '/tmp/out'], 'image test').ok).toBe(true);
      const bt = spawnSync('docker', ['run', '--rm', '--read-only', '--tmpfs', '/tmp', tag, 'backtest', '--scenario', 'scenarios/quickstart.yaml', '--out', '/tmp/out'], { encoding: 'utf8', timeout: 300_000 });
      expect(bt.status, bt.stderr.slice(-3000)).toBe(0);
      expect(bt.stdout + bt.stderr).toContain('event log hash');
    } finally {
      spawnSync('docker', ['image', 'rm', '-f', tag], { timeout: 60_000 });
    }
  }, 1_500_000);
});
