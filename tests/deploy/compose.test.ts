// deploy/docker-compose.yml and deploy/prometheus.yml: the compose file passes the Compose
// Specification's JSON schema (vendored: deploy/schemas/), and the pieces agree: Prometheus
// scrapes a service on the port its dashboard listens on, every secret variable the services read
// is in the example env file (and the real one is ignored by git and by the image build), every
// maker service runs a command line the CLI accepts, volumes are declared, the trader holds its
// --lock on its own volume. `docker compose config` runs too where the compose plugin exists.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenario/index.ts';
import { checkMakerArgs, DEPLOY, ROOT, yamlDocs } from './helpers.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = any;
const COMPOSE_FILE = join(DEPLOY, 'docker-compose.yml');
const compose = yamlDocs(COMPOSE_FILE)[0].value as Obj;
const prometheus = yamlDocs(join(DEPLOY, 'prometheus.yml'))[0].value as Obj;
const services = compose.services as Record<string, Obj>;
const isMaker = (s: Obj): boolean => String(s.image).startsWith('${MAKER_IMAGE:-maker:') || s.build !== undefined;

/** The env file's variable names (KEY=value lines). */
function envNames(file: string): Set<string> {
  return new Set(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
      .map((l) => l.slice(0, l.indexOf('='))),
  );
}

/** A service's command as maker arguments (the image's entrypoint is `node bin/maker.js`). */
const argsOf = (name: string): string[] => services[name].command as string[];

