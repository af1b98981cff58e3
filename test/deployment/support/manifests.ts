import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ENVIRONMENT_VARIABLES } from '@app/config';

export const ROOT = resolve(__dirname, '../../..');

/** Every variable the service reads: the source of truth the artifacts are checked against. */
export const CONFIG_VARIABLES = new Set(Object.keys(ENVIRONMENT_VARIABLES));

/** The variables the config flags as secrets. */
export const SECRET_VARIABLES = new Set(
  Object.entries(ENVIRONMENT_VARIABLES)
    .filter(([, spec]) => 'secret' in spec && spec.secret)
    .map(([name]) => name),
);

export function readText(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/** A Kubernetes object as far as these tests look at it. */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> } & Record<
    string,
    unknown
  >;
  [key: string]: unknown;
}

/** The documents of a YAML file; a syntax error or an empty document fails the test. */
export function parseYamlDocuments(text: string, source: string): unknown[] {
  return parseAllDocuments(text, { merge: true }).map((document, index) => {
    if (document.errors.length > 0) {
      throw new Error(`${source} document ${index}: ${document.errors[0].message}`);
    }
    const value: unknown = document.toJS();
    if (value === null || value === undefined) throw new Error(`${source}: empty document`);
    return value;
  });
}

export function readManifests(folder: string): Array<{ file: string; object: KubernetesObject }> {
  return readdirSync(join(ROOT, folder))
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .flatMap((file) =>
      parseYamlDocuments(readText(join(folder, file)), file).map((object) => ({
        file,
        object: object as KubernetesObject,
      })),
    );
}

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: unknown) => Validatable;

/**
 * The model of `kubernetes-models` (core groups, Kubernetes 1.27 OpenAPI schemas) or of
 * `@kubernetes-models/prometheus-operator` (the operator's CRD schemas) for an object.
 */
function modelOf(object: KubernetesObject): ModelClass {
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/')
    : ['', object.apiVersion];
  const base =
    group === 'monitoring.coreos.com'
      ? '@kubernetes-models/prometheus-operator'
      : 'kubernetes-models';
  const folder = group === '' ? version : `${group}/${version}`;
  // The packages are ESM with `import`-only exports maps, which Jest's CommonJS resolver does
  // not match; their files load fine by path.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(join(ROOT, 'node_modules', base, folder, `${object.kind}.js`)) as Record<
    string,
    ModelClass
  >;
  const model = module[object.kind];
  if (!model) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);

  return model;
}

/** Validates an object against its JSON schema; returns the error text, or undefined. */
export function schemaErrors(object: KubernetesObject): string | undefined {
  try {
    new (modelOf(object))(object).validate();
  } catch (error) {
    return (error as Error).message;
  }

  return undefined;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}
export interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  ports?: Array<{ containerPort: number; name?: string }>;
  livenessProbe?: { httpGet?: { path: string; port: number | string } };
  readinessProbe?: { httpGet?: { path: string; port: number | string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[] } };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
export interface PodSpec {
  containers: Container[];
  securityContext?: Record<string, unknown> & { seccompProfile?: { type: string } };
  terminationGracePeriodSeconds?: number;
  volumes?: Array<{ name: string; emptyDir?: object; secret?: object }>;
}

export function podSpecOf(object: KubernetesObject): PodSpec {
  const spec = object.spec as { template: { spec: PodSpec } };

  return spec.template.spec;
}

/**
 * What the restricted Pod Security Standard and the brief ask of every container: non-root,
 * read-only root file system, no escalation, no capabilities, the runtime's seccomp profile.
 */
export function expectHardenedPod(pod: PodSpec): void {
  expect(pod.securityContext).toMatchObject({
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  for (const container of pod.containers) {
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    // Writable mounts are scratch space only; anything else (the SAML signing secret) is
    // mounted read-only.
    for (const mount of container.volumeMounts ?? []) {
      const volume = pod.volumes?.find((candidate) => candidate.name === mount.name);
      if (!volume?.emptyDir)
        expect({ [mount.name]: mount.readOnly }).toEqual({ [mount.name]: true });
      expect(volume?.emptyDir ?? volume?.secret).toBeDefined();
    }
  }
}
