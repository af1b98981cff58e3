import { loadAppConfig } from '@app/config';
import {
  PRIMARY_APPLICATION_NAME,
  REPLICA_APPLICATION_NAME,
  buildDataSourceOptions,
} from './data-source-options';

const env = {
  POSTGRES_HOST: 'primary.internal',
  POSTGRES_PASSWORD: 'pw',
  POSTGRES_REPLICA_HOSTS: 'replica-1,replica-2:6432',
};

describe('buildDataSourceOptions', () => {
  it('keeps reads on the primary unless a caller asks for a replica', () => {
    const options = buildDataSourceOptions(loadAppConfig(env));

    expect(options).toMatchObject({
      replication: {
        defaultMode: 'master',
        master: { host: 'primary.internal', applicationName: PRIMARY_APPLICATION_NAME },
        slaves: [
          {
            host: 'replica-1',
            port: 5432,
            password: 'pw',
            applicationName: REPLICA_APPLICATION_NAME,
          },
          { host: 'replica-2', port: 6432, applicationName: REPLICA_APPLICATION_NAME },
        ],
      },
    });
    // A top-level name would override the per-pool names.
    expect(options).not.toHaveProperty('applicationName');
  });

  it('opens no replica pools for the migrations CLI', () => {
    const options = buildDataSourceOptions(loadAppConfig(env), undefined, { replicas: false });

    expect(options).not.toHaveProperty('replication');
    expect(options).toMatchObject({
      host: 'primary.internal',
      applicationName: PRIMARY_APPLICATION_NAME,
    });
  });

  it('ignores replicas and TLS on the embedded database', () => {
    const options = buildDataSourceOptions(
      loadAppConfig({ POSTGRES_REPLICA_HOSTS: 'replica-1', POSTGRES_SSL_MODE: 'require' }),
      { host: '127.0.0.1', port: 5999 },
    );

    expect(options).not.toHaveProperty('replication');
    expect(options).not.toHaveProperty('ssl');
    expect(options).toMatchObject({ host: '127.0.0.1', port: 5999 });
  });

  it('never installs extensions at connect', () => {
    expect(buildDataSourceOptions(loadAppConfig(env))).toMatchObject({ installExtensions: false });
  });
});
