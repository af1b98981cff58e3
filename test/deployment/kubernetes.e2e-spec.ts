import {
  CONFIG_VARIABLES,
  Container,
  KubernetesObject,
  expectHardenedPod,
  podSpecOf,
  readManifests,
  schemaErrors,
} from './support/manifests';

const manifests = readManifests('k8s');
const objects = manifests.map(({ object }) => object);

function find(kind: string, name?: string): KubernetesObject {
  const found = objects.find(
    (object) => object.kind === kind && (name === undefined || object.metadata.name === name),
  );
  if (!found) throw new Error(`k8s/ has no ${kind} ${name ?? ''}`);

  return found;
}

const deployment = find('Deployment', 'auth-service');
const pod = podSpecOf(deployment);
const container = pod.containers[0];
const configMap = find('ConfigMap', 'auth-service-config') as KubernetesObject & {
  data: Record<string, string>;
};

/** Names a container's environment gives the process: env entries and ConfigMap keys. */
function variablesOf(target: Container): string[] {
  const fromConfigMap = (target.envFrom ?? []).some(
    (source) => source.configMapRef?.name === 'auth-service-config',
  )
    ? Object.keys(configMap.data)
    : [];

  return [...(target.env ?? []).map((variable) => variable.name), ...fromConfigMap];
}

