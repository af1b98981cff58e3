import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import {
  CONFIG_VARIABLES,
  KubernetesObject,
  ROOT,
  parseYamlDocuments,
  podSpecOf,
  readManifests,
  readText,
} from './support/manifests';

/**
 * No Helm renderer installs here (no Debian package, no npm package embeds one), so the chart is
 * checked statically: values against values.schema.json, template references against values.yaml
 * and the helpers, block structure, and the defaults against the plain manifests in k8s/.
 */
const CHART = 'helm/faultmaven-auth';
const TEMPLATES = join(CHART, 'templates');

type Values = Record<string, unknown> & {
  config: Record<string, string>;
  secrets: Record<string, string>;
};
const [chart] = parseYamlDocuments(readText(join(CHART, 'Chart.yaml')), 'Chart.yaml') as Array<
  Record<string, string>
>;
const [values] = parseYamlDocuments(
  readText(join(CHART, 'values.yaml')),
  'values.yaml',
) as Values[];
const schema = JSON.parse(readText(join(CHART, 'values.schema.json'))) as {
  properties: { config: { propertyNames: { enum: string[] } } };
};
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
const templates = readdirSync(join(ROOT, TEMPLATES))
  .sort()
  .map((file) => ({ file, text: readText(join(TEMPLATES, file)) }));
const actions = (text: string) =>
  [...text.matchAll(/\{\{-?\s*([\s\S]*?)\s*-?\}\}/g)].map((m) => m[1]);

function lookup(path: string[]): unknown {
  return path.reduce<unknown>(
    (node, key) =>
      node !== null && typeof node === 'object'
        ? (node as Record<string, unknown>)[key]
        : undefined,
    values,
  );
}

describe('Helm chart helm/faultmaven-auth', () => {
  it('is a v2 chart named after its folder', () => {
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'faultmaven-auth', type: 'application' });
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('has the templates the brief names, NOTES.txt among them', () => {
    expect(templates.map((template) => template.file)).toEqual(
      expect.arrayContaining([
        'NOTES.txt',
        '_helpers.tpl',
        'configmap.yaml',
        'deployment.yaml',
        'hpa.yaml',
        'ingress.yaml',
        'migration-job.yaml',
        'networkpolicy.yaml',
        'pdb.yaml',
        'prometheusrule.yaml',
        'secret.yaml',
        'service.yaml',
        'servicemonitor.yaml',
      ]),
    );
  });

  it('validates values.yaml against values.schema.json', () => {
    expect(validate(values) ? [] : validate.errors).toEqual([]);
  });

  it.each([
    ['a variable the service does not read', { config: { ...values.config, NOT_A_SETTING: 'x' } }],
    ['a replica count that is not a number', { replicaCount: 'three' }],
    ['an unknown top-level key', { replicas: 3 }],
  ])('refuses values with %s', (_label, override) => {
    expect(validate({ ...values, ...override })).toBe(false);
  });

  it('allows exactly the variables the config reads in config and secrets', () => {
    expect([...schema.properties.config.propertyNames.enum].sort()).toEqual(
      [...CONFIG_VARIABLES].sort(),
    );
    for (const name of [...Object.keys(values.config), ...Object.keys(values.secrets)]) {
      expect(CONFIG_VARIABLES).toContain(name);
    }
  });

  it('references only values that values.yaml defines', () => {
    const missing = templates.flatMap(({ file, text }) =>
      [...text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)]
        .map((match) => match[1].slice(1).split('.'))
        .filter((path) => lookup(path) === undefined)
        .map((path) => `${file}: .Values.${path.join('.')}`),
    );

    expect(missing).toEqual([]);
  });

  it('includes only helpers that _helpers.tpl defines', () => {
    const helpers = templates.find((template) => template.file === '_helpers.tpl')?.text ?? '';
    const defined = new Set([...helpers.matchAll(/define "([^"]+)"/g)].map((match) => match[1]));
    const used = templates.flatMap(({ text }) =>
      [...text.matchAll(/(?:include|template) "([^"]+)"/g)].map((match) => match[1]),
    );

    expect(used.filter((name) => !defined.has(name))).toEqual([]);
    expect([...defined].filter((name) => !used.includes(name))).toEqual([]);
  });

  it('closes every if, range, with and define with an end', () => {
    for (const { file, text } of templates) {
      let depth = 0;
      for (const action of actions(text)) {
        if (/^(if|range|with|define)\b/.test(action)) depth += 1;
        if (/^end\b/.test(action)) depth -= 1;
        expect(`${file}: ${depth}`).not.toMatch(/: -/);
      }
      expect(`${file}: ${depth}`).toBe(`${file}: 0`);
    }
  });

  it('runs migrations as a pre-install,pre-upgrade hook Job with the service image', () => {
    const job = templates.find((template) => template.file === 'migration-job.yaml')?.text ?? '';

    expect(job).toMatch(/kind: Job\n[\s\S]*helm\.sh\/hook: pre-install,pre-upgrade/);
    expect(job).toContain("command: ['node', 'dist/apps/cli/src/main.js', 'migration:run']");
    expect(job).toContain('include "faultmaven-auth.image"');
  });

  it('reads existingSecret when set and creates no Secret then', () => {
    const secret = templates.find((template) => template.file === 'secret.yaml')?.text ?? '';
    const helpers = templates.find((template) => template.file === '_helpers.tpl')?.text ?? '';

    expect(values.existingSecret).toBe('');
    expect(secret).toMatch(/^\{\{- if not \.Values\.existingSecret \}\}/);
    expect(helpers).toContain(
      'default (include "faultmaven-auth.fullname" .) .Values.existingSecret',
    );
  });
});

describe('Helm defaults agree with k8s/', () => {
  const objects = readManifests('k8s').map(({ object }) => object);
  const find = (kind: string) => objects.find((object) => object.kind === kind) as KubernetesObject;
  const deployment = find('Deployment');
  const container = podSpecOf(deployment).containers[0];

  it('has the same settings, image, replicas, resources and probes', () => {
    expect(values.config).toEqual((find('ConfigMap') as unknown as { data: unknown }).data);
    expect([lookup(['image', 'repository']), lookup(['image', 'tag'])].join(':')).toBe(
      container.image,
    );
    expect(values.replicaCount).toBe((deployment.spec as { replicas: number }).replicas);
    expect(values.resources).toEqual(container.resources);
    expect(lookup(['probes', 'liveness', 'path'])).toBe(container.livenessProbe?.httpGet?.path);
    expect(lookup(['probes', 'readiness', 'path'])).toBe(container.readinessProbe?.httpGet?.path);
    expect(values.terminationGracePeriodSeconds).toBe(
      podSpecOf(deployment).terminationGracePeriodSeconds,
    );
    expect(values.podSecurityContext).toEqual(podSpecOf(deployment).securityContext);
    expect(values.securityContext).toEqual(container.securityContext);
  });

  it('has the same autoscaling and ingress', () => {
    expect(values.autoscaling).toEqual({
      enabled: true,
      minReplicas: 3,
      maxReplicas: 10,
      targetCPUUtilizationPercentage: 70,
      targetMemoryUtilizationPercentage: 80,
    });
    expect(lookup(['ingress', 'annotations'])).toEqual(find('Ingress').metadata.annotations);
  });
});
