/**
 * Checks of the Kubernetes manifests under deploy/k8s: every kustomization is
 * rendered in TypeScript (test/support/kustomize.ts) and every object is
 * validated against its schema from kubernetes-models / @kubernetes-models/*,
 * unknown fields included. Where kubectl is installed, `kubectl kustomize` must
 * give the very same objects. Then the cross-references that a schema cannot
 * see: Services, probes, env vars, Secrets and ConfigMaps, images, ports and the
 * autoscalers' query against what the apps really read, serve and export. No
 * cluster is needed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readCoordinatorConfig } from '../apps/coordinator/src/config/coordinator.config';
import { readWorkerConfig } from '../apps/node-worker/src/worker.config';
import { ROUTES } from '../libs/fleet-contract/src/http-contract';
import { readRedisConnection } from '../libs/fleet-platform/src/config';
import { QUEUE_JOB_STATES } from '../libs/fleet-platform/src/metrics';
import { SHARD_QUEUE } from '../libs/kdump-core/src/jobs';
import {
  byIdentity,
  kubectlFound,
  kubectlKustomize,
  renderKustomization,
  type KObject,
} from './support/kustomize';
import { exportedMetricNames, metricNames, sourceFiles } from './support/promql';

const ROOT = resolve(__dirname, '..');
const K8S = join(ROOT, 'deploy/k8s');
const NAMESPACE = 'fleetsim';
const PART_OF = { 'app.kubernetes.io/part-of': 'kdump-fleet-sim' };

/** Every kustomization a user may apply (the base too: it is complete without autoscaling). */
const KUSTOMIZATIONS = [
  'base',
  'overlays/external-redis',
  'overlays/hpa',
  'overlays/keda',
  'overlays/prometheus-operator',
];
const AUTOSCALED = KUSTOMIZATIONS.filter((k) => k !== 'base');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const rendered = new Map(KUSTOMIZATIONS.map((k) => [k, renderKustomization(join(K8S, k))]));
const objectsOf = (k: string): KObject[] => rendered.get(k)!;
const idOf = (o: KObject) => `${o.kind} ${o.metadata.namespace ?? '-'}/${o.metadata.name}`;

// --- schemas -----------------------------------------------------------------------

const requireModel = createRequire(__filename);

/** Model packages of API groups that are not Kubernetes' own. */
const CRD_MODEL_PACKAGES: Record<string, string> = {
  'keda.sh': '@kubernetes-models/keda',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

interface ModelClass {
  apiVersion: string;
  kind: string;
  prototype: { validate(): void };
}

/** The model class of apiVersion + kind, or undefined when no installed package has it. */
function modelClass(apiVersion: string, kind: string): ModelClass | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const pkg = CRD_MODEL_PACKAGES[group] ?? 'kubernetes-models';
  let mod: Record<string, ModelClass | undefined>;
  try {
    mod = requireModel(
      group === '' ? `${pkg}/${version}` : `${pkg}/${group}/${version}`,
    ) as typeof mod;
  } catch {
    return undefined;
  }
  const cls = mod[kind];
  return cls?.apiVersion === apiVersion && cls.kind === kind ? cls : undefined;
}

/**
 * Validates against the JSON schema and returns the fields the schema does not
 * know. Kubernetes' OpenAPI does not forbid unknown fields (the API server does,
 * with strict field validation), so the object is wrapped in a proxy that notes
 * which fields the validator reads: a field it never reads is not in the schema.
 */
function validateStrict(object: KObject): { error?: string; unknownFields: string[] } {
  const cls = modelClass(object.apiVersion, object.kind);
  if (!cls) {
    return { error: `no schema for ${object.apiVersion} ${object.kind}`, unknownFields: [] };
  }
  const unread = new Set<string>();
  const track = (node: unknown, path: string): unknown => {
    if (node === null || typeof node !== 'object') {
      return node;
    }
    if (Array.isArray(node)) {
      return new Proxy(node, {
        get: (target, key, receiver) => {
          const value = Reflect.get(target, key, receiver) as unknown;
          return typeof key === 'string' && /^\d+$/.test(key)
            ? track(value, `${path}/${key}`)
            : value;
        },
      });
    }
    for (const key of Object.keys(node)) {
      unread.add(`${path}/${key}`);
    }
    return new Proxy(node, {
      get: (target, key, receiver) => {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof key !== 'string') {
          return value;
        }
        unread.delete(`${path}/${key}`);
        return track(value, `${path}/${key}`);
      },
      ownKeys: (target) => {
        // A map (labels, data, ...): the validator enumerates it, every key is fine.
        for (const key of Object.keys(target)) {
          unread.delete(`${path}/${key}`);
        }
        return Reflect.ownKeys(target);
      },
    });
  };
  const copy = structuredClone(object);
  if (copy.kind === 'Secret' && copy.data) {
    // kustomize wraps long base64 values at 70 characters; the API server's base64
    // decoder (Go's) skips the newlines, the schema's "byte" format does not.
    for (const [key, value] of Object.entries(copy.data as Record<string, string>)) {
      (copy.data as Record<string, string>)[key] = value.replace(/\n/g, '');
    }
  }
  try {
    cls.prototype.validate.call(track(copy, ''));
  } catch (err) {
    return { error: (err as Error).message, unknownFields: [...unread] };
  }
  return { unknownFields: [...unread] };
}

