/**
 * The small kustomize renderer on fixtures of each feature it handles, with the
 * results kustomize gives (the hashes were printed by `kubectl kustomize`, v5.5),
 * and on what it must refuse. Where kubectl is installed the fixtures are also
 * rendered by it and compared.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  byIdentity,
  contentHash,
  encodeBase64,
  kubectlFound,
  kubectlKustomize,
  KustomizeError,
  renderKustomization,
  splitImage,
  type KObject,
} from './kustomize';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const TMP = mkdtempSync(join(tmpdir(), 'kustomize-spec-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

let fixtures = 0;
/** Writes the files (path → content) into a fresh directory and returns it. */
function fixture(files: Record<string, string>): string {
  const root = join(TMP, `f${++fixtures}`);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

function find(objects: KObject[], kind: string, name?: string): KObject & Json {
  const found = objects.filter(
    (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
  );
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0] as KObject & Json;
}

if (!kubectlFound) {
  console.warn(
    'kustomize.spec: kubectl is not on PATH, the fixtures are not compared with `kubectl kustomize`',
  );
}

/** Renders with both; where kubectl is installed, the two must give the same objects. */
function render(dir: string): KObject[] {
  const ours = renderKustomization(dir);
  if (kubectlFound) {
    expect(byIdentity(ours)).toEqual(byIdentity(kubectlKustomize(dir)));
  }
  return ours;
}

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: { app: web }
spec:
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      initContainers:
        - name: init
          image: busybox:1.36
      containers:
        - name: web
          image: registry.local:5000/team/web:1.0
          env:
            - name: URL
              valueFrom:
                secretKeyRef: { name: creds, key: URL }
            - name: MODE
              valueFrom:
                configMapKeyRef: { name: settings, key: MODE }
          envFrom:
            - configMapRef: { name: settings }
          volumeMounts:
            - { name: s, mountPath: /s }
      volumes:
        - name: s
          secret: { secretName: creds }
        - name: p
          projected:
            sources:
              - configMap: { name: settings }
              - secret: { name: creds }
`;

describe('renderKustomization', () => {
  it('namespace, labels with templates, and images', () => {
    const dir = fixture({
      'kustomization.yaml': `
namespace: shop
labels:
  - pairs: { team: blue }
    includeTemplates: true
resources: [ns.yaml, app.yaml, more]
images:
  - { name: registry.local:5000/team/web, newTag: '2.0' }
  - { name: busybox, newName: mirror.local/busybox }
  - { name: redis, digest: 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' }
`,
      'ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: { name: anything }\n',
      'app.yaml': `${DEPLOYMENT}---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: reader }
rules: []
`,
      'more/kustomization.yaml': 'resources: [db.yaml]\n',
      'more/db.yaml': `apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db, namespace: elsewhere }
spec:
  serviceName: db
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec:
      containers: [{ name: db, image: 'redis:7' }]
  volumeClaimTemplates:
    - metadata: { name: data }
      spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
`,
    });
    const objects = render(dir);
    expect(find(objects, 'Namespace').metadata).toEqual({ name: 'shop', labels: { team: 'blue' } });
    const role = find(objects, 'ClusterRole');
    expect(role.metadata.namespace).toBeUndefined();
    const web = find(objects, 'Deployment', 'web');
    expect(web.metadata.namespace).toBe('shop');
    expect(web.metadata.labels).toEqual({ app: 'web', team: 'blue' });
    expect(web.spec.template.metadata.labels).toEqual({ app: 'web', team: 'blue' });
    expect(web.spec.selector.matchLabels).toEqual({ app: 'web' }); // selectors untouched
    expect(web.spec.template.spec.containers[0].image).toBe('registry.local:5000/team/web:2.0');
    expect(web.spec.template.spec.initContainers[0].image).toBe('mirror.local/busybox:1.36');
    const db = find(objects, 'StatefulSet', 'db');
    expect(db.metadata.namespace).toBe('shop');
    expect(db.spec.volumeClaimTemplates[0].metadata.labels).toEqual({ team: 'blue' });
    expect(db.spec.template.spec.containers[0].image).toBe(
      'redis@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    );
  });

  it('generators: content hashes, quotes, env files, and references rewritten in pod templates', () => {
    const dir = fixture({
      'kustomization.yaml': `
resources: [app.yaml]
configMapGenerator:
  - name: settings
    literals: [MODE="fast", 'PREFIX={fleetsim}']
  - name: plain
    literals: [A=1]
    options: { disableNameSuffixHash: true }
secretGenerator:
  - name: creds
    envs: [creds.env]