describe('deploy/docker-compose.yml', () => {
  it('passes the Compose Specification schema', () => {
    // Draft-07, named by its https URI, which Ajv does not register under that spelling: dropped
    // after checking it (Ajv's default dialect is draft-07).
    const { $schema, ...schema } = JSON.parse(readFileSync(join(DEPLOY, 'schemas', 'compose-spec.json'), 'utf8')) as { $schema: string };
    expect($schema).toMatch(/json-schema\.org\/draft-07\/schema/);
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    const ok = validate(compose);
    expect(ok, ajv.errorsText(validate.errors, { separator: '\n' })).toBe(true);
    // And it is not a formality: a misspelt key and a wrong type are refused.
    const broken = structuredClone(compose) as Obj;
    broken.services.trader.stop_grace_priod = '60s';
    broken.services.worker.volumes = 'store:/data/store:ro';
    expect(validate(broken)).toBe(false);
    expect(ajv.errorsText(validate.errors)).toMatch(/stop_grace_priod|additional properties/);
    expect(ajv.errorsText(validate.errors)).toMatch(/services\/worker\/volumes must be array/);
  });

  it('has the pieces issue 14 asks for, built from this repository', () => {
    for (const s of ['recorder', 'trader', 'redis', 'worker', 'prometheus']) expect(Object.keys(services)).toContain(s);
    for (const [name, s] of Object.entries(services)) {
      if (!isMaker(s)) continue;
      expect(s.build, name).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
      expect(existsSync(join(DEPLOY, s.build.context, s.build.dockerfile))).toBe(true);
      expect(s.read_only, `${name}: read-only root`).toBe(true);
      expect(s.tmpfs, `${name}: /tmp for tsx's cache`).toContain('/tmp');
      expect(s.cap_drop, name).toContain('ALL');
      // The image's entrypoint is tini already: a second init (init: true) would only add a warning.
      expect(s.init, name).toBeUndefined();
    }
  });

  it('every maker service runs a maker command line the CLI accepts; volumes are declared', (ctx) => {
    const declared = new Set(Object.keys(compose.volumes ?? {}));
    const pending: string[] = [];
    let checked = 0;
    for (const [name, s] of Object.entries(services)) {
      for (const v of (s.volumes ?? []) as string[]) {
        const src = v.split(':')[0];
        if (src.startsWith('.')) expect(existsSync(join(DEPLOY, src)), `${name}: bind source ${src}`).toBe(true);
        else expect(declared.has(src), `${name}: volume ${src} declared`).toBe(true);
      }
      if (!isMaker(s)) continue;
      const r = checkMakerArgs(argsOf(name), `docker-compose.yml service ${name}`);
      if (r.ok) checked++;
      else pending.push(`${name}: ${r.pending}`);
    }
    expect(checked).toBeGreaterThanOrEqual(3);
    if (pending.length > 0) ctx.skip(`checked ${checked} maker services; not yet: ${pending.join('; ')}`);
  });

  it('Prometheus scrapes each target on a service port that serves /metrics', () => {
    const targets: { job: string; host: string; port: number; path: string }[] = [];
    for (const job of prometheus.scrape_configs as Obj[])
      for (const sc of job.static_configs as Obj[])
        for (const t of sc.targets as string[]) {
          const [host, port] = t.split(':');
          targets.push({ job: job.job_name, host, port: Number(port), path: job.metrics_path ?? '/metrics' });
        }
    expect(targets.length).toBeGreaterThanOrEqual(2);
    for (const t of targets) {
      if (t.host === 'localhost') {
        expect(t.job).toBe('prometheus');
        expect(services.prometheus.ports).toContain(`127.0.0.1:${t.port}:${t.port}`);
        continue;
      }
      const s = services[t.host];
      expect(s, `target ${t.host}:${t.port} is a service`).toBeDefined();
      const r = checkMakerArgs(s.command as string[], `service ${t.host}`);
      if (!r.ok) throw new Error(r.pending);
      // The live dashboard serves /metrics: on the target's port, on every interface of the container.
      expect(r.command).toBe('live');
      expect(Number(r.options.get('--dashboard'))).toBe(t.port);
      expect(r.options.get('--dashboard-host')).toBe('0.0.0.0');
      expect(t.path).toBe('/metrics');
    }
    expect(services.prometheus.volumes).toContain('./prometheus.yml:/etc/prometheus/prometheus.yml:ro');
  });

  it('secrets: read at run time from deploy/maker.env (ignored by git and the image build), each variable in the example', () => {
    const trader = services.trader;
    expect(trader.env_file).toEqual([{ path: 'maker.env', required: true }]);
    expect(readFileSync(join(DEPLOY, '.gitignore'), 'utf8').split('\n')).toContain('maker.env');
    expect(readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n')).toContain('deploy/maker.env');
    const example = envNames(join(DEPLOY, 'maker.env.example'));
    const r = checkMakerArgs(trader.command as string[], 'service trader');
    if (!r.ok) throw new Error(r.pending);
    const scenario = loadScenarioFile(join(ROOT, r.options.get('--scenario') as string), { set: r.all.filter(([f]) => f === '--set').map(([, v]) => v as string) });
    for (const v of [scenario.live.apiKeyEnv, scenario.live.secretEnv, scenario.live.dashboard.tokenEnv]) expect(example, `maker.env.example declares ${String(v)}`).toContain(v);
    // No secret is written into the compose file itself.
    for (const [name, s] of Object.entries(services)) for (const k of Object.keys((s.environment as object) ?? {})) expect(k, name).not.toMatch(/KEY|SECRET|TOKEN|PASSWORD/);
    // The example holds no values.
    for (const line of readFileSync(join(DEPLOY, 'maker.env.example'), 'utf8').split('\n')) if (/^[A-Z_]+=/.test(line)) expect(line).toMatch(/=$/);
  });

  it('the trader: paper by default, --lock and runs on its own volume, dashboard on loopback, health check and grace period consistent', () => {
    const t = services.trader;
    const r = checkMakerArgs(t.command as string[], 'service trader');
    if (!r.ok) throw new Error(r.pending);
    expect(r.options.get('--paper')).toBe(true);
    const port = Number(r.options.get('--dashboard'));
    const liveMount = (t.volumes as string[]).map((v) => v.split(':')).find(([src]) => src === 'live')!;
    expect((r.options.get('--lock') as string).startsWith(`${liveMount[1]}/`)).toBe(true);
    expect((r.options.get('--out') as string).startsWith(`${liveMount[1]}/`)).toBe(true);
    expect(t.ports).toEqual([`127.0.0.1:${port}:${port}`]);
    expect(t.environment.MAKER_HEALTHCHECK_URL).toBe(`http://127.0.0.1:${port}/healthz`);
    const scenario = loadScenarioFile(join(ROOT, r.options.get('--scenario') as string));
    expect(Number(/^(\d+)s$/.exec(t.stop_grace_period)![1])).toBeGreaterThanOrEqual(scenario.live.shutdown.confirmTimeoutS + 15);
    expect(['SIGINT', 'SIGTERM']).toContain(t.stop_signal);
    // One trader: the service is not scaled.
    expect(t.deploy?.replicas ?? 1).toBe(1);
  });

  it('workers: reach Redis by its service name, wait for it, read the store read-only; Redis keeps jobs (noeviction, AOF)', () => {
    const w = services.worker;
    const args = w.command as string[];
    const url = new URL(args[args.indexOf('--queue') + 1]);
    expect(services[url.hostname]).toBeDefined();
    expect(url.port).toBe('6379');
    expect(w.depends_on[url.hostname].condition).toBe('service_healthy');
    expect(w.volumes).toContain('store:/data/store:ro');
    expect(services.recorder.volumes).toContain('store:/data/store');
    const redisArgs = services.redis.command as string[];
    expect(redisArgs[redisArgs.indexOf('--maxmemory-policy') + 1]).toBe('noeviction');
    expect(redisArgs[redisArgs.indexOf('--appendonly') + 1]).toBe('yes');
  });

  it('`docker compose config` accepts it (where the compose plugin is installed)', (ctx) => {
    const v = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8', timeout: 20_000 });
    if (v.status !== 0) ctx.skip(`docker compose is not available here (${(v.error?.message ?? v.stderr ?? '').trim().split('\n')[0] || `exit ${String(v.status)}`}); the schema check above stands in for it`);
    const r = spawnSync('docker', ['compose', '-f', COMPOSE_FILE, '--env-file', '/dev/null', 'config', '--quiet', '--no-interpolate'], { encoding: 'utf8', timeout: 60_000, cwd: DEPLOY });
    expect(r.stderr).not.toMatch(/error|invalid/i);
  });
});