// --- kubectl ---------------------------------------------------------------------

if (!kubectlFound) {
  console.warn(
    'k8s.spec: kubectl is not on PATH, skipping the comparison of the TypeScript renderer with `kubectl kustomize`',
  );
}

// --- the apps ----------------------------------------------------------------------

/** The image's default command (deploy/Dockerfile CMD): what a container without command/args runs. */
function imageCmd(): string[] {
  const dockerfile = readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8');
  const cmd = [...dockerfile.matchAll(/^CMD (\[.*\])$/gm)].at(-1);
  expect(cmd, 'deploy/Dockerfile has an exec-form CMD').toBeDefined();
  return JSON.parse(cmd![1]) as string[];
}

type App = 'coordinator' | 'node-worker';

/** Which app a container runs, from its command/args or the image's CMD. */
function appOf(container: Json): App | undefined {
  const argv = [
    ...((container.command as string[]) ?? []),
    ...((container.args as string[]) ?? []),
  ];
  const main = (argv.length > 0 ? argv : imageCmd()).find((arg) =>
    /^dist\/apps\/[\w-]+\/src\/main\.js$/.test(arg),
  );
  const app = main?.split('/')[2];
  return app === 'coordinator' || app === 'node-worker' ? app : undefined;
}

/**
 * Routes an app serves with @Get(...) in its controllers: a literal path, or a
 * route of the HTTP contract (`@Get(nestPath(ROUTES.health))`) without parameters.
 */
function routes(app: App): Set<string> {
  const dir = join(ROOT, 'apps', app, 'src');
  const found = new Set<string>();
  for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (file.endsWith('.controller.ts')) {
      const text = readFileSync(join(dir, file), 'utf8');
      for (const m of text.matchAll(/@Get\('([^':]*)'\)/g)) {
        found.add(`/${m[1]}`);
      }
      // Routes of the HTTP contract: @Get(nestPath(ROUTES.name)).
      for (const m of text.matchAll(/@Get\(nestPath\(ROUTES\.(\w+)\)\)/g)) {
        const route = (ROUTES as Record<string, { path: string }>)[m[1]!];
        if (route && !route.path.includes(':')) {
          found.add(route.path);
        }
      }
    }
  }
  return found;
}

/** Reads the app's configuration from `env` and returns it with the variables the reader looked at. */
function readConfig(app: App, env: Record<string, string>) {
  const read = new Set<string>();
  const tracked = new Proxy(env, {
    get: (target, key) => {
      if (typeof key === 'string') {
        read.add(key);
      }
      return target[key as string];
    },
  });
  const config =
    app === 'coordinator'
      ? { app, ...readCoordinatorConfig(tracked) }
      : { app, ...readWorkerConfig(tracked, '/unused/shard.processor.js') };
  return { config, read };
}

/** Sources of the apps' processes (not the CLI, which writes report files on a laptop). */
const APP_SOURCES = ['apps/coordinator/src', 'apps/node-worker/src', 'libs'];

/** `label="value"` and `label=~"regex"` matchers of a PromQL expression. */
function labelMatchers(expr: string): { label: string; op: string; value: string }[] {
  return [...expr.matchAll(/\b(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].map((m) => ({
    label: m[1],
    op: m[2],
    value: m[3],
  }));
}

// --- manifests helpers ---------------------------------------------------------------

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

function workloads(objects: KObject[]): KObject[] {
  return objects.filter((o) => WORKLOAD_KINDS.has(o.kind));
}

function podTemplate(workload: KObject): Json {
  return (workload.spec as Json).template as Json;
}

function containersOf(workload: KObject): Json[] {
  const spec = podTemplate(workload).spec as Json;
  return [...((spec.initContainers as Json[]) ?? []), ...(spec.containers as Json[])];
}

function selects(selector: Record<string, string>, labels: Record<string, string> = {}): boolean {
  return (
    Object.keys(selector).length > 0 &&
    Object.entries(selector).every(([key, value]) => labels[key] === value)
  );
}

/** Workloads whose pods carry every label of `selector`. */
function podsSelectedBy(objects: KObject[], selector: Record<string, string>): KObject[] {
  return workloads(objects).filter((w) =>
    selects(selector, (podTemplate(w).metadata as Json).labels as Record<string, string>),
  );
}

function byKind(objects: KObject[], kind: string): KObject[] {
  return objects.filter((o) => o.kind === kind);
}

function one(objects: KObject[], kind: string, name: string): KObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found.map(idOf), `${kind} ${name}`).toHaveLength(1);
  return found[0];
}

