/**
 * A small kustomize renderer, for the features deploy/k8s uses and nothing more,
 * so the tests can render the manifests without the kustomize or kubectl binary.
 * It follows kustomize v5 (the one in kubectl >= 1.27):
 *
 * - `resources` (files, or directories holding a Kustomization), `components`
 *   (applied after the resources and generators of the kustomization that lists
 *   them, to everything accumulated so far);
 * - `configMapGenerator` and `secretGenerator` (`literals`, `envs`, `type`,
 *   `behavior: create|merge|replace`, `disableNameSuffixHash`), with kustomize's
 *   content hash in the name and the references to it rewritten in pod templates;
 * - `patches`: JSON 6902 operation lists with a `target`, and strategic-merge
 *   patches that only say `$patch: delete`;
 * - `namespace`, `labels` (`pairs`, `includeTemplates`), `images`.
 *
 * Anything else (a field, a patch or an env-file line it does not handle) throws
 * a {@link KustomizeError} naming it, rather than rendering something kustomize
 * would not. test/k8s.spec.ts compares its output with `kubectl kustomize` where
 * kubectl is installed.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/** Whether kubectl (which bundles kustomize) is on PATH, to compare this renderer with. */
export const kubectlFound =
  spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).error === undefined;

/** `kubectl kustomize dir`, parsed; throws with kubectl's message when it fails. */
export function kubectlKustomize(dir: string): KObject[] {
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(`kubectl kustomize ${dir} exited ${result.status}: ${result.stderr}`);
  }
  return parseAllDocuments(result.stdout).map((doc) => doc.toJS() as KObject);
}

/** Objects keyed by `Kind namespace/name`, as plain JSON: two renderings compare with toEqual. */
export function byIdentity(objects: readonly KObject[]): Record<string, unknown> {
  return Object.fromEntries(
    objects.map((o) => [
      `${o.kind} ${o.metadata.namespace ?? '-'}/${o.metadata.name}`,
      JSON.parse(JSON.stringify(o)) as unknown,
    ]),
  );
}

/** A Kubernetes object as kustomize prints it. */
export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/** The kustomization uses something this renderer does not handle, or is wrong. */
export class KustomizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KustomizeError';
  }
}

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** Fields of a Kustomization (or Component) this renderer implements. */
const KUSTOMIZATION_FIELDS = [
  'apiVersion',
  'kind',
  'resources',
  'components',
  'namespace',
  'labels',
  'images',
  'patches',
  'configMapGenerator',
  'secretGenerator',
  'generatorOptions',
];

/** Kinds without a namespace (kustomize's list, the ones a small app may ship). */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'APIService',
]);

/** Kinds whose namespace handling goes beyond metadata.namespace in kustomize (subjects, service refs). */
const NAMESPACE_UNSUPPORTED = new Set([
  'RoleBinding',
  'ClusterRoleBinding',
  'APIService',
  'CustomResourceDefinition',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
]);

/** Where `labels: includeTemplates` puts the labels besides metadata.labels (kustomize's templateLabels). */
const TEMPLATE_LABEL_PATHS: Record<string, string[][]> = {
  Deployment: [['spec', 'template', 'metadata', 'labels']],
  ReplicaSet: [['spec', 'template', 'metadata', 'labels']],
  DaemonSet: [['spec', 'template', 'metadata', 'labels']],
  StatefulSet: [['spec', 'template', 'metadata', 'labels']],
  Job: [['spec', 'template', 'metadata', 'labels']],
  ReplicationController: [['spec', 'template', 'metadata', 'labels']],
  CronJob: [
    ['spec', 'jobTemplate', 'metadata', 'labels'],
    ['spec', 'jobTemplate', 'spec', 'template', 'metadata', 'labels'],
  ],
};

/** Where a kind keeps its pod spec (for references to generated ConfigMaps and Secrets). */
const POD_SPEC_PATHS: Record<string, string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

interface ResId {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
}

