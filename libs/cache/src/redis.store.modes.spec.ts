import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { generate } from 'selfsigned';
import { loadAppConfig } from '@app/config';
import { behavesLikeAKeyValueStore } from '../../../test/support/key-value-store-contract';
import {
  RedisCluster,
  RedisServer,
  describeWithRedisServer,
  freePort,
  sleep,
  startRedisCluster,
  startRedisServer,
  waitFor,
  withAdmin,
} from '../../../test/support/redis-servers';
import { StoreUnavailableError } from './key-value-store';
import { RedisStore, RedisStoreOptions } from './redis.store';
import { RevocationKeys } from './revocation-keys';

/**
 * The store against real redis-server processes in each deployment shape the service supports:
 * password and ACL user, TLS, Sentinel (with a failover) and Cluster.
 */

const uniquePrefix = (label: string): string =>
  `fm-auth-test:${label}:${randomBytes(4).toString('hex')}:`;

async function openStore(options: RedisStoreOptions): Promise<RedisStore> {
  const store = new RedisStore(options);
  await store.connect();

  return store;
}

/** Closes the store after `work`, whatever happens. */
async function withStore(
  options: RedisStoreOptions,
  work: (store: RedisStore) => Promise<void>,
): Promise<void> {
  const store = await openStore(options);
  try {
    await work(store);
  } finally {
    await store.close();
  }
}

