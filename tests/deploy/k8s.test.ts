// deploy/k8s/: every manifest parses and passes the Kubernetes OpenAPI schema of its kind
// (kubernetes-models; decision 0013), and the manifests agree with each other and with the CLI:
// services select pods and reach their ports, probes hit declared ports, secrets, config maps and
// claims exist, every maker container runs a real maker command line, and the live trader keeps
// its at-most-one guarantees (one replica, a ReadWriteOncePod volume, --lock on it).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Namespace, Service, Secret, ConfigMap, PersistentVolumeClaim } from 'kubernetes-models/v1';
import { StatefulSet, Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { parseScenario } from '../../src/scenario/index.ts';
import { QUEUE_NAME } from '../../src/sweep-queue/index.ts';
import { checkMakerArgs, DEPLOY, ROOT, yamlDocs, type YamlDoc } from './helpers.ts';

/** apiVersion/kind → the model that validates it. A kind not here is an error: add its schema. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'v1/Secret': Secret,
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/StatefulSet': StatefulSet,
  'apps/v1/Deployment': Deployment,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
};

const K8S = join(DEPLOY, 'k8s');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) return yamlFiles(p);
      return /\.ya?ml$/.test(f) ? [p] : [];
    });
}

// Loose shapes of what the checks read (the schema check above is the strict one).
/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = any;
const docs: YamlDoc[] = yamlFiles(K8S).flatMap((f) => yamlDocs(f));
const where = (d: YamlDoc): string => `${relative(ROOT, d.file)}:${d.line} ${String(d.value.kind)} ${String((d.value.metadata as Obj)?.name)}`;
const ofKind = (kind: string): YamlDoc[] => docs.filter((d) => d.value.kind === kind);
const byName = (kind: string, name: string): YamlDoc | undefined => ofKind(kind).find((d) => (d.value.metadata as Obj).name === name);
const workloads = (): YamlDoc[] => [...ofKind('StatefulSet'), ...ofKind('Deployment')];
const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined): boolean => Object.entries(selector).every(([k, v]) => labels?.[k] === v);

function containerPort(pod: Obj, port: string | number): number | undefined {
  for (const c of pod.containers as Obj[])
    for (const p of (c.ports ?? []) as Obj[]) if (p.name === port || p.containerPort === port) return p.containerPort as number;
  return undefined;
}

/** Kubernetes quantity → a number (cores, bytes). */
function quantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G)?$/.exec(q);
  if (!m) throw new Error(`unparsed quantity ${q}`);
  const f: Record<string, number> = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9 };
  return Number(m[1]) * (m[2] === undefined ? 1 : f[m[2]]);
}