interface Resource {
  object: KObject;
  /** The ids it had before a namespace change, oldest first (kustomize's previous ids). */
  previousIds: ResId[];
  /** A generated ConfigMap or Secret whose name gets the content hash. */
  hashSuffix: boolean;
}

type Json = Record<string, unknown>;

/** Renders the kustomization in `dir` into the objects `kustomize build dir` prints (in another order). */
export function renderKustomization(dir: string): KObject[] {
  const resources = accumulate(resolve(dir), 'Kustomization', []);
  addHashSuffixes(resources);
  return resources.map((r) => r.object);
}

/** Reads one kustomization, adds its resources to `acc` and transforms them all. */
function accumulate(dir: string, expectedKind: 'Kustomization' | 'Component', acc: Resource[]) {
  const k = readKustomization(dir, expectedKind);
  const where = `${kustomizationFile(dir)}`;

  for (const entry of list<string>(k.resources, `${where}: resources`)) {
    const path = resolve(dir, entry);
    if (!existsSync(path)) {
      throw new KustomizeError(`${where}: resource ${entry} does not exist`);
    }
    if (statSync(path).isDirectory()) {
      for (const res of accumulate(path, 'Kustomization', [])) {
        append(acc, res, `${where}: resource ${entry}`);
      }
    } else {
      insideRoot(dir, path, where);
      for (const object of readObjects(path)) {
        append(acc, { object, previousIds: [], hashSuffix: false }, `${where}: ${entry}`);
      }
    }
  }

  const options = (k.generatorOptions ?? {}) as Json;
  onlyKeys(options, ['disableNameSuffixHash'], `${where}: generatorOptions`);
  for (const kind of ['ConfigMap', 'Secret'] as const) {
    const field = kind === 'ConfigMap' ? 'configMapGenerator' : 'secretGenerator';
    for (const args of list<Json>(k[field], `${where}: ${field}`)) {
      generate(dir, kind, args, options, acc, `${where}: ${field} ${String(args.name)}`);
    }
  }

  for (const entry of list<string>(k.components, `${where}: components`)) {
    accumulate(resolve(dir, entry), 'Component', acc);
  }

  // kustomize's order of the built-in transformers.
  for (const [i, patch] of list<Json>(k.patches, `${where}: patches`).entries()) {
    applyPatch(dir, patch, acc, `${where}: patches[${i}]`);
  }
  if (k.namespace !== undefined) {
    setNamespace(String(k.namespace), acc);
  }
  for (const [i, label] of list<Json>(k.labels, `${where}: labels`).entries()) {
    addLabels(label, acc, `${where}: labels[${i}]`);
  }
  for (const [i, image] of list<Json>(k.images, `${where}: images`).entries()) {
    setImages(image, acc, `${where}: images[${i}]`);
  }
  return acc;
}

function kustomizationFile(dir: string): string {
  const found = KUSTOMIZATION_FILES.filter((name) => existsSync(join(dir, name)));
  if (found.length !== 1) {
    throw new KustomizeError(
      found.length === 0
        ? `${dir}: no kustomization.yaml`
        : `${dir}: more than one kustomization file (${found.join(', ')})`,
    );
  }
  return join(dir, found[0]);
}

function readKustomization(dir: string, expectedKind: string): Json {
  const file = kustomizationFile(dir);
  const k = (parse(readFileSync(file, 'utf8')) ?? {}) as Json;
  const kind = (k.kind as string | undefined) ?? 'Kustomization';
  if (kind !== expectedKind) {
    throw new KustomizeError(`${file}: expected a ${expectedKind}, found a ${kind}`);
  }
  onlyKeys(k, KUSTOMIZATION_FIELDS, file);
  return k;
}

/** kustomize's load restrictor: files a kustomization reads lie under its directory. */
function insideRoot(dir: string, path: string, where: string): void {
  const rel = relative(dir, path);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new KustomizeError(`${where}: ${path} is outside the kustomization's directory`);
  }
}