describeWithRedisServer('RedisStore with a password and an ACL user', () => {
  let server: RedisServer;
  const base = { host: '127.0.0.1', db: 0, keyPrefix: 'acl-test:' };

  beforeAll(async () => {
    const port = await freePort();
    server = await startRedisServer(
      port,
      ['--port', String(port), '--requirepass', 'default-user-secret'],
      // The ACL user may only touch keys under its prefix: proves the prefix is on every key.
      () =>
        'user fm-auth on >fm-auth-secret ~acl-test:* resetchannels -@all +@read +@write ' +
        '+@scripting +ping +info\n',
    );
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('works as the default user with REDIS_PASSWORD', async () => {
    await withStore({ ...base, port: server.port, password: 'default-user-secret' }, async (s) => {
      await s.set('a', '1', 60);

      await expect(s.get('a')).resolves.toBe('1');
    });
  });

  it('works as an ACL user with REDIS_USERNAME, every command inside its key pattern', async () => {
    const options = { ...base, port: server.port, username: 'fm-auth', password: 'fm-auth-secret' };
    await withStore(options, async (s) => {
      await s.set('b', '2', 60);
      await expect(s.setIfAbsent('b', 'x', 60)).resolves.toBe(false);
      await expect(s.increment('counter', 60)).resolves.toBe(1);
      await expect(s.incrementInWindow('window', 60)).resolves.toMatchObject({ count: 1 });
      await expect(s.getMany(['b', 'missing'])).resolves.toEqual(['2', null]);
      await s.delete('b');
      await expect(s.ping()).resolves.toBeUndefined();
    });
  });

  it.each([
    ['a wrong password', { password: 'wrong' }],
    ['no password', {}],
    ['an unknown user', { username: 'nobody', password: 'fm-auth-secret' }],
  ])('answers StoreUnavailableError with %s', async (_name, credentials) => {
    await withStore({ ...base, port: server.port, ...credentials }, async (s) => {
      await expect(s.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });
});

describeWithRedisServer('RedisStore over TLS', () => {
  let folder: string;
  let server: RedisServer;
  let mutualServer: RedisServer;
  let caCert: Buffer;
  let otherCaCert: Buffer;
  const base = { host: '127.0.0.1', db: 0, keyPrefix: uniquePrefix('tls') };

  const tlsArgs = (port: number, authClients: 'yes' | 'no'): string[] => [
    '--port',
    '0',
    '--tls-port',
    String(port),
    '--tls-cert-file',
    join(folder, 'server.crt'),
    '--tls-key-file',
    join(folder, 'server.key'),
    '--tls-ca-cert-file',
    join(folder, 'ca.crt'),
    '--tls-auth-clients',
    authClients,
  ];

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'fm-redis-tls-'));
    const ca = await generate([{ name: 'commonName', value: 'FaultMaven test CA' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
      // Signed by this CA: what a server with tls-auth-clients accepts.
      clientCertificate: { cn: 'fm-auth', keyType: 'ec' },
    });
    const serverPems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
          ],
        },
      ],
    });
    const otherCa = await generate([{ name: 'commonName', value: 'Another CA' }], {
      keyType: 'ec',
      algorithm: 'sha256',
    });
    caCert = Buffer.from(ca.cert);
    otherCaCert = Buffer.from(otherCa.cert);
    await Promise.all([
      writeFile(join(folder, 'server.crt'), serverPems.cert),
      writeFile(join(folder, 'server.key'), serverPems.private),
      writeFile(join(folder, 'ca.crt'), ca.cert),
      writeFile(join(folder, 'client.crt'), ca.clientcert ?? ''),
      writeFile(join(folder, 'client.key'), ca.clientprivate ?? ''),
    ]);

    const port = await freePort();
    server = await startRedisServer(port, tlsArgs(port, 'no'));
    const mutualPort = await freePort();
    mutualServer = await startRedisServer(mutualPort, tlsArgs(mutualPort, 'yes'));
  });

  afterAll(async () => {
    await server?.stop();
    await mutualServer?.stop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('verifies the server against the CA, then works', async () => {
    await withStore({ ...base, port: server.port, tls: { ca: caCert } }, async (s) => {
      await s.set('a', '1', 60);

      await expect(s.get('a')).resolves.toBe('1');
      await expect(s.ping()).resolves.toBeUndefined();
    });
  });

  it.each([
    ['whose certificate names another host', () => ({ ca: caCert, servername: 'other.example' })],
    ['signed by a CA it was not given', () => ({ ca: otherCaCert })],
    ['when it trusts only the system CAs', () => ({})],
  ])('refuses a server %s', async (_name, tls) => {
    await withStore({ ...base, port: server.port, tls: tls() }, async (s) => {
      await expect(s.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });

  it('refuses plain TCP to a TLS port', async () => {
    await withStore({ ...base, port: server.port }, async (s) => {
      await expect(s.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });

  it('reads the CA and client certificate files named in the configuration', async () => {
    const env = {
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(mutualServer.port),
      REDIS_KEY_PREFIX: base.keyPrefix,
      REDIS_TLS: 'true',
      REDIS_TLS_CA_FILE: join(folder, 'ca.crt'),
      REDIS_TLS_SERVERNAME: 'localhost',
    };
    const withClientCertificate = loadAppConfig({
      ...env,
      REDIS_TLS_CERT_FILE: join(folder, 'client.crt'),
      REDIS_TLS_KEY_FILE: join(folder, 'client.key'),
    });

    await withStore(withClientCertificate.redis, async (s) => {
      await s.set('mutual', 'yes', 60);
      await expect(s.get('mutual')).resolves.toBe('yes');
    });
    await withStore(loadAppConfig(env).redis, async (s) => {
      await expect(s.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });
});

describeWithRedisServer('RedisStore through Sentinel', () => {
  const masterName = 'fm-test';
  let master: RedisServer;
  let replica: RedisServer;
  let sentinels: RedisServer[] = [];
  let store: RedisStore;

  const masterPort = (): Promise<number> =>
    withAdmin({ port: sentinels[0].port }, async (admin) => {
      const [, port] = (await admin.call(
        'SENTINEL',
        'GET-MASTER-ADDR-BY-NAME',
        masterName,
      )) as string[];
      return Number(port);
    });

  beforeAll(async () => {
    const port = await freePort();
    master = await startRedisServer(port, ['--port', String(port)]);
    const replicaPort = await freePort();
    replica = await startRedisServer(replicaPort, [
      '--port',
      String(replicaPort),
      '--replicaof',
      '127.0.0.1',
      String(port),
    ]);
    await waitFor('the replica to sync', () =>
      withAdmin({ port: replicaPort }, async (admin) =>
        (await admin.info('replication')).includes('master_link_status:up'),
      ),
    );
    for (let index = 0; index < 2; index++) {
      const sentinelPort = await freePort();
      // Sentinel rewrites its config file, so it gets one of its own in its temp dir.
      sentinels.push(
        await startRedisServer(sentinelPort, ['--sentinel'], (dir) =>
          [
            `port ${sentinelPort}`,
            `dir ${dir}`,
            `sentinel monitor ${masterName} 127.0.0.1 ${port} 1`,
            `sentinel down-after-milliseconds ${masterName} 1000`,
            `sentinel failover-timeout ${masterName} 5000`,
            '',
          ].join('\n'),
        ),
      );
    }
    // A failover needs the Sentinel to know the replica, learnt from the master's INFO.
    await waitFor(
      'the Sentinel to discover the replica',
      () =>
        withAdmin({ port: sentinels[0].port }, async (admin) => {
          const replicas = (await admin.call('SENTINEL', 'REPLICAS', masterName)) as unknown[];
          return replicas.length === 1;
        }),
      15_000,
    );
    store = await openStore({
      mode: 'sentinel',
      port: 6379,
      db: 0,
      keyPrefix: uniquePrefix('sentinel'),
      sentinel: {
        masterName,
        nodes: sentinels.map((sentinel) => ({ host: '127.0.0.1', port: sentinel.port })),
      },
    });
  }, 30_000);

  afterAll(async () => {
    await store?.close();
    for (const server of [...sentinels, replica, master]) await server?.stop();
    sentinels = [];
  });

  it('finds the master through the Sentinels and works', async () => {
    await store.set('before', 'failover', 600);

    await expect(store.get('before')).resolves.toBe('failover');
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('follows a failover to the new master and keeps working', async () => {
    await withAdmin({ port: sentinels[0].port }, (admin) =>
      admin.call('SENTINEL', 'FAILOVER', masterName),
    );
    await waitFor('the Sentinel to promote the replica', async () => {
      return (await masterPort()) === replica.port;
    });

    // Writes may be refused (fast, as StoreUnavailableError) while the client switches.
    let written = false;
    for (let attempt = 0; attempt < 100 && !written; attempt++) {
      written = await store.set('after', 'failover', 600).then(
        () => true,
        () => false,
      );
      if (!written) await sleep(100);
    }

    expect(written).toBe(true);
    await expect(store.getMany(['before', 'after'])).resolves.toEqual(['failover', 'failover']);
    await expect(store.increment('counter', 60)).resolves.toBe(1);
    const onNewMaster = await withAdmin({ port: replica.port }, async (admin) =>
      admin.info('replication'),
    );
    expect(onNewMaster).toContain('role:master');
  }, 30_000);
});

describeWithRedisServer('RedisStore on a Redis Cluster', () => {
  let cluster: RedisCluster;
  const keyPrefix = uniquePrefix('cluster');
  const options = (): RedisStoreOptions => ({
    mode: 'cluster',
    port: 6379,
    db: 0,
    keyPrefix,
    cluster: { nodes: cluster.nodes.map((node) => ({ host: '127.0.0.1', port: node.port })) },
  });

  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 30_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  describe('meets the KeyValueStore contract', () => {
    behavesLikeAKeyValueStore({
      create: () => openStore(options()),
      elapse: (seconds) => sleep(seconds * 1000),
    });
  });

  it("reads an access token's four revocation keys without CROSSSLOT", async () => {
    const [sessionId, tokenId, organizationId, userId] = [1, 2, 3, 4].map(() => randomUUID());
    const keys = [
      RevocationKeys.token(sessionId, tokenId),
      RevocationKeys.session(sessionId),
      RevocationKeys.organization(organizationId),
      RevocationKeys.membership(organizationId, userId),
    ];
    const slots = await withAdmin({ port: cluster.nodes[0].port }, (admin) =>
      Promise.all(keys.map(async (key) => Number(await admin.cluster('KEYSLOT', keyPrefix + key)))),
    );

    // Token with session, membership with organization: two slots, one MGET each.
    expect(slots[0]).toBe(slots[1]);
    expect(slots[2]).toBe(slots[3]);
    await withStore(options(), async (store) => {
      await expect(store.getMany(keys)).resolves.toEqual([null, null, null, null]);
      await store.set(RevocationKeys.session(sessionId), '1', 60);
      await store.set(RevocationKeys.membership(organizationId, userId), '1', 60);

      await expect(store.getMany(keys)).resolves.toEqual([null, '1', null, '1']);
    });
  });

  it('needs the per-slot split: one MGET over two slots is refused', async () => {
    const raw = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0].port }], {
      keyPrefix,
      lazyConnect: true,
    });
    try {
      await raw.connect();
      await expect(
        raw.mget(RevocationKeys.session('a'), RevocationKeys.session('b')),
      ).rejects.toThrow(/CROSSSLOT|same slot/);
    } finally {
      raw.disconnect();
    }
  });

  // Last: it stops a master.
  it('reports unhealthy once a master is gone, while other masters still answer', async () => {
    await withStore(options(), async (store) => {
      await expect(store.ping()).resolves.toBeUndefined();

      await cluster.nodes[2].stop();

      await waitFor('the health check to fail', () =>
        store.ping().then(
          () => false,
          (error) => error instanceof StoreUnavailableError,
        ),
      );
    });
  });
});