`,
      'app.yaml': DEPLOYMENT,
      'creds.env':
        '# the URL\n\n  REDIS_URL=rediss://fleetsim:change-me@redis.example.com:6380/0\n',
    });
    const objects = render(dir);
    const settings = find(objects, 'ConfigMap', 'settings-cbbgk5tgm2');
    expect(settings.data).toEqual({ MODE: 'fast', PREFIX: '{fleetsim}' });
    expect(find(objects, 'ConfigMap', 'plain').data).toEqual({ A: '1' });
    const creds = find(objects, 'Secret', 'creds-627fc4kf55');
    expect(creds.type).toBe('Opaque');
    expect(creds.data.REDIS_URL).toBe(
      'cmVkaXNzOi8vZmxlZXRzaW06Y2hhbmdlLW1lQHJlZGlzLmV4YW1wbGUuY29tOjYzODAvMA\n==\n',
    );
    const pod = find(objects, 'Deployment', 'web').spec.template.spec;
    expect(pod.containers[0].env.map((e: Json) => Object.values(e.valueFrom)[0])).toEqual([
      { name: 'creds-627fc4kf55', key: 'URL' },
      { name: 'settings-cbbgk5tgm2', key: 'MODE' },
    ]);
    expect(pod.containers[0].envFrom[0].configMapRef.name).toBe('settings-cbbgk5tgm2');
    expect(pod.volumes[0].secret.secretName).toBe('creds-627fc4kf55');
    expect(pod.volumes[1].projected.sources).toEqual([
      { configMap: { name: 'settings-cbbgk5tgm2' } },
      { secret: { name: 'creds-627fc4kf55' } },
    ]);
  });

  it('an overlay merges into or replaces a generated object of its base, which keeps its namespace', () => {
    const dir = fixture({
      'base/kustomization.yaml': `
namespace: shop
resources: [app.yaml]
configMapGenerator:
  - { name: settings, literals: [MODE=fast, LEVEL=1] }
