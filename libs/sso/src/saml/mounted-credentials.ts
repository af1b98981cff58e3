import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { checkCertificateCurrent, checkKeyPair, toPemCertificate } from '../certificates';

/** The service provider's signing key and certificate, as PEM. */
export interface ServiceProviderCredentials {
  privateKey: string;
  certificate: string;
}

/** File names of a Kubernetes `kubernetes.io/tls` secret (`kubectl create secret tls`). */
const CERTIFICATE_FILE = 'tls.crt';
const KEY_FILE = 'tls.key';

/**
 * The platform's SAML signing credentials from a mounted secret (the deployment guide mounts
 * `saml-certificate` at /var/secrets/saml). Connections without a key of their own sign their
 * requests with it and publish its certificate. The files are checked on every use (a stat,
 * no read) and read again when they change, so rotating the secret takes effect without a
 * restart; Kubernetes swaps both files at once. An unusable pair is logged and ignored.
 */
@Injectable()
export class MountedSamlCredentials {
  private readonly logger = new Logger(MountedSamlCredentials.name);
  private cached: { stamp: string; value: ServiceProviderCredentials | null } | null = null;
  private readonly directory: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.directory = config.sso.certificateDir;
  }

  /** The credentials in the mounted folder now, or null when there are none usable. */
  current(): ServiceProviderCredentials | null {
    const keyPath = join(this.directory, KEY_FILE);
    const certificatePath = join(this.directory, CERTIFICATE_FILE);
    const stamp = fileStamp(keyPath, certificatePath);
    if (stamp === null) {
      this.cached = null;
      return null;
    }
    if (this.cached?.stamp === stamp) return this.cached.value;

    this.cached = { stamp, value: this.load(keyPath, certificatePath) };

    return this.cached.value;
  }

  private load(keyPath: string, certificatePath: string): ServiceProviderCredentials | null {
    try {
      const certificate = toPemCertificate(readFileSync(certificatePath, 'utf8'), CERTIFICATE_FILE);
      const privateKey = readFileSync(keyPath, 'utf8');
      checkCertificateCurrent(certificate, CERTIFICATE_FILE);
      checkKeyPair(privateKey, certificate);
      this.logger.log({ event: 'saml_credentials_loaded', directory: this.directory });

      return { privateKey, certificate };
    } catch (error) {
      // The message names the file and the rule broken, never the key.
      this.logger.warn({
        event: 'saml_credentials_unusable',
        directory: this.directory,
        reason: error instanceof Error ? error.message : 'unreadable',
      });

      return null;
    }
  }
}

/** What changes when either file is replaced; null when one of them is missing. */
function fileStamp(...paths: string[]): string | null {
  try {
    return paths
      .map((path) => {
        const stats = statSync(path);
        return `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
      })
      .join('|');
  } catch {
    return null;
  }
}