describe('deploy/k8s manifests', () => {
  it('are found, parse, and each passes its kind\'s OpenAPI schema', () => {
    expect(docs.length).toBeGreaterThanOrEqual(12);
    for (const d of docs) {
      const key = `${String(d.value.apiVersion)}/${String(d.value.kind)}`;
      const Model = MODELS[key];
      if (Model === undefined) throw new Error(`${where(d)}: no schema for ${key} (add it to MODELS)`);
      try {
        new Model(d.value as never).validate();
      } catch (e) {
        throw new Error(`${where(d)}: ${(e as Error).message}`);
      }
      if (d.value.kind !== 'Namespace') expect((d.value.metadata as Obj).namespace, where(d)).toBe('maker');
    }
  });

  it('the schema check is not a formality: it rejects a broken manifest', () => {
    const live = structuredClone(byName('StatefulSet', 'maker-live')!.value) as Obj;
    live.spec.replicas = 'one';
    delete live.spec.selector;
    live.spec.template.spec.containers[0].resources.limits.memory = '1 GB';
    let message = '';
    try {
      new StatefulSet(live as never).validate();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('spec/replicas must be integer');
    expect(message).toContain('required property selector');
    expect(message).toContain('limits/memory must match format "quantity"');
  });

  it('workloads: selectors match, non-root with a read-only root, requests within limits, mounts and probes resolve', () => {
    expect(workloads().length).toBeGreaterThanOrEqual(4);
    for (const d of workloads()) {
      const w = where(d);
      const spec = d.value.spec as Obj;
      const pod = spec.template.spec as Obj;
      expect(matches(spec.selector.matchLabels, spec.template.metadata.labels), `${w}: selector vs template labels`).toBe(true);
      expect(pod.securityContext?.runAsNonRoot, `${w}: runAsNonRoot`).toBe(true);
      expect(pod.securityContext?.runAsUser, `${w}: runAsUser`).toBeGreaterThan(0);
      expect(pod.securityContext?.seccompProfile?.type, `${w}: seccomp`).toBe('RuntimeDefault');
      expect(pod.automountServiceAccountToken, `${w}: no API token in pods that need none`).toBe(false);
      const volumes = new Set<string>([...((pod.volumes ?? []) as Obj[]).map((v) => v.name as string), ...((spec.volumeClaimTemplates ?? []) as Obj[]).map((v) => v.metadata.name as string)]);
      for (const c of pod.containers as Obj[]) {
        const cw = `${w} container ${String(c.name)}`;
        expect(c.securityContext?.allowPrivilegeEscalation, `${cw}: allowPrivilegeEscalation`).toBe(false);
        expect(c.securityContext?.readOnlyRootFilesystem, `${cw}: readOnlyRootFilesystem`).toBe(true);
        expect(c.securityContext?.capabilities?.drop, `${cw}: capabilities`).toContain('ALL');
        for (const r of ['cpu', 'memory']) {
          const req = c.resources?.requests?.[r];
          const lim = c.resources?.limits?.[r];
          expect(req, `${cw}: requests.${r}`).toBeDefined();
          expect(lim, `${cw}: limits.${r}`).toBeDefined();
          expect(quantity(req), `${cw}: ${r} request within its limit`).toBeLessThanOrEqual(quantity(lim));
        }
        for (const m of (c.volumeMounts ?? []) as Obj[]) expect(volumes.has(m.name), `${cw}: volume ${String(m.name)} is declared`).toBe(true);
        for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
          const p = c[probe] as Obj;
          const port = p?.httpGet?.port ?? p?.tcpSocket?.port;
          if (port !== undefined) expect(containerPort(pod, port), `${cw}: ${probe} port ${String(port)} is a container port`).toBeDefined();
        }
      }
      for (const v of (pod.volumes ?? []) as Obj[]) {
        if (v.configMap) expect(byName('ConfigMap', v.configMap.name), `${w}: ConfigMap ${String(v.configMap.name)}`).toBeDefined();
        if (v.persistentVolumeClaim) expect(byName('PersistentVolumeClaim', v.persistentVolumeClaim.claimName), `${w}: PVC ${String(v.persistentVolumeClaim.claimName)}`).toBeDefined();
        if (v.secret) expect(byName('Secret', v.secret.secretName), `${w}: Secret ${String(v.secret.secretName)}`).toBeDefined();
      }
      if (d.value.kind === 'StatefulSet') {
        const svc = byName('Service', spec.serviceName);
        expect(svc, `${w}: governing Service ${String(spec.serviceName)}`).toBeDefined();
        expect((svc!.value.spec as Obj).clusterIP, `${w}: governing Service is headless`).toBe('None');
      }
    }
  });

  it('every secret and config key a container reads exists in the example Secret / the ConfigMap', () => {
    const secretKeys = (name: string): Set<string> => {
      const s = byName('Secret', name);
      if (s === undefined) throw new Error(`no Secret ${name} in deploy/k8s (examples/secret.example.yaml)`);
      return new Set(Object.keys({ ...((s.value.stringData as Obj) ?? {}), ...((s.value.data as Obj) ?? {}) }));
    };
    let refs = 0;
    for (const d of workloads())
      for (const c of (d.value.spec as Obj).template.spec.containers as Obj[]) {
        for (const e of (c.env ?? []) as Obj[]) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref) {
            refs++;
            expect(secretKeys(ref.name).has(ref.key), `${where(d)}: Secret ${String(ref.name)} key ${String(ref.key)}`).toBe(true);
          }
          const cref = e.valueFrom?.configMapKeyRef;
          if (cref) expect(Object.keys((byName('ConfigMap', cref.name)?.value.data as Obj) ?? {}), `${where(d)}: ConfigMap key`).toContain(cref.key);
        }
        for (const f of (c.envFrom ?? []) as Obj[]) if (f.secretRef) secretKeys(f.secretRef.name);
      }
    expect(refs).toBeGreaterThanOrEqual(3);
    // The example holds placeholders only, never something that looks like a real key.
    for (const [k, v] of Object.entries((byName('Secret', 'maker-live')!.value.stringData as Record<string, string>) ?? {})) expect(v, k).toMatch(/^REPLACE_ME/);
  });

  it('services select pods and their target ports are container ports', () => {
    for (const d of ofKind('Service')) {
      const spec = d.value.spec as Obj;
      const pods = workloads().filter((w) => matches(spec.selector, (w.value.spec as Obj).template.metadata.labels));
      expect(pods.length, `${where(d)}: selects a workload`).toBeGreaterThan(0);
      for (const p of (spec.ports ?? []) as Obj[]) for (const w of pods) expect(containerPort((w.value.spec as Obj).template.spec, p.targetPort ?? p.port), `${where(d)}: port ${String(p.name)} → ${where(w)}`).toBeDefined();
    }
  });

  it('maker containers run the image of this version with a maker command line the CLI accepts', (ctx) => {
    const pending: string[] = [];
    let checked = 0;
    for (const d of workloads())
      for (const c of (d.value.spec as Obj).template.spec.containers as Obj[]) {
        if (!String(c.image).startsWith('maker:')) continue;
        expect(c.image, where(d)).toBe(`maker:${VERSION}`);
        expect(c.command, `${where(d)}: the image's entrypoint (tini, node bin/maker.js) runs the args`).toBeUndefined();
        const r = checkMakerArgs(c.args as string[], where(d));
        if (r.ok) checked++;
        else pending.push(`${where(d)}: ${r.pending}`);
        // tsx compiles the sources into /tmp: it must be writable under a read-only root.
        expect(((c.volumeMounts ?? []) as Obj[]).some((m) => m.mountPath === '/tmp'), `${where(d)}: /tmp mounted`).toBe(true);
      }
    expect(checked).toBeGreaterThanOrEqual(2);
    if (pending.length > 0) ctx.skip(`checked ${checked} maker containers; not yet: ${pending.join('; ')}`);
  });

  it('the live trader: one replica, a ReadWriteOncePod volume holding its --lock, probes on the dashboard, grace beyond the confirmed shutdown', () => {
    const d = byName('StatefulSet', 'maker-live')!;
    const spec = d.value.spec as Obj;
    expect(spec.replicas).toBe(1);
    const pod = spec.template.spec as Obj;
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0] as Obj;
    const args = checkMakerArgs(c.args as string[], where(d));
    if (!args.ok) throw new Error(args.pending);
    expect(args.command).toBe('live');
    // --lock on a claim template mount, and that claim mountable by one pod only.
    const lock = args.options.get('--lock') as string;
    expect(typeof lock).toBe('string');
    const mount = ((c.volumeMounts ?? []) as Obj[]).find((m) => lock.startsWith(`${String(m.mountPath)}/`));
    expect(mount, `--lock ${lock} is on a mounted volume`).toBeDefined();
    const claim = (spec.volumeClaimTemplates as Obj[]).find((t) => t.metadata.name === mount.name);
    expect(claim, `--lock ${lock} is on the StatefulSet's own claim, not an emptyDir`).toBeDefined();
    expect(claim.spec.accessModes).toEqual(['ReadWriteOncePod']);
    expect((args.options.get('--out') as string).startsWith(`${String(mount.mountPath)}/`), 'the run directories are on the volume too').toBe(true);
    // The dashboard: reachable by the kubelet (not loopback), on the port the probes and Prometheus use.
    const port = Number(args.options.get('--dashboard'));
    expect(args.options.get('--dashboard-host')).toBe('0.0.0.0');
    expect(containerPort(pod, 'dashboard')).toBe(port);
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.startupProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    const ann = spec.template.metadata.annotations as Record<string, string>;
    expect(ann['prometheus.io/port']).toBe(String(port));
    expect(ann['prometheus.io/path']).toBe('/metrics');
    // The scenario: the ConfigMap's file parses as a scenario; its dashboard token comes from the Secret; the grace period covers the confirmed shutdown.
    const scenarioPath = args.options.get('--scenario') as string;
    const smount = ((c.volumeMounts ?? []) as Obj[]).find((m) => scenarioPath.startsWith(`${String(m.mountPath)}/`));
    const cmName = (pod.volumes as Obj[]).find((v) => v.name === smount.name).configMap.name as string;
    const text = (byName('ConfigMap', cmName)!.value.data as Record<string, string>)[scenarioPath.slice(String(smount.mountPath).length + 1)];
    const scenario = parseScenario(text, `ConfigMap ${cmName}`);
    const envNames = ((c.env ?? []) as Obj[]).map((e) => e.name as string);
    expect(envNames).toContain(scenario.live.dashboard.tokenEnv);
    expect(envNames).toContain(scenario.live.apiKeyEnv);
    expect(envNames).toContain(scenario.live.secretEnv);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(scenario.live.shutdown.confirmTimeoutS + 15);
    // Safe default: paper until the operator removes --paper.
    expect(args.options.get('--paper')).toBe(true);
  });

  it('the recorder writes its store on its own claim; the workers reach Redis and read the shared store read-only', () => {
    for (const d of ofKind('StatefulSet').filter((x) => String((x.value.metadata as Obj).name).startsWith('maker-recorder-'))) {
      const spec = d.value.spec as Obj;
      const c = spec.template.spec.containers[0] as Obj;
      const args = checkMakerArgs(c.args as string[], where(d));
      if (!args.ok) throw new Error(args.pending);
      expect(args.command).toBe('record');
      const out = args.options.get('--out') as string;
      const mount = (c.volumeMounts as Obj[]).find((m) => m.mountPath === out);
      expect((spec.volumeClaimTemplates as Obj[]).map((t) => t.metadata.name), `${where(d)}: --out ${out} is its claim`).toContain(mount?.name);
      expect(spec.replicas).toBe(1);
      expect(spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(300);
    }
    const worker = byName('Deployment', 'maker-sweep-worker')!;
    const c = (worker.value.spec as Obj).template.spec.containers[0] as Obj;
    const args = c.args as string[];
    const url = new URL(args[args.indexOf('--queue') + 1]);
    const redis = byName('Service', url.hostname);
    expect(redis, `${where(worker)}: --queue ${url.href} names a Service`).toBeDefined();
    expect(((redis!.value.spec as Obj).ports as Obj[]).map((p) => p.port)).toContain(Number(url.port));
    const store = (c.volumeMounts as Obj[]).find((m) => m.mountPath === '/data/store');
    expect(store?.readOnly).toBe(true);
    const vol = ((worker.value.spec as Obj).template.spec.volumes as Obj[]).find((v) => v.name === store.name);
    expect((byName('PersistentVolumeClaim', vol.persistentVolumeClaim.claimName)!.value.spec as Obj).accessModes).toEqual(['ReadWriteMany']);
  });

  it('optional manifests point at what exists: the KEDA ScaledObject at the workers and Redis, the network policies at pods and ports', () => {
    const so = ofKind('ScaledObject')[0];
    const spec = so.value.spec as Obj;
    expect(byName('Deployment', spec.scaleTargetRef.name), where(so)).toBeDefined();
    const [host, port] = String(spec.triggers[0].metadata.address).split(':');
    expect(byName('Service', host.split('.')[0]), `${where(so)}: ${host}`).toBeDefined();
    expect(host.split('.')[1]).toBe('maker');
    expect(Number(port)).toBe(6379);
    // BullMQ keeps a queue's waiting jobs in the list bull:<queue>:wait: scale on the one `maker worker` consumes
    expect(spec.triggers[0].metadata.listName, where(so)).toBe(`bull:${QUEUE_NAME}:wait`);
    for (const d of ofKind('NetworkPolicy')) {
      const p = d.value.spec as Obj;
      const target = workloads().filter((w) => matches(p.podSelector.matchLabels, (w.value.spec as Obj).template.metadata.labels));
      expect(target.length, where(d)).toBe(1);
      for (const rule of p.ingress as Obj[]) for (const port of rule.ports as Obj[]) expect(containerPort((target[0].value.spec as Obj).template.spec, port.port), where(d)).toBeDefined();
    }
  });
});