/** The app containers of every workload (the coordinator and the workers, not Redis). */
function appContainers(objects: KObject[]): { workload: KObject; container: Json; app: App }[] {
  return workloads(objects).flatMap((workload) =>
    containersOf(workload).flatMap((container) => {
      const app = appOf(container);
      return app ? [{ workload, container, app }] : [];
    }),
  );
}

/** The value of a ConfigMap's or Secret's key; throws naming the missing object or key. */
function referenced(
  objects: KObject[],
  kind: 'ConfigMap' | 'Secret',
  ref: Json,
  ns?: string,
): string {
  const target = objects.find(
    (o) => o.kind === kind && o.metadata.name === ref.name && o.metadata.namespace === ns,
  );
  if (!target) {
    throw new Error(`${kind} ${ns}/${String(ref.name)} is not among the rendered objects`);
  }
  const data = (target.data ?? {}) as Record<string, string>;
  if (!(ref.key in data)) {
    throw new Error(`${kind} ${String(ref.name)} has no key ${String(ref.key)}`);
  }
  const value = data[ref.key as string];
  return kind === 'Secret'
    ? Buffer.from(value.replace(/\s/g, ''), 'base64').toString('utf8')
    : value;
}

/** A container's environment with the references resolved. */
function resolvedEnv(
  objects: KObject[],
  workload: KObject,
  container: Json,
): Record<string, string> {
  const env: Record<string, string> = {};
  expect(container.envFrom, 'env is spelt out, one variable at a time').toBeUndefined();
  for (const e of (container.env as Json[]) ?? []) {
    const from = e.valueFrom as Json | undefined;
    env[e.name as string] = from?.secretKeyRef
      ? referenced(objects, 'Secret', from.secretKeyRef as Json, workload.metadata.namespace)
      : from?.configMapKeyRef
        ? referenced(
            objects,
            'ConfigMap',
            from.configMapKeyRef as Json,
            workload.metadata.namespace,
          )
        : String(e.value);
  }
  return env;
}

/** A Kubernetes quantity in base units (cores, bytes). */
function quantity(q: string | number): number {
  const m = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(q));
  if (!m) {
    throw new Error(`not a quantity: ${q}`);
  }
  const factor: Record<string, number> = {
    '': 1,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  return Number(m[1]) * factor[m[2] ?? ''];
}

/** A redis.conf memory size ("768mb") in bytes. */
function redisBytes(size: string): number {
  const m = /^(\d+)(k|kb|m|mb|g|gb)?$/i.exec(size);
  if (!m) {
    throw new Error(`not a Redis memory size: ${size}`);
  }
  const unit = (m[2] ?? '').toLowerCase();
  const factor: Record<string, number> = {
    '': 1,
    k: 1e3,
    kb: 2 ** 10,
    m: 1e6,
    mb: 2 ** 20,
    g: 1e9,
    gb: 2 ** 30,
  };
  return Number(m[1]) * factor[unit];
}

function baseKustomization(): Json {
  return parse(readFileSync(join(K8S, 'base/kustomization.yaml'), 'utf8')) as Json;
}

// --- the checks ------------------------------------------------------------------