function readObjects(file: string): KObject[] {
  const objects: KObject[] = [];
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    if (doc.errors.length > 0) {
      throw new KustomizeError(`${file}: ${doc.errors[0].message}`);
    }
    const object = doc.toJS() as KObject | null;
    if (object === null) {
      continue; // an empty document
    }
    if (!object.apiVersion || !object.kind || !object.metadata?.name) {
      throw new KustomizeError(`${file}: an object without apiVersion, kind or metadata.name`);
    }
    objects.push(object);
  }
  return objects;
}

function list<T>(value: unknown, where: string): T[] {
  if (value === undefined || value === null) {
    return [];
  }
  if (!Array.isArray(value)) {
    throw new KustomizeError(`${where}: must be a list`);
  }
  return value as T[];
}

function onlyKeys(object: object, allowed: string[], where: string): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      throw new KustomizeError(`${where}: "${key}" is not supported by this renderer`);
    }
  }
}

// --- ids ---------------------------------------------------------------------

function currentId(object: KObject): ResId {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    namespace: object.metadata.namespace ?? '',
  };
}

function effectiveNamespace(id: ResId): string {
  return CLUSTER_SCOPED.has(id.kind) ? '' : id.namespace || 'default';
}

function sameId(a: ResId, b: ResId): boolean {
  return (
    a.apiVersion === b.apiVersion &&
    a.kind === b.kind &&
    a.name === b.name &&
    effectiveNamespace(a) === effectiveNamespace(b)
  );
}

function describe(id: ResId): string {
  return `${id.kind} ${id.namespace ? `${id.namespace}/` : ''}${id.name}`;
}

/** Resources whose current or any previous id is `id` (kustomize's GetMatchingResourcesByAnyId). */
function byAnyId(acc: Resource[], id: ResId): Resource[] {
  return acc.filter((r) => [...r.previousIds, currentId(r.object)].some((x) => sameId(x, id)));
}

function append(acc: Resource[], res: Resource, where: string): void {
  const id = currentId(res.object);
  if (acc.some((r) => sameId(currentId(r.object), id))) {
    throw new KustomizeError(`${where}: ${describe(id)} is already there`);
  }
  acc.push(res);
}

// --- generators --------------------------------------------------------------

function generate(
  dir: string,
  kind: 'ConfigMap' | 'Secret',
  args: Json,
  globalOptions: Json,
  acc: Resource[],
  where: string,
): void {
  onlyKeys(
    args,
    ['name', 'behavior', 'literals', 'envs', 'options', ...(kind === 'Secret' ? ['type'] : [])],
    where,
  );
  const options = (args.options ?? {}) as Json;
  onlyKeys(options, ['disableNameSuffixHash'], `${where}: options`);
  if (typeof args.name !== 'string' || args.name === '') {
    throw new KustomizeError(`${where}: a generator needs a name`);
  }
  const pairs = new Map<string, string>();
  const add = (key: string, value: string, from: string) => {
    if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
      throw new KustomizeError(`${where}: ${from}: "${key}" is not a valid key`);
    }
    if (pairs.has(key)) {
      throw new KustomizeError(`${where}: ${from}: key ${key} twice`);
    }
    pairs.set(key, value);
  };
  for (const literal of list<string>(args.literals, `${where}: literals`)) {
    const eq = literal.indexOf('=');
    if (eq < 1) {
      throw new KustomizeError(`${where}: literal "${literal}" is not KEY=VALUE`);
    }
    add(literal.slice(0, eq), removeQuotes(literal.slice(eq + 1)), 'literals');
  }
  for (const env of list<string>(args.envs, `${where}: envs`)) {
    const path = resolve(dir, env);
    insideRoot(dir, path, where);
    for (const [key, value] of readEnvFile(path)) {
      add(key, value, env);
    }
  }
  const data = Object.fromEntries(
    [...pairs].map(([key, value]) => [key, kind === 'Secret' ? encodeBase64(value) : value]),
  );
  const object: KObject = {
    apiVersion: 'v1',
    kind,
    metadata: { name: args.name },
    data,
    ...(kind === 'Secret' ? { type: (args.type as string | undefined) ?? 'Opaque' } : {}),
  };
  const hashSuffix = !(options.disableNameSuffixHash ?? globalOptions.disableNameSuffixHash);
  const behavior = (args.behavior as string | undefined) ?? 'create';
  const matches = byAnyId(acc, currentId(object));
  if (behavior === 'create') {
    if (matches.length > 0) {
      throw new KustomizeError(`${where}: ${describe(currentId(object))} is already there`);
    }
    acc.push({ object, previousIds: [], hashSuffix });
    return;
  }
  if (behavior !== 'merge' && behavior !== 'replace') {
    throw new KustomizeError(`${where}: behavior "${behavior}" (create, merge or replace)`);
  }
  if (matches.length !== 1) {
    throw new KustomizeError(
      `${where}: ${describe(currentId(object))} ${matches.length === 0 ? 'does not exist' : 'is ambiguous'}; cannot ${behavior}`,
    );
  }
  // Like kustomize: keep the old name, namespace, labels and annotations (new ones win).
  const old = matches[0];
  const oldMeta = old.object.metadata;
  object.metadata = {
    ...oldMeta,
    labels: { ...oldMeta.labels, ...object.metadata.labels },
    annotations: { ...oldMeta.annotations, ...object.metadata.annotations },
  };
  for (const field of ['labels', 'annotations'] as const) {
    if (Object.keys(object.metadata[field] ?? {}).length === 0) {
      delete object.metadata[field];
    }
  }
  if (behavior === 'merge') {
    object.data = { ...(old.object.data as Json), ...data };
  }
  acc[acc.indexOf(old)] = { object, previousIds: old.previousIds, hashSuffix };
}