secretGenerator:
  - { name: creds, literals: [URL=redis://db:6379] }
`,
      'base/app.yaml': DEPLOYMENT,
      'overlay/kustomization.yaml': `
resources: [../base]
configMapGenerator:
  - { name: settings, behavior: merge, literals: [LEVEL=2] }
secretGenerator:
  - { name: creds, behavior: replace, literals: [URL=redis://other:6379] }
`,
    });
    const objects = render(join(dir, 'overlay'));
    const settings = find(objects, 'ConfigMap');
    expect(settings.metadata.namespace).toBe('shop');
    expect(settings.data).toEqual({ MODE: 'fast', LEVEL: '2' });
    const creds = find(objects, 'Secret');
    expect(Buffer.from(creds.data.URL, 'base64').toString()).toBe('redis://other:6379');
    expect(find(objects, 'Deployment').spec.template.spec.volumes[0].secret.secretName).toBe(
      creds.metadata.name,
    );
  });

  it('components see the resources before them; JSON 6902 patches and $patch: delete', () => {
    const dir = fixture({
      'base/kustomization.yaml': 'namespace: shop\nresources: [app.yaml]\n',
      'base/app.yaml': `${DEPLOYMENT}---
apiVersion: v1
kind: Service
metadata: { name: web }
spec: { selector: { app: web }, ports: [{ port: 80 }] }
`,
      'comp/kustomization.yaml': `
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources: [hpa.yaml]
patches:
  - target: { kind: Deployment, name: we. }
    patch: |-
      - { op: add, path: /spec/replicas, value: 3 }
      - { op: replace, path: /spec/template/spec/containers/0/name, value: app }
      - { op: add, path: /spec/template/spec/containers/0/args, value: [serve] }
      - { op: add, path: /spec/template/spec/containers/0/args/-, value: --fast }
      - { op: remove, path: /spec/template/spec/initContainers }
  - patch: |-
      $patch: delete
      apiVersion: v1
      kind: Service
      metadata: { name: web }
`,
      'comp/hpa.yaml': `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: web }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
  maxReplicas: 5
`,
      'overlay/kustomization.yaml':
        'namespace: shop\nresources: [../base]\ncomponents: [../comp]\n',
    });
    const objects = render(join(dir, 'overlay'));
    expect(objects.map((o) => `${o.kind} ${o.metadata.namespace}`).sort()).toEqual([
      'Deployment shop',
      'HorizontalPodAutoscaler shop',
    ]);
    const web = find(objects, 'Deployment').spec;
    expect(web.replicas).toBe(3);
    expect(web.template.spec.containers[0]).toMatchObject({
      name: 'app',
      args: ['serve', '--fast'],
    });
    expect(web.template.spec.initContainers).toBeUndefined();
  });
});

describe('renderKustomization refuses', () => {
  const refuses = (files: Record<string, string>, message: RegExp, at = '') => {
    const dir = fixture(files);
    expect(() => renderKustomization(join(dir, at))).toThrow(KustomizeError);
    expect(() => renderKustomization(join(dir, at))).toThrow(message);
  };
  const app = { 'app.yaml': DEPLOYMENT };

  it('fields it does not implement', () => {
    refuses(
      { 'kustomization.yaml': 'commonLabels: { a: b }\n' },
      /"commonLabels" is not supported/,
    );
    refuses(
      { 'kustomization.yaml': 'labels: [{ pairs: { a: b }, includeSelectors: true }]\n' },
      /includeSelectors is not supported/,
    );
    refuses(
      {
        ...app,
        'kustomization.yaml':
          'resources: [app.yaml]\npatches:\n  - patch: "{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {replicas: 2}}"\n',
      },
      /strategic-merge patches other than/,
    );
    refuses(
      {
        ...app,
        'kustomization.yaml':
          'resources: [app.yaml]\npatches:\n  - target: { kind: Deployment }\n    patch: "[{op: move, from: /a, path: /b}]"\n',
      },
      /"from" is not supported|op "move"/,
    );
  });

  it('patches of what is not there, twice the same object, and generators that cannot merge', () => {
    refuses(
      {
        ...app,
        'kustomization.yaml':
          'resources: [app.yaml]\npatches:\n  - target: { kind: Deployment }\n    patch: "[{op: remove, path: /spec/replicas}]"\n',
      },
      /\/spec\/replicas does not exist/,
    );
    refuses(
      { ...app, 'kustomization.yaml': 'resources: [app.yaml, app.yaml]\n' },
      /Deployment web is already there/,
    );
    refuses(
      {
        'kustomization.yaml': 'secretGenerator: [{ name: x, behavior: merge, literals: [A=1] }]\n',
      },
      /does not exist; cannot merge/,
    );
    refuses(
      {
        'kustomization.yaml':
          'patches:\n  - patch: "{$patch: delete, apiVersion: v1, kind: Service, metadata: {name: gone}}"\n',
      },
      /0 objects match Service gone/,
    );
  });

  it('files outside the kustomization, env lines without a value, components as resources', () => {
    refuses(
      { 'k/kustomization.yaml': 'resources: [../app.yaml]\n', ...app },
      /outside the kustomization's directory/,
      'k',
    );
    refuses(
      {
        'kustomization.yaml': 'secretGenerator: [{ name: x, envs: [x.env] }]\n',
        'x.env': 'HOME\n',
      },
      /x\.env:1: not KEY=VALUE/,
    );
    refuses(
      {
        'kustomization.yaml': 'resources: [c]\n',
        'c/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n',
      },
      /expected a Kustomization, found a Component/,
    );
    refuses({ 'x.yaml': '' }, /no kustomization\.yaml/);
  });
});

describe('kustomize encodings', () => {
  it('hashes content only, as kustomize v5 does', () => {
    const configMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'any' },
      data: { QUEUE_PREFIX: '{fleetsim}' },
    };
    expect(contentHash(configMap)).toBe('5b7mm8mbb8');
    expect(contentHash({ ...configMap, metadata: { name: 'other' } })).toBe('5b7mm8mbb8');
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'fleetsim-redis' },
      type: 'Opaque',
      data: { REDIS_URL: encodeBase64('redis://fleetsim-redis:6379') },
    };
    expect(contentHash(secret)).toBe('57g542f2tm');
  });

  it('wraps base64 at 70 characters once it is longer than one line', () => {
    expect(encodeBase64('short')).toBe('c2hvcnQ=');
    const long = encodeBase64('x'.repeat(120));
    expect(long.split('\n').map((line) => line.length)).toEqual([70, 70, 20, 0]);
    expect(Buffer.from(long, 'base64').toString()).toBe('x'.repeat(120));
  });

  it('splits image references, a registry port included', () => {
    expect(splitImage('redis')).toEqual({ name: 'redis', tag: '', digest: '' });
    expect(splitImage('registry.local:5000/web:1.0')).toEqual({
      name: 'registry.local:5000/web',
      tag: '1.0',
      digest: '',
    });
    expect(splitImage('web:1@sha256:ab')).toEqual({ name: 'web', tag: '1', digest: 'sha256:ab' });
    expect(splitImage('web@sha256:ab')).toEqual({ name: 'web', tag: '', digest: 'sha256:ab' });
  });
});
