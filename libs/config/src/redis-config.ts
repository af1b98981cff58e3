import { readFileSync } from 'node:fs';
import type { RawEnvironment, VariableName } from './environment-variables';

export type RedisMode = 'standalone' | 'sentinel' | 'cluster';

export interface RedisNode {
  host: string;
  port: number;
}

/** File contents read once at start-up; certificate verification has no off switch. */
export interface RedisTlsConfig {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
}

export interface RedisConfig {
  /**
   * False means: use the in-memory store (standalone mode without REDIS_HOST, outside
   * production only).
   */
  enabled: boolean;
  mode: RedisMode;
  /** Standalone: the server; cluster: the default seed node. */
  host?: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  keyPrefix: string;
  /** Undefined: plain TCP. */
  tls?: RedisTlsConfig;
  sentinel?: { nodes: RedisNode[]; masterName: string; password?: string };
  cluster?: { nodes: RedisNode[] };
}

const DEFAULT_SENTINEL_PORT = 26379;

/**
 * Parses `host:port,host:port` (IPv6 as `[::1]:port`); a missing port takes `defaultPort`.
 * Undefined when an entry does not parse.
 */
export function parseRedisNodes(value: string, defaultPort: number): RedisNode[] | undefined {
  const nodes: RedisNode[] = [];
  for (const entry of value.split(',').map((part) => part.trim())) {
    const match = /^(?:\[([^\]]+)\]|([^:[\]\s]+))(?::(\d{1,5}))?$/.exec(entry);
    const port = match?.[3] === undefined ? defaultPort : Number(match[3]);
    if (!match || port < 1 || port > 65535) return undefined;
    nodes.push({ host: match[1] ?? match[2], port });
  }

  return nodes;
}

function readPemFile(
  name: VariableName,
  path: string | undefined,
  problems: string[],
): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch {
    // The path may itself say something about the deployment: name the variable only.
    problems.push(`${name} cannot be read`);
    return undefined;
  }
}

/** Variables that only mean something in one mode: setting them in another is a mistake. */
const MODE_VARIABLES: Record<RedisMode, VariableName[]> = {
  standalone: [],
  sentinel: ['REDIS_SENTINELS', 'REDIS_SENTINEL_MASTER', 'REDIS_SENTINEL_PASSWORD'],
  cluster: ['REDIS_CLUSTER_NODES'],
};

/**
 * Reads the REDIS_* variables: checks their combinations and reads the TLS files once. What
 * production requires on top (REDIS_HOST in standalone mode, REDIS_PASSWORD) is checked with
 * the other production rules. Problems name variables, never values.
 */
export function loadRedisConfig(raw: RawEnvironment): { redis: RedisConfig; problems: string[] } {
  const problems: string[] = [];
  const mode: RedisMode = raw.REDIS_MODE ?? 'standalone';
  const port = raw.REDIS_PORT ?? 6379;

  for (const [otherMode, names] of Object.entries(MODE_VARIABLES)) {
    if (otherMode === mode) continue;
    for (const name of names.filter((variable) => raw[variable] !== undefined)) {
      problems.push(`${name} is set but REDIS_MODE is ${mode}; set REDIS_MODE=${otherMode}`);
    }
  }

  let sentinel: RedisConfig['sentinel'];
  if (mode === 'sentinel') {
    if (raw.REDIS_HOST !== undefined) {
      problems.push(
        'REDIS_HOST is set but REDIS_MODE=sentinel finds the master via REDIS_SENTINELS',
      );
    }
    if (raw.REDIS_SENTINEL_MASTER === undefined) {
      problems.push('REDIS_SENTINEL_MASTER is required when REDIS_MODE=sentinel');
    }
    const nodes = nodesOf('REDIS_SENTINELS', raw.REDIS_SENTINELS, DEFAULT_SENTINEL_PORT, problems);
    if (raw.REDIS_SENTINELS === undefined) {
      problems.push('REDIS_SENTINELS is required when REDIS_MODE=sentinel');
    }
    sentinel = {
      nodes: nodes ?? [],
      masterName: raw.REDIS_SENTINEL_MASTER ?? '',
      password: raw.REDIS_SENTINEL_PASSWORD,
    };
  }

  let cluster: RedisConfig['cluster'];
  if (mode === 'cluster') {
    const nodes = nodesOf('REDIS_CLUSTER_NODES', raw.REDIS_CLUSTER_NODES, port, problems);
    const seeds = nodes ?? (raw.REDIS_HOST === undefined ? [] : [{ host: raw.REDIS_HOST, port }]);
    if (raw.REDIS_CLUSTER_NODES === undefined && raw.REDIS_HOST === undefined) {
      problems.push('REDIS_CLUSTER_NODES or REDIS_HOST is required when REDIS_MODE=cluster');
    }
    // A Redis Cluster has database 0 only.
    if ((raw.REDIS_DB ?? 0) !== 0) problems.push('REDIS_DB must be 0 when REDIS_MODE=cluster');
    cluster = { nodes: seeds };
  }

  const tls = tlsConfig(raw, problems);

  return {
    redis: {
      enabled: mode !== 'standalone' || raw.REDIS_HOST !== undefined,
      mode,
      host: mode === 'sentinel' ? undefined : raw.REDIS_HOST,
      port,
      username: raw.REDIS_USERNAME,
      password: raw.REDIS_PASSWORD,
      db: raw.REDIS_DB ?? 0,
      keyPrefix: raw.REDIS_KEY_PREFIX ?? 'fm-auth:',
      tls,
      sentinel,
      cluster,
    },
    problems,
  };
}

function nodesOf(
  name: VariableName,
  value: string | undefined,
  defaultPort: number,
  problems: string[],
): RedisNode[] | undefined {
  if (value === undefined) return undefined;
  const nodes = parseRedisNodes(value, defaultPort);
  if (!nodes) problems.push(`${name} must be a comma-separated list of host:port`);

  return nodes;
}

function tlsConfig(raw: RawEnvironment, problems: string[]): RedisTlsConfig | undefined {
  const files = ['REDIS_TLS_CA_FILE', 'REDIS_TLS_CERT_FILE', 'REDIS_TLS_KEY_FILE'] as const;
  if (!raw.REDIS_TLS) {
    for (const name of [...files, 'REDIS_TLS_SERVERNAME'] as const) {
      if (raw[name] !== undefined) problems.push(`${name} is set but REDIS_TLS is off`);
    }
    return undefined;
  }
  if ((raw.REDIS_TLS_CERT_FILE === undefined) !== (raw.REDIS_TLS_KEY_FILE === undefined)) {
    problems.push('REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE must be set together');
  }

  return {
    // Unset: the CAs Node.js trusts (a managed Redis with a public certificate).
    ca: readPemFile('REDIS_TLS_CA_FILE', raw.REDIS_TLS_CA_FILE, problems),
    cert: readPemFile('REDIS_TLS_CERT_FILE', raw.REDIS_TLS_CERT_FILE, problems),
    key: readPemFile('REDIS_TLS_KEY_FILE', raw.REDIS_TLS_KEY_FILE, problems),
    servername: raw.REDIS_TLS_SERVERNAME,
  };
}