/** kustomize strips one pair of matching quotes around a literal's value. */
function removeQuotes(value: string): string {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) {
    return value.slice(1, -1);
  }
  return value;
}

/** KEY=VALUE lines; blank lines and # comments skipped; leading blanks trimmed. */
function readEnvFile(path: string): [string, string][] {
  const pairs: [string, string][] = [];
  readFileSync(path, 'utf8')
    .replace(/^\uFEFF/, '')
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.replace(/\r$/, '').trimStart();
      if (line === '' || line.startsWith('#')) {
        return;
      }
      const eq = line.indexOf('=');
      if (eq < 1) {
        // kustomize would read KEY from its own environment: not reproducible, so refused.
        throw new KustomizeError(`${path}:${i + 1}: not KEY=VALUE`);
      }
      pairs.push([line.slice(0, eq), line.slice(eq + 1)]);
    });
  return pairs;
}

/** Base64 as kustomize writes Secret data: lines of 70 characters, each ending in \n, once longer than one line. */
export function encodeBase64(value: string): string {
  const encoded = Buffer.from(value, 'utf8').toString('base64');
  const lineLength = 70;
  if (encoded.length < lineLength) {
    return encoded;
  }
  let out = '';
  for (let i = 0; i < encoded.length; i += lineLength) {
    out += `${encoded.slice(i, i + lineLength)}\n`;
  }
  return out;
}

/**
 * kustomize's name hash of a ConfigMap or Secret (sigs.k8s.io/kustomize/api/hasher).
 * Its `name` is always "": the hasher looks the name up as one field called
 * "metadata/name", which no object has; so the hash depends on the content only.
 */
export function contentHash(object: KObject): string {
  const fields: Json =
    object.kind === 'Secret'
      ? { kind: 'Secret', type: object.type ?? '', name: '', data: object.data ?? '' }
      : { kind: 'ConfigMap', name: '', data: object.data ?? '' };
  for (const extra of object.kind === 'Secret' ? ['stringData'] : ['binaryData']) {
    if (object[extra] !== undefined) {
      fields[extra] = object[extra];
    }
  }
  const hex = createHash('sha256').update(goJson(fields)).digest('hex');
  const swap: Record<string, string> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };
  return [...hex.slice(0, 10)].map((c) => swap[c] ?? c).join('');
}