describe('deploy/k8s', () => {
  it('tests every overlay there is', () => {
    const overlays = readdirSync(join(K8S, 'overlays')).map((dir) => `overlays/${dir}`);
    expect(KUSTOMIZATIONS.filter((k) => k.startsWith('overlays/')).sort()).toEqual(overlays.sort());
  });

  it('strict validation does catch a wrong type and an unknown field', () => {
    const worker = structuredClone(one(objectsOf('base'), 'Deployment', 'fleetsim-worker'));
    expect(validateStrict(worker)).toEqual({ unknownFields: [] });
    const container = containersOf(worker)[0];
    container.readinesProbe = container.readinessProbe; // a typo
    expect(validateStrict(worker).unknownFields).toEqual([
      '/spec/template/spec/containers/0/readinesProbe',
    ]);
    (worker.spec as Json).replicas = 'two';
    expect(validateStrict(worker).error).toContain('replicas must be integer');
    expect(validateStrict({ ...worker, apiVersion: 'apps/v1beta9' }).error).toContain('no schema');
  });

  it('the app sources write no files, so the root filesystem can be read-only', () => {
    const writers =
      /\b(?:writeFile|writeFileSync|appendFile|appendFileSync|createWriteStream|mkdir|mkdirSync|mkdtemp|mkdtempSync|rename|renameSync|copyFile|copyFileSync|rmSync|unlink|unlinkSync|tmpdir)\s*\(/;
    const offenders = APP_SOURCES.flatMap(sourceFiles).filter((file) =>
      writers.test(readFileSync(file, 'utf8')),
    );
    expect(offenders.map((file) => file.slice(ROOT.length + 1))).toEqual([]);
  });
});

describe.each(KUSTOMIZATIONS)('deploy/k8s/%s', (kustomization) => {
  const objects = objectsOf(kustomization);

  it('every object is valid against its Kubernetes or CRD schema, without unknown fields', () => {
    expect(objects.length).toBeGreaterThanOrEqual(8);
    const problems = objects.flatMap((object) => {
      const { error, unknownFields } = validateStrict(object);
      return [
        ...(error ? [`${idOf(object)}: ${error}`] : []),
        ...unknownFields.map((field) => `${idOf(object)}: unknown field ${field}`),
      ];
    });
    expect(problems).toEqual([]);
  });

  it('uses only GA Kubernetes APIs (none deprecated or removed by 1.27)', () => {
    for (const { apiVersion, kind } of objects) {
      const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
      if (!(group in CRD_MODEL_PACKAGES)) {
        expect(version, `${kind} ${apiVersion}`).toMatch(/^v\d+$/);
      }
    }
  });

  it.skipIf(!kubectlFound)('kubectl kustomize renders the very same objects', () => {
    const ours = byIdentity(objects);
    const theirs = byIdentity(kubectlKustomize(join(K8S, kustomization)));
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    expect(ours).toEqual(theirs);
  });

  it(`puts everything in namespace ${NAMESPACE} with the part-of label`, () => {
    for (const object of objects) {
      expect(object.metadata.labels, idOf(object)).toMatchObject(PART_OF);
      if (object.kind === 'Namespace') {
        expect(object.metadata.name).toBe(NAMESPACE);
      } else {
        expect(object.metadata.namespace, idOf(object)).toBe(NAMESPACE);
      }
    }
    for (const workload of workloads(objects)) {
      expect((podTemplate(workload).metadata as Json).labels, idOf(workload)).toMatchObject(
        PART_OF,
      );
    }
    expect(byKind(objects, 'Namespace')).toHaveLength(1);
  });

  it('every Service selects the pods of exactly one workload, on ports those pods name', () => {
    const services = byKind(objects, 'Service');
    expect(services.length).toBeGreaterThanOrEqual(2);
    for (const service of services) {
      const spec = service.spec as Json;
      const selected = podsSelectedBy(objects, spec.selector as Record<string, string>);
      expect(selected.map(idOf), idOf(service)).toHaveLength(1);
      const containerPorts = containersOf(selected[0]).flatMap((c) => (c.ports as Json[]) ?? []);
      for (const port of spec.ports as Json[]) {
        expect(
          containerPorts.some(
            (p) => p.name === port.targetPort || p.containerPort === port.targetPort,
          ),
          `${idOf(service)} port ${String(port.name)} → ${String(port.targetPort)}`,
        ).toBe(true);
      }
    }
    // Each workload's pods are selected by at most one Service (no two Services fight over them).
    for (const workload of workloads(objects)) {
      const labels = (podTemplate(workload).metadata as Json).labels as Record<string, string>;
      const over = services.filter((s) =>
        selects((s.spec as Json).selector as Record<string, string>, labels),
      );
      expect(over.length, idOf(workload)).toBeLessThanOrEqual(1);
    }
  });

  it('every workload selector matches its own pod template', () => {
    for (const workload of workloads(objects)) {
      const selector = ((workload.spec as Json).selector as Json).matchLabels as Record<
        string,
        string
      >;
      expect(podsSelectedBy(objects, selector).map(idOf), idOf(workload)).toEqual([idOf(workload)]);
    }
  });

  it('probes use named container ports and routes the apps serve', () => {
    for (const workload of workloads(objects)) {
      for (const container of containersOf(workload)) {
        const where = `${idOf(workload)} ${String(container.name)}`;
        const portNames = ((container.ports as Json[]) ?? []).map((p) => p.name as string);
        const app = appOf(container);
        for (const kind of ['readinessProbe', 'livenessProbe'] as const) {
          const probe = container[kind] as Json | undefined;
          expect(probe, `${where} ${kind}`).toBeDefined();
          const target = (probe!.httpGet ?? probe!.tcpSocket) as Json | undefined;
          if (target) {
            expect(portNames, `${where} ${kind} port`).toContain(target.port);
          }
          if (probe!.httpGet) {
            expect(app, `${where}: an HTTP probe on a container that is not an app`).toBeDefined();
            expect([...routes(app!)], `${where} ${kind} path`).toContain(probe!.httpGet.path);
          }
        }
        if (app) {
          // Ready means Redis answers; alive means the process answers HTTP (not Redis).
          expect((container.readinessProbe as Json).httpGet.path, where).toBe('/health');
          expect((container.livenessProbe as Json).httpGet.path, where).not.toBe('/health');
        }
      }
    }
  });

  it('sets only variables the apps read, with values their config readers accept', () => {
    const apps = appContainers(objects);
    expect(apps.map((a) => a.app).sort()).toEqual(['coordinator', 'node-worker']);
    for (const { workload, container, app } of apps) {
      const env = resolvedEnv(objects, workload, container);
      const { read } = readConfig(app, env);
      expect(
        Object.keys(env).filter((name) => !read.has(name)),
        `${app} sets unread variables`,
      ).toEqual([]);
      for (const name of ['REDIS_URL', 'QUEUE_PREFIX']) {
        expect(env[name], `${app} ${name}`).toBeDefined();
      }
    }
    const prefixes = new Set(
      apps.map(({ workload, container }) => resolvedEnv(objects, workload, container).QUEUE_PREFIX),
    );
    const urls = new Set(
      apps.map(({ workload, container }) => resolvedEnv(objects, workload, container).REDIS_URL),
    );
    expect(prefixes.size, 'one QUEUE_PREFIX for all').toBe(1);
    expect(urls.size, 'one REDIS_URL for all').toBe(1);
  });

  it('every secretKeyRef and configMapKeyRef names a rendered object and key', () => {
    let refs = 0;
    for (const workload of workloads(objects)) {
      for (const container of containersOf(workload)) {
        for (const e of (container.env as Json[]) ?? []) {
          const from = e.valueFrom as Json | undefined;
          if (from?.secretKeyRef) {
            refs++;
            expect(() =>
              referenced(objects, 'Secret', from.secretKeyRef as Json, workload.metadata.namespace),
            ).not.toThrow();
          }
          if (from?.configMapKeyRef) {
            refs++;
            expect(() =>
              referenced(
                objects,
                'ConfigMap',
                from.configMapKeyRef as Json,
                workload.metadata.namespace,
              ),
            ).not.toThrow();
          }
        }
      }
    }
    expect(refs).toBe(4);
  });

  it('container ports, scrape annotations and the configured ports agree', () => {
    for (const { workload, container, app } of appContainers(objects)) {
      const { config } = readConfig(app, resolvedEnv(objects, workload, container));
      const port = config.app === 'coordinator' ? config.port : config.metricsPort;
      const ports = (container.ports as Json[]).map((p) => p.containerPort as number);
      expect(ports, idOf(workload)).toEqual([port]);
      const annotations = (podTemplate(workload).metadata as Json).annotations as Record<
        string,
        string
      >;
      expect(annotations, idOf(workload)).toEqual({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(port),
        'prometheus.io/path': '/metrics',
      });
      expect([...routes(app)]).toContain('/metrics');
    }
  });

  it('the worker runs one shard per requested core and drains within its grace period', () => {
    const [worker] = appContainers(objects).filter((a) => a.app === 'node-worker');
    const { config } = readConfig(
      'node-worker',
      resolvedEnv(objects, worker.workload, worker.container),
    );
    if (config.app !== 'node-worker') {
      throw new Error('unreachable');
    }
    const cpu = quantity(worker.container.resources.requests.cpu as string);
    expect(Number.isInteger(cpu) && cpu >= 1, 'whole cores').toBe(true);
    expect(config.concurrency).toBe(cpu);
    // Waiting for a running shard is never slower than handing it back after a kill.
    const grace = (podTemplate(worker.workload).spec as Json)
      .terminationGracePeriodSeconds as number;
    expect(grace * 1000).toBeGreaterThanOrEqual(config.lockDurationMs + config.stalledIntervalMs);
    expect(worker.container.args).toEqual(['node', 'dist/apps/node-worker/src/main.js']);
    expect(existsSync(join(ROOT, 'apps/node-worker/src/main.ts'))).toBe(true);
  });

  it('every container has CPU and memory requests no larger than its limits', () => {
    for (const workload of workloads(objects)) {
      for (const container of containersOf(workload)) {
        const where = `${idOf(workload)} ${String(container.name)}`;
        const { requests, limits } = container.resources as { requests: Json; limits: Json };
        for (const resource of ['cpu', 'memory']) {
          expect(requests?.[resource], `${where} requests.${resource}`).toBeDefined();
          expect(limits?.[resource], `${where} limits.${resource}`).toBeDefined();
          expect(
            quantity(requests[resource] as string),
            `${where} ${resource}`,
          ).toBeLessThanOrEqual(quantity(limits[resource] as string));
        }
      }
    }
  });

  it('every pod meets the "restricted" Pod Security Standard its namespace enforces', () => {
    const namespace = one(objects, 'Namespace', NAMESPACE);
    expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const workload of workloads(objects)) {
      const spec = podTemplate(workload).spec as Json;
      const where = idOf(workload);
      expect(spec.automountServiceAccountToken, where).toBe(false);
      expect(spec.enableServiceLinks, where).toBe(false);
      expect(spec.securityContext, where).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      // Numeric: the kubelet cannot check runAsNonRoot against a user name (the image's USER node).
      expect(spec.securityContext.runAsUser, where).toBeGreaterThan(0);
      expect(spec.hostNetwork ?? false, where).toBe(false);
      for (const container of containersOf(workload)) {
        expect(container.securityContext, `${where} ${String(container.name)}`).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
      }
    }
  });

  it('app images are the kustomization images entry, built from deploy/Dockerfile', () => {
    const [entry] = (baseKustomization().images as Json[]).filter(
      (i) => i.name === 'kdump-fleet-sim',
    );
    expect(entry?.newTag, 'a pinned tag, not latest').toMatch(/^[\w][\w.-]*$/);
    expect(entry.newTag).not.toBe('latest');
    for (const { workload, container } of appContainers(objects)) {
      expect(container.image, idOf(workload)).toBe(
        `${String(entry.newName)}:${String(entry.newTag)}`,
      );
      expect(container.imagePullPolicy, idOf(workload)).toBe('IfNotPresent');
    }
    for (const workload of workloads(objects)) {
      for (const container of containersOf(workload)) {
        expect(container.image, `${idOf(workload)}: a tag`).toMatch(/:[\w][\w.-]*$/);
      }
    }
    expect(imageCmd()).toEqual(['node', 'dist/apps/coordinator/src/main.js']);
  });

  if (kustomization === 'overlays/external-redis') {
    it('runs no Redis and points REDIS_URL at the external one from redis.env', () => {
      expect(
        workloads(objects)
          .map((w) => w.metadata.name)
          .sort(),
      ).toEqual(['fleetsim-coordinator', 'fleetsim-worker']);
      expect(
        objects.filter((o) => o.metadata.name === 'fleetsim-redis' && o.kind !== 'Secret'),
      ).toEqual([]);
      const [app] = appContainers(objects);
      const url = resolvedEnv(objects, app.workload, app.container).REDIS_URL;
      const env = readFileSync(join(K8S, kustomization, 'redis.env'), 'utf8');
      expect(env).toContain(`REDIS_URL=${url}\n`);
      expect(readRedisConnection({ REDIS_URL: url }).host).not.toBe('fleetsim-redis');
    });
  } else {
    it('runs Redis 7 as docker-compose does, below its memory limit, behind REDIS_URL', () => {
      const redis = one(objects, 'StatefulSet', 'fleetsim-redis');
      const [container] = containersOf(redis);
      expect(container.image).toMatch(/^redis:7(?:[.:-]|$)/);
      const args = (container.args as string[]).join(' ');
      const compose = parse(readFileSync(join(ROOT, 'deploy/docker-compose.yml'), 'utf8'), {
        merge: true,
      }) as Json;
      const composeCommand = (compose.services.redis.command as string[]).join(' ');
      expect(args.startsWith(composeCommand), `${args} extends compose's ${composeCommand}`).toBe(
        true,
      );
      expect(args).toContain('--maxmemory-policy noeviction');
      expect(args).toContain('--appendonly yes');
      const maxmemory = /--maxmemory (\S+)/.exec(args);
      expect(maxmemory).not.toBeNull();
      expect(redisBytes(maxmemory![1])).toBeLessThan(
        0.9 * quantity(container.resources.limits.memory as string),
      );
      // AOF on a volume that outlives the pod.
      const claims = ((redis.spec as Json).volumeClaimTemplates as Json[]).map(
        (c) => c.metadata.name as string,
      );
      expect(
        (container.volumeMounts as Json[]).filter((m) => claims.includes(m.name as string)),
      ).toEqual([{ name: 'data', mountPath: '/data' }]);

      const service = one(objects, 'Service', 'fleetsim-redis');
      const [app] = appContainers(objects);
      const url = readRedisConnection(resolvedEnv(objects, app.workload, app.container));
      expect(url.host).toBe(service.metadata.name);
      expect(((service.spec as Json).ports as Json[]).map((p) => p.port)).toContain(url.port);
      expect((redis.spec as Json).serviceName).toBe(service.metadata.name);
    });

    it('lets only the apps reach Redis', () => {
      const policy = one(objects, 'NetworkPolicy', 'fleetsim-redis');
      const spec = policy.spec as Json;
      expect(
        podsSelectedBy(objects, spec.podSelector.matchLabels as Record<string, string>).map(idOf),
      ).toEqual([idOf(one(objects, 'StatefulSet', 'fleetsim-redis'))]);
      const [rule] = spec.ingress as Json[];
      const allowed = podsSelectedBy(
        objects,
        rule.from[0].podSelector.matchLabels as Record<string, string>,
      );
      expect(allowed.map((w) => w.metadata.name).sort()).toEqual([
        'fleetsim-coordinator',
        'fleetsim-worker',
      ]);
      const redisPorts = (
        containersOf(one(objects, 'StatefulSet', 'fleetsim-redis'))[0].ports as Json[]
      ).map((p) => p.name as string);
      expect(redisPorts).toContain(rule.ports[0].port);
    });
  }

  if (kustomization === 'base') {
    it('runs one coordinator and two workers, without an autoscaler', () => {
      expect((one(objects, 'Deployment', 'fleetsim-coordinator').spec as Json).replicas).toBe(1);
      expect((one(objects, 'Deployment', 'fleetsim-worker').spec as Json).replicas).toBe(2);
      expect(
        objects.filter((o) => ['ScaledObject', 'HorizontalPodAutoscaler'].includes(o.kind)),
      ).toEqual([]);
    });
  }
});

