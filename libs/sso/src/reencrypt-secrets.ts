import { DataSource } from 'typeorm';
import { SecretCipher, SecretDecryptionError } from '@app/crypto';
import { secretContext } from './sso-connections.service';

export interface SsoReencryptionResult {
  checked: number;
  reencrypted: number;
  /** Secrets whose key is not configured or that fail authentication: left as they are. */
  undecryptable: number;
}

/**
 * Re-encrypts with the current key every SSO secret (OIDC client secrets, SAML SP private
 * keys) made with an older one, rows locked, in one transaction; the same rotation steps as
 * for TOTP secrets.
 */
export async function reencryptSsoSecrets(
  dataSource: DataSource,
  cipher: SecretCipher,
): Promise<SsoReencryptionResult> {
  return dataSource.transaction(async (manager) => {
    const rows = await manager.query<
      Array<{ id: string; client_secret: string | null; sp_private_key: string | null }>
    >(
      `SELECT id, oidc_client_secret AS client_secret, saml_sp_private_key AS sp_private_key
         FROM sso_connections
        WHERE oidc_client_secret IS NOT NULL OR saml_sp_private_key IS NOT NULL
        ORDER BY id FOR UPDATE`,
    );
    let reencrypted = 0;
    let undecryptable = 0;
    for (const row of rows) {
      const move = (value: string | null, field: 'client_secret' | 'sp_private_key') =>
        value !== null && cipher.needsReencryption(value)
          ? cipher.reencrypt(value, secretContext(row.id, field))
          : value;
      let clientSecret: string | null;
      let spPrivateKey: string | null;
      try {
        clientSecret = move(row.client_secret, 'client_secret');
        spPrivateKey = move(row.sp_private_key, 'sp_private_key');
      } catch (error) {
        if (!(error instanceof SecretDecryptionError)) throw error;
        undecryptable += 1;
        continue;
      }
      if (clientSecret === row.client_secret && spPrivateKey === row.sp_private_key) continue;
      await manager.query(
        `UPDATE sso_connections SET oidc_client_secret = $2, saml_sp_private_key = $3
          WHERE id = $1`,
        [row.id, clientSecret, spPrivateKey],
      );
      reencrypted += 1;
    }

    return { checked: rows.length, reencrypted, undecryptable };
  });
}