/** JSON as Go's encoding/json writes it: sorted map keys, <, >, &, U+2028/9 escaped. */
function goJson(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sorted((v as Json)[k])]),
        )
      : Array.isArray(v)
        ? v.map(sorted)
        : v;
  return JSON.stringify(sorted(value)).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Appends the content hash to generated names and rewrites the references in pod templates. */
function addHashSuffixes(acc: Resource[]): void {
  for (const res of acc.filter((r) => r.hashSuffix)) {
    const { kind, metadata } = res.object;
    const oldName = metadata.name;
    const newName = `${oldName}-${contentHash(res.object)}`;
    metadata.name = newName;
    for (const other of acc) {
      if ((other.object.metadata.namespace ?? '') === (metadata.namespace ?? '')) {
        renameReferences(other.object, kind as 'ConfigMap' | 'Secret', oldName, newName);
      }
    }
  }
}

function renameReferences(
  object: KObject,
  kind: 'ConfigMap' | 'Secret',
  oldName: string,
  newName: string,
): void {
  const path = POD_SPEC_PATHS[object.kind];
  const podSpec = path && (getPath(object, path) as Json | undefined);
  if (!podSpec) {
    return;
  }
  const rename = (ref: unknown, field = 'name') => {
    if (ref && typeof ref === 'object' && (ref as Json)[field] === oldName) {
      (ref as Json)[field] = newName;
    }
  };
  const keyRef = kind === 'Secret' ? 'secretKeyRef' : 'configMapKeyRef';
  const envFromRef = kind === 'Secret' ? 'secretRef' : 'configMapRef';
  for (const container of [
    ...list<Json>(podSpec.containers, 'containers'),
    ...list<Json>(podSpec.initContainers, 'initContainers'),
  ]) {
    for (const env of list<Json>(container.env, 'env')) {
      rename((env.valueFrom as Json | undefined)?.[keyRef]);
    }
    for (const envFrom of list<Json>(container.envFrom, 'envFrom')) {
      rename(envFrom[envFromRef]);
    }
  }
  for (const volume of list<Json>(podSpec.volumes, 'volumes')) {
    if (kind === 'Secret') {
      rename(volume.secret, 'secretName');
    } else {
      rename(volume.configMap);
    }
    for (const source of list<Json>((volume.projected as Json | undefined)?.sources, 'sources')) {
      rename(source[kind === 'Secret' ? 'secret' : 'configMap']);
    }
  }
  if (kind === 'Secret') {
    for (const pullSecret of list<Json>(podSpec.imagePullSecrets, 'imagePullSecrets')) {
      rename(pullSecret);
    }
  }
}

// --- transformers ------------------------------------------------------------

function getPath(object: unknown, path: string[]): unknown {
  let node = object;
  for (const key of path) {
    if (node === null || typeof node !== 'object') {
      return undefined;
    }
    node = (node as Json)[key];
  }
  return node;
}

/** Sets each pair in the map at `path`, creating the maps on the way. */
function mergeMapAt(object: Json, path: string[], pairs: Record<string, string>): void {
  let node = object;
  for (const key of path) {
    node[key] ??= {};
    node = node[key] as Json;
  }
  Object.assign(node, pairs);
}

