import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { loadAppConfig } from '@app/config';
import { ENVIRONMENT_VARIABLES } from '../libs/config/src/environment-variables';

const ROOT = join(__dirname, '..');

interface ContainerDefinition {
  name: string;
  image: string;
  essential?: boolean;
  portMappings: Array<{ containerPort: number; protocol: string }>;
  environment: Array<{ name: string; value: string }>;
  secrets: Array<{ name: string; valueFrom: string }>;
  logConfiguration: { logDriver: string; options: Record<string, string> };
  healthCheck: {
    command: string[];
    interval: number;
    timeout: number;
    retries: number;
    startPeriod: number;
  };
  stopTimeout?: number;
}

interface TaskDefinition {
  family: string;
  networkMode: string;
  requiresCompatibilities: string[];
  cpu: string;
  memory: string;
  executionRoleArn: string;
  taskRoleArn: string;
  containerDefinitions: ContainerDefinition[];
}

/** CPU units and the memory (MiB) Fargate accepts with each, from AWS's task size table. */
const FARGATE_SIZES: Record<string, (memory: number) => boolean> = {
  '256': (m) => [512, 1024, 2048].includes(m),
  '512': (m) => m >= 1024 && m <= 4096 && m % 1024 === 0,
  '1024': (m) => m >= 2048 && m <= 8192 && m % 1024 === 0,
  '2048': (m) => m >= 4096 && m <= 16384 && m % 1024 === 0,
  '4096': (m) => m >= 8192 && m <= 30720 && m % 1024 === 0,
};

describe('ECS/Fargate task definition (deploy/ecs/task-definition.json)', () => {
  const definition = JSON.parse(
    readFileSync(join(ROOT, 'deploy/ecs/task-definition.json'), 'utf8'),
  ) as TaskDefinition;
  const [container] = definition.containerDefinitions;

  it('is the Fargate task of the deployment guide', () => {
    expect(definition).toMatchObject({
      family: 'auth-service-enterprise',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      executionRoleArn: expect.stringMatching(/^arn:aws:iam::[^:]+:role\/.+/),
      taskRoleArn: expect.stringMatching(/^arn:aws:iam::[^:]+:role\/.+/),
    });
    expect(FARGATE_SIZES[definition.cpu]?.(Number(definition.memory))).toBe(true);
    expect(definition.containerDefinitions).toHaveLength(1);
    expect(container).toMatchObject({ name: 'auth-service', essential: true });
    expect(container.portMappings).toEqual([{ containerPort: 8000, protocol: 'tcp' }]);
  });

  it('takes POSTGRES_PASSWORD and JWT_SECRET_KEY from AWS Secrets Manager, never as plain values', () => {
    const secrets = Object.fromEntries(container.secrets.map((s) => [s.name, s.valueFrom]));

    for (const name of ['POSTGRES_PASSWORD', 'JWT_SECRET_KEY']) {
      expect(secrets[name]).toMatch(/^arn:aws:secretsmanager:[^:]+:[^:]+:secret:.+/);
    }
    const secretNames = Object.entries(ENVIRONMENT_VARIABLES)
      .filter(([, spec]) => 'secret' in spec && spec.secret)
      .map(([name]) => name);
    const plain = container.environment.map((variable) => variable.name);
    expect(plain.filter((name) => secretNames.includes(name))).toEqual([]);
  });

  it('sets only variables the service reads, each once', () => {
    const names = [...container.environment, ...container.secrets].map((v) => v.name);

    expect(names.filter((name) => !(name in ENVIRONMENT_VARIABLES))).toEqual([]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives a production configuration the service accepts, once the secrets are filled in', () => {
    const env: Record<string, string> = Object.fromEntries(
      container.environment.map((variable) => [variable.name, variable.value]),
    );
    for (const secret of container.secrets) env[secret.name] = `${secret.name}-`.padEnd(64, 'x');
    env.ENCRYPTION_KEYS = `k1:${Buffer.alloc(32, 7).toString('base64')}`;

    const config = loadAppConfig(env);

    expect(config.isProduction).toBe(true);
    expect(config.http.port).toBe(container.portMappings[0].containerPort);
  });

  it('sends logs to CloudWatch with awslogs', () => {
    expect(container.logConfiguration).toEqual({
      logDriver: 'awslogs',
      options: {
        'awslogs-group': '/ecs/auth-service',
        'awslogs-region': expect.any(String),
        'awslogs-stream-prefix': 'ecs',
      },
    });
  });

  it('checks the container through /health/live within the limits ECS accepts', () => {
    const { command, interval, timeout, retries, startPeriod } = container.healthCheck;

    expect(['CMD', 'CMD-SHELL']).toContain(command[0]);
    expect(command.join(' ')).toContain('http://127.0.0.1:8000/health/live');
    // The image has no curl: the check runs on the image's own Node.js.
    expect(command[1]).toBe('node');
    expect(interval).toBeGreaterThanOrEqual(5);
    expect(interval).toBeLessThanOrEqual(300);
    expect(timeout).toBeGreaterThanOrEqual(2);
    expect(timeout).toBeLessThanOrEqual(60);
    expect(timeout).toBeLessThan(interval);
    expect(retries).toBeGreaterThanOrEqual(1);
    expect(retries).toBeLessThanOrEqual(10);
    expect(startPeriod).toBeGreaterThanOrEqual(0);
    expect(startPeriod).toBeLessThanOrEqual(300);
  });

  it('gives the container longer to stop than the service takes to shut down gracefully', () => {
    const env = Object.fromEntries(container.environment.map((v) => [v.name, v.value]));

    expect(container.stopTimeout).toBeGreaterThan(Number(env.GRACEFUL_SHUTDOWN_TIMEOUT));
    expect(container.stopTimeout).toBeLessThanOrEqual(120);
  });

  it('runs the health-check script as valid JavaScript', () => {
    // Compiled, not run: a syntax error would make every health check fail.
    expect(() => new Script(container.healthCheck.command[3])).not.toThrow();
  });
});

describe('ECS scripts (deploy/ecs/*.sh)', () => {
  it.each(['service.sh', 'migrate.sh'])('%s stops on the first error', (file) => {
    const script = readFileSync(join(ROOT, 'deploy/ecs', file), 'utf8');

    expect(script.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(script).toContain('set -euo pipefail');
  });

  it('scales between 3 and 10 tasks on CPU 70% and memory 80%, as the Kubernetes HPA does', () => {
    const script = readFileSync(join(ROOT, 'deploy/ecs/service.sh'), 'utf8');

    expect(script).toMatch(/--min-capacity 3\b/);
    expect(script).toMatch(/--max-capacity 10\b/);
    expect(script).toMatch(/"TargetValue": 70\.0[\s\S]*ECSServiceAverageCPUUtilization/);
    expect(script).toMatch(/"TargetValue": 80\.0[\s\S]*ECSServiceAverageMemoryUtilization/);
  });

  it('migrates with the CLI the image carries', () => {
    const script = readFileSync(join(ROOT, 'deploy/ecs/migrate.sh'), 'utf8');

    expect(script).toContain('dist/apps/cli/src/main.js');
    expect(readFileSync(join(ROOT, 'apps/cli/src/main.ts'), 'utf8')).toContain(
      "case 'migration:run':",
    );
  });
});