// --- autoscaling -----------------------------------------------------------------------

interface Scaler {
  kind: string;
  target: Json;
  min: number;
  max: number;
  perReplica: number;
}

function scalerOf(objects: KObject[]): Scaler {
  const scalers = objects.filter((o) =>
    ['ScaledObject', 'HorizontalPodAutoscaler'].includes(o.kind),
  );
  expect(scalers.map(idOf)).toHaveLength(1);
  const [s] = scalers;
  const spec = s.spec as Json;
  if (s.kind === 'ScaledObject') {
    const [trigger] = spec.triggers as Json[];
    return {
      kind: s.kind,
      target: spec.scaleTargetRef as Json,
      min: spec.minReplicaCount as number,
      max: spec.maxReplicaCount as number,
      perReplica: Number(trigger.metadata.threshold),
    };
  }
  const [metric] = spec.metrics as Json[];
  return {
    kind: s.kind,
    target: spec.scaleTargetRef as Json,
    min: spec.minReplicas as number,
    max: spec.maxReplicas as number,
    perReplica: quantity(metric.external.target.averageValue as string),
  };
}

function kedaQuery(): string {
  const [trigger] = (
    one(objectsOf('overlays/keda'), 'ScaledObject', 'fleetsim-worker').spec as Json
  ).triggers as Json[];
  expect(trigger.type).toBe('prometheus');
  return trigger.metadata.query as string;
}