function applyPatch(dir: string, entry: Json, acc: Resource[], where: string): void {
  onlyKeys(entry, ['path', 'patch', 'target'], where);
  let text: string;
  if (typeof entry.path === 'string' && entry.patch === undefined) {
    const path = resolve(dir, entry.path);
    insideRoot(dir, path, where);
    text = readFileSync(path, 'utf8');
  } else if (typeof entry.patch === 'string' && entry.path === undefined) {
    text = entry.patch;
  } else {
    throw new KustomizeError(`${where}: give either path or patch`);
  }
  const patch = parse(text) as unknown;
  if (Array.isArray(patch)) {
    if (!entry.target) {
      throw new KustomizeError(`${where}: a JSON 6902 patch needs a target`);
    }
    for (const res of select(acc, entry.target as Json, where)) {
      for (const [i, op] of (patch as Json[]).entries()) {
        applyJsonPatchOp(res.object, op, `${where}: op ${i} on ${describe(currentId(res.object))}`);
      }
    }
    return;
  }
  const smp = patch as KObject & { $patch?: string };
  const rest = Object.keys(smp).filter(
    (k) => !['apiVersion', 'kind', 'metadata', '$patch'].includes(k),
  );
  if (smp.$patch !== 'delete' || rest.length > 0) {
    throw new KustomizeError(
      `${where}: strategic-merge patches other than a whole-object "$patch: delete" are not supported`,
    );
  }
  const targets = entry.target
    ? select(acc, entry.target as Json, where)
    : byAnyId(acc, {
        apiVersion: smp.apiVersion,
        kind: smp.kind,
        name: smp.metadata?.name,
        namespace: smp.metadata?.namespace ?? '',
      });
  if (!entry.target && targets.length !== 1) {
    throw new KustomizeError(
      `${where}: ${targets.length} objects match ${smp.kind} ${smp.metadata?.name}, expected exactly 1`,
    );
  }
  for (const res of targets) {
    acc.splice(acc.indexOf(res), 1);
  }
}

/** kustomize's patch target selection: anchored regular expressions, original or current name/namespace. */
function select(acc: Resource[], target: Json, where: string): Resource[] {
  onlyKeys(target, ['group', 'version', 'kind', 'name', 'namespace'], `${where}: target`);
  const matches = (field: string, value: string) =>
    target[field] === undefined || new RegExp(`^(?:${String(target[field])})$`).test(value);
  return acc.filter((res) => {
    const cur = currentId(res.object);
    const org = res.previousIds[0] ?? cur;
    const [group, version] = cur.apiVersion.includes('/')
      ? cur.apiVersion.split('/')
      : ['', cur.apiVersion];
    return (
      (matches('namespace', effectiveNamespace(org)) ||
        matches('namespace', effectiveNamespace(cur))) &&
      (matches('name', org.name) || matches('name', cur.name)) &&
      matches('group', group) &&
      matches('version', version) &&
      matches('kind', cur.kind)
    );
  });
}

function applyJsonPatchOp(object: KObject, op: Json, where: string): void {
  onlyKeys(op, ['op', 'path', 'value'], where);
  if (typeof op.path !== 'string' || !op.path.startsWith('/')) {
    throw new KustomizeError(`${where}: path must be a JSON pointer`);
  }
  const keys = op.path
    .slice(1)
    .split('/')
    .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = keys.pop()!;
  const parent = getPath(object, keys);
  if (parent === null || typeof parent !== 'object') {
    throw new KustomizeError(`${where}: ${op.path}: the parent does not exist`);
  }
  const isArray = Array.isArray(parent);
  const index = (allowEnd: boolean) => {
    const n = last === '-' && allowEnd ? (parent as unknown[]).length : Number(last);
    const max = (parent as unknown[]).length - (allowEnd ? 0 : 1);
    if (!/^(?:0|[1-9]\d*|-)$/.test(last) || !Number.isInteger(n) || n > max) {
      throw new KustomizeError(`${where}: ${op.path}: no such array index`);
    }
    return n;
  };
  const exists = isArray ? true : Object.hasOwn(parent, last);
  switch (op.op) {
    case 'add':
      if (isArray) {
        (parent as unknown[]).splice(index(true), 0, structuredClone(op.value));
      } else {
        (parent as Json)[last] = structuredClone(op.value);
      }
      return;
    case 'replace':
    case 'remove':
      if (isArray) {
        const i = index(false);
        if (op.op === 'replace') {
          (parent as unknown[])[i] = structuredClone(op.value);
        } else {
          (parent as unknown[]).splice(i, 1);
        }
        return;
      }
      if (!exists) {
        throw new KustomizeError(`${where}: ${op.path} does not exist`);
      }
      if (op.op === 'replace') {
        (parent as Json)[last] = structuredClone(op.value);
      } else {
        delete (parent as Json)[last];
      }
      return;
    default:
      throw new KustomizeError(
        `${where}: op "${String(op.op)}" is not supported (add, remove, replace)`,
      );
  }
}