describe('Kubernetes manifests (k8s/)', () => {
  it.each(
    manifests.map(({ file, object }) => [
      `${file}: ${object.kind} ${object.metadata.name}`,
      object,
    ]),
  )('%s validates against its schema', (_label, object) => {
    expect(schemaErrors(object)).toBeUndefined();
  });

  it('rejects a broken object, so the validation above is real', () => {
    const broken = structuredClone(deployment) as KubernetesObject & {
      spec: { replicas: unknown };
    };
    broken.spec.replicas = 'three';

    expect(schemaErrors(broken)).toMatch(/replicas/);
  });

  it('puts every namespaced object in faultmaven-auth', () => {
    for (const object of objects.filter((candidate) => candidate.kind !== 'Namespace')) {
      expect(`${object.kind}/${object.metadata.name}: ${object.metadata.namespace}`).toBe(
        `${object.kind}/${object.metadata.name}: faultmaven-auth`,
      );
    }
    expect(find('Namespace').metadata.name).toBe('faultmaven-auth');
  });

  it("has the guide's ConfigMap keys with the guide's values", () => {
    expect(configMap.data).toMatchObject({
      ENVIRONMENT: 'production',
      LOG_LEVEL: 'INFO',
      LOG_FORMAT: 'json',
      CORS_ORIGINS: 'https://app.faultmaven.com,https://admin.faultmaven.com',
      ACCESS_TOKEN_EXPIRE_MINUTES: '15',
      REFRESH_TOKEN_EXPIRE_DAYS: '7',
      ENABLE_SSO: 'true',
      ENABLE_TEAM_MANAGEMENT: 'true',
      ENABLE_AUDIT_LOGGING: 'true',
    });
  });

  it('gives the service and the migration Job only variables the config reads', () => {
    const job = find('Job', 'auth-service-migrate');
    for (const target of [container, podSpecOf(job).containers[0]]) {
      const unknown = variablesOf(target).filter((name) => !CONFIG_VARIABLES.has(name));
      expect(unknown).toEqual([]);
    }
  });

  it("reads the guide's secrets under the guide's names and keys", () => {
    const references = Object.fromEntries(
      (container.env ?? []).map((variable) => [
        variable.name,
        variable.valueFrom?.secretKeyRef &&
          `${variable.valueFrom.secretKeyRef.name}/${variable.valueFrom.secretKeyRef.key}`,
      ]),
    );

    expect(references).toMatchObject({
      POSTGRES_HOST: 'postgres-credentials/host',
      POSTGRES_USER: 'postgres-credentials/username',
      POSTGRES_PASSWORD: 'postgres-credentials/password',
      POSTGRES_DB: 'postgres-credentials/database',
      REDIS_HOST: 'redis-credentials/host',
      REDIS_PASSWORD: 'redis-credentials/password',
      JWT_SECRET_KEY: 'jwt-secret/secret-key',
    });
  });

  it('keeps only placeholders in the Secret templates', () => {
    const secrets = objects.filter((object) => object.kind === 'Secret') as Array<
      KubernetesObject & { stringData?: Record<string, string>; data?: unknown }
    >;

    expect(secrets.map((secret) => secret.metadata.name)).toEqual(
      expect.arrayContaining(['postgres-credentials', 'redis-credentials', 'jwt-secret']),
    );
    for (const secret of secrets) {
      expect(secret.data).toBeUndefined();
      for (const [key, value] of Object.entries(secret.stringData ?? {})) {
        if (key === 'database') continue;
        expect(`${secret.metadata.name}/${key}=${value}`).toMatch(/=<[A-Za-z0-9_:]+>$/);
      }
    }
  });

  it("runs the guide's replicas and resources with the service's own probes", () => {
    expect((deployment.spec as { replicas: number }).replicas).toBe(3);
    expect(container.resources).toEqual({
      requests: { memory: '512Mi', cpu: '250m' },
      limits: { memory: '1Gi', cpu: '500m' },
    });
    expect(container.livenessProbe?.httpGet?.path).toBe('/health/live');
    expect(container.readinessProbe?.httpGet?.path).toBe('/health/ready');
    expect(container.ports).toEqual(
      expect.arrayContaining([
        { containerPort: 8000, name: 'http' },
        { containerPort: Number(configMap.data.METRICS_PORT), name: 'metrics' },
      ]),
    );
  });

  it('runs the service and the migration Job hardened', () => {
    expectHardenedPod(pod);
    expectHardenedPod(podSpecOf(find('Job', 'auth-service-migrate')));
  });

  it('lets a pod drain for longer than GRACEFUL_SHUTDOWN_TIMEOUT', () => {
    const timeout = Number(configMap.data.GRACEFUL_SHUTDOWN_TIMEOUT ?? 25);

    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(timeout);
  });

  it('migrates with the same image and configuration as the Deployment', () => {
    const job = podSpecOf(find('Job', 'auth-service-migrate')).containers[0];

    expect(job.image).toBe(container.image);
    expect(job.command).toEqual(['node', 'dist/apps/cli/src/main.js', 'migration:run']);
    expect(job.env).toEqual(container.env);
    expect(job.envFrom).toEqual(container.envFrom);
  });

  it('routes the Ingress to the http port only, with TLS and a real ingress-nginx rate limit', () => {
    const ingress = find('Ingress') as KubernetesObject & {
      spec: { tls: unknown[]; rules: Array<{ http: { paths: Array<{ backend: unknown }> } }> };
    };
    const service = find('Service', 'auth-service') as KubernetesObject & {
      spec: { ports: Array<{ port: number; targetPort: number }> };
    };

    expect(ingress.spec.tls).toHaveLength(1);
    expect(ingress.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/limit-rpm': expect.any(String),
      'nginx.ingress.kubernetes.io/ssl-redirect': 'true',
    });
    expect(ingress.spec.rules[0].http.paths.map((path) => path.backend)).toEqual([
      { service: { name: 'auth-service', port: { number: 80 } } },
    ]);
    expect(service.spec.ports).toEqual([
      { port: 80, targetPort: 8000, protocol: 'TCP', name: 'http' },
    ]);
  });

  it('scales from 3 to 10 replicas on 70% CPU and 80% memory', () => {
    const hpa = find('HorizontalPodAutoscaler') as KubernetesObject & {
      spec: {
        minReplicas: number;
        maxReplicas: number;
        scaleTargetRef: { name: string };
        metrics: Array<{ resource: { name: string; target: { averageUtilization: number } } }>;
      };
    };

    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 10 });
    expect(hpa.spec.scaleTargetRef.name).toBe('auth-service');
    expect(
      hpa.spec.metrics.map((metric) => [
        metric.resource.name,
        metric.resource.target.averageUtilization,
      ]),
    ).toEqual([
      ['cpu', 70],
      ['memory', 80],
    ]);
  });

  it('lets the pods reach only DNS, PostgreSQL, Redis and SMTP', () => {
    const policy = find('NetworkPolicy', 'auth-service') as KubernetesObject & {
      spec: { policyTypes: string[]; egress: Array<{ ports: Array<{ port: number }> }> };
    };
    const ports = policy.spec.egress.flatMap((rule) => rule.ports.map((port) => port.port));

    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect([...new Set(ports)].sort((a, b) => a - b)).toEqual([53, 443, 465, 587, 5432, 6379]);
  });

  it('scrapes /metrics on METRICS_PORT through a Service the Ingress does not use', () => {
    const monitor = find('ServiceMonitor') as KubernetesObject & {
      spec: { selector: { matchLabels: Record<string, string> }; endpoints: unknown[] };
    };
    const metrics = find('Service', 'auth-service-metrics') as KubernetesObject & {
      spec: { ports: Array<{ port: number; name: string }> };
    };

    expect(monitor.spec.endpoints).toEqual([
      expect.objectContaining({ port: 'metrics', path: '/metrics' }),
    ]);
    expect(metrics.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(metrics.spec.ports[0].port).toBe(Number(configMap.data.METRICS_PORT));
  });

  it("alerts on the guide's list with the service's metric names", () => {
    const rule = find('PrometheusRule') as KubernetesObject & {
      spec: { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
    };
    const rules = Object.fromEntries(
      rule.spec.groups.flatMap((group) => group.rules).map((entry) => [entry.alert, entry.expr]),
    );

    expect(rules.AuthServiceHighErrorRate).toMatch(
      /faultmaven_auth_http_requests_total\{[^}]*status_code=~"5\.\."[\s\S]*> 0\.05/,
    );
    expect(rules.AuthServiceHighLatencyP95).toMatch(
      /histogram_quantile\(0\.95,[\s\S]*faultmaven_auth_http_request_duration_seconds_bucket[\s\S]*> 0\.5/,
    );
    expect(rules.AuthServiceDatabaseDown).toContain('pg_up');
    expect(rules.AuthServiceRedisDown).toContain('faultmaven_auth_redis_connected');
    expect(rules.AuthServiceNotReady).toContain('kube_pod_status_ready');
    expect(rules.AuthServicePodRestarts).toMatch(/restarts_total[\s\S]*\[5m\]\) > 3/);
  });

  it('keeps two pods up through voluntary disruptions', () => {
    const budget = find('PodDisruptionBudget') as KubernetesObject & {
      spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } };
    };

    expect(budget.spec.minAvailable).toBe(2);
    expect(budget.spec.selector.matchLabels).toEqual({ app: 'auth-service' });
  });
});