describe.each(AUTOSCALED)('deploy/k8s/%s autoscaling', (kustomization) => {
  const objects = objectsOf(kustomization);

  it('scales the worker Deployment, which leaves its replica count to the autoscaler', () => {
    const scaler = scalerOf(objects);
    expect(scaler.target).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'fleetsim-worker',
    });
    const worker = one(objects, 'Deployment', scaler.target.name as string);
    expect(containersOf(worker).map(appOf)).toEqual(['node-worker']);
    expect((worker.spec as Json).replicas).toBeUndefined();
    expect(scaler.min).toBeGreaterThanOrEqual(1); // a trace request needs a worker within TRACE_TIMEOUT_MS
    expect(scaler.max).toBeGreaterThan(scaler.min);
    // At least every worker slot busy before another worker is asked for.
    const [w] = appContainers(objects).filter((a) => a.app === 'node-worker');
    const { config } = readConfig('node-worker', resolvedEnv(objects, w.workload, w.container));
    expect(scaler.perReplica).toBeGreaterThanOrEqual(
      config.app === 'node-worker' ? config.concurrency : NaN,
    );
  });
});

describe('deploy/k8s queue-depth autoscaling', () => {
  it('the KEDA and HPA variants scale alike', () => {
    const alike = (s: Scaler) => ({
      target: s.target,
      min: s.min,
      max: s.max,
      perReplica: s.perReplica,
    });
    expect(alike(scalerOf(objectsOf('overlays/hpa')))).toEqual(
      alike(scalerOf(objectsOf('overlays/keda'))),
    );
  });

  it('reads the shard queue from a metric the apps export, by states they report', () => {
    const query = kedaQuery();
    const exported = exportedMetricNames();
    expect(exported).toContain('fleetsim_queue_jobs'); // the source scan works
    expect(metricNames(query)).toEqual(['fleetsim_queue_jobs']);
    const matchers = labelMatchers(query);
    expect(matchers.find((m) => m.label === 'queue')).toEqual({
      label: 'queue',
      op: '=',
      value: SHARD_QUEUE,
    });
    const states = matchers.find((m) => m.label === 'state');
    expect(states?.op).toBe('=~');
    const listed = states!.value.split('|');
    expect(listed.filter((s) => !(QUEUE_JOB_STATES as readonly string[]).includes(s))).toEqual([]);
    expect(listed).toEqual(expect.arrayContaining(['waiting', 'active']));
    // Every app exports the same series: take one target's count, never a sum over them.
    expect(query).toMatch(/^max\(/);
  });

  it('the prometheus-adapter rule serves the HPA metric with the same query', () => {
    const values = parse(
      readFileSync(join(K8S, 'components/hpa/prometheus-adapter-values.yaml'), 'utf8'),
    ) as Json;
    const [rule] = values.rules.external as Json[];
    expect(rule.metricsQuery).toBe(kedaQuery());
    expect(metricNames(rule.seriesQuery as string)).toEqual(['fleetsim_queue_jobs']);
    const hpa = one(objectsOf('overlays/hpa'), 'HorizontalPodAutoscaler', 'fleetsim-worker');
    const [metric] = (hpa.spec as Json).metrics as Json[];
    expect(metric.type).toBe('External');
    expect(metric.external.metric.name).toBe(rule.name.as);
    const [trigger] = (
      one(objectsOf('overlays/keda'), 'ScaledObject', 'fleetsim-worker').spec as Json
    ).triggers as Json[];
    expect(`${String(values.prometheus.url)}:${String(values.prometheus.port)}`).toBe(
      trigger.metadata.serverAddress,
    );
  });
});

describe('deploy/k8s/overlays/prometheus-operator ServiceMonitors', () => {
  const objects = objectsOf('overlays/prometheus-operator');

  it('each selects one Service, on a port it names, and scrapes /metrics', () => {
    const monitors = byKind(objects, 'ServiceMonitor');
    expect(monitors.map((m) => m.metadata.name).sort()).toEqual([
      'fleetsim-coordinator',
      'fleetsim-worker',
    ]);
    for (const monitor of monitors) {
      const spec = monitor.spec as Json;
      const services = byKind(objects, 'Service').filter((s) =>
        selects(spec.selector.matchLabels as Record<string, string>, s.metadata.labels),
      );
      expect(services.map(idOf), idOf(monitor)).toHaveLength(1);
      const portNames = ((services[0].spec as Json).ports as Json[]).map((p) => p.name as string);
      for (const endpoint of spec.endpoints as Json[]) {
        expect(portNames).toContain(endpoint.port);
        expect(endpoint.path).toBe('/metrics');
      }
    }
  });

  it("the job labels (the Services' names) are the ones prometheus.yml and alerts.yml use", () => {
    const jobs = byKind(objects, 'ServiceMonitor').map((monitor) => {
      const spec = monitor.spec as Json;
      expect(spec.jobLabel).toBeUndefined(); // job = the Service's name
      return byKind(objects, 'Service').find((s) =>
        selects(spec.selector.matchLabels as Record<string, string>, s.metadata.labels),
      )!.metadata.name;
    });
    const prometheus = parse(
      readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8'),
    ) as Json;
    expect(jobs.sort()).toEqual(
      (prometheus.scrape_configs as Json[]).map((c) => c.job_name as string).sort(),
    );
    const alerts = readFileSync(join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8');
    const alertJobs = [...alerts.matchAll(/\bjob\s*=\s*"([^"]*)"/g)].map((m) => m[1]);
    expect(alertJobs.length).toBeGreaterThan(0);
    expect(alertJobs.filter((job) => !jobs.includes(job))).toEqual([]);
  });
});