function setNamespace(namespace: string, acc: Resource[]): void {
  for (const res of acc) {
    const { object } = res;
    if (NAMESPACE_UNSUPPORTED.has(object.kind)) {
      throw new KustomizeError(`namespace: ${object.kind} is not supported by this renderer`);
    }
    const before = currentId(object);
    if (object.kind === 'Namespace') {
      object.metadata.name = namespace;
    } else if (!CLUSTER_SCOPED.has(object.kind)) {
      object.metadata.namespace = namespace;
    }
    if (!sameId(before, currentId(object))) {
      res.previousIds.push(before);
    }
  }
}

function addLabels(entry: Json, acc: Resource[], where: string): void {
  onlyKeys(entry, ['pairs', 'includeSelectors', 'includeTemplates'], where);
  if (entry.includeSelectors) {
    throw new KustomizeError(`${where}: includeSelectors is not supported by this renderer`);
  }
  const pairs = Object.fromEntries(
    Object.entries((entry.pairs ?? {}) as Json).map(([k, v]) => [k, String(v)]),
  );
  for (const { object } of acc) {
    mergeMapAt(object, ['metadata', 'labels'], pairs);
    if (!entry.includeTemplates) {
      continue;
    }
    for (const path of TEMPLATE_LABEL_PATHS[object.kind] ?? []) {
      mergeMapAt(object, path, pairs);
    }
    if (object.kind === 'StatefulSet') {
      for (const claim of list<Json>(getPath(object, ['spec', 'volumeClaimTemplates']), where)) {
        mergeMapAt(claim, ['metadata', 'labels'], pairs);
      }
    }
  }
}

/** kustomize's image transformer: the `image` of every entry of every `containers` or `initContainers` list. */
function setImages(entry: Json, acc: Resource[], where: string): void {
  onlyKeys(entry, ['name', 'newName', 'newTag', 'digest'], where);
  if (typeof entry.name !== 'string') {
    throw new KustomizeError(`${where}: an image entry needs a name`);
  }
  const matcher = new RegExp(
    `^${entry.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(@sha256)?(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$`,
  );
  const update = (image: string): string => {
    if (!matcher.test(image)) {
      return image;
    }
    let { name, tag, digest } = splitImage(image);
    if (entry.newName !== undefined) {
      name = String(entry.newName);
    }
    if (entry.newTag !== undefined) {
      tag = String(entry.newTag);
      digest = entry.digest === undefined ? '' : String(entry.digest);
    } else if (entry.digest !== undefined) {
      tag = '';
      digest = String(entry.digest);
    }
    return `${name}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
  };
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
    } else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if ((key === 'containers' || key === 'initContainers') && Array.isArray(value)) {
          for (const container of value as Json[]) {
            if (typeof container?.image === 'string') {
              container.image = update(container.image);
            }
          }
        }
        walk(value);
      }
    }
  };
  for (const { object } of acc) {
    walk(object);
  }
}

/** name, tag and digest of an image reference (a registry's :port is part of the name). */
export function splitImage(image: string): { name: string; tag: string; digest: string } {
  const slash = Math.max(image.indexOf('/'), 0);
  const search = image.slice(slash);
  const at = search.indexOf('@');
  const colon = search.indexOf(':');
  if (at < 0 && colon < 0) {
    return { name: image, tag: '', digest: '' };
  }
  if (at >= 0 && (colon < 0 || at < colon)) {
    return { name: image.slice(0, slash + at), tag: '', digest: image.slice(slash + at + 1) };
  }
  if (at >= 0) {
    return {
      name: image.slice(0, slash + colon),
      tag: image.slice(slash + colon + 1, slash + at),
      digest: image.slice(slash + at + 1),
    };
  }
  return { name: image.slice(0, slash + colon), tag: image.slice(slash + colon + 1), digest: '' };
}
