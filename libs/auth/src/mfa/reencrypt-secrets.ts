import { DataSource } from 'typeorm';
import { SecretCipher, SecretDecryptionError } from '@app/crypto';
import { totpCipherContext } from './mfa.service';

export interface ReencryptionResult {
  checked: number;
  reencrypted: number;
  /** Rows whose key is not configured or that fail authentication: left as they are. */
  undecryptable: number;
}

/**
 * Re-encrypts with the current key every stored TOTP secret made with an older one. Rotation:
 * put the new key first in ENCRYPTION_KEYS and keep the old one after it, run this, then drop
 * the old key. Rows are locked while they are rewritten, in one transaction.
 */
export async function reencryptTotpSecrets(
  dataSource: DataSource,
  cipher: SecretCipher,
): Promise<ReencryptionResult> {
  return dataSource.transaction(async (manager) => {
    const rows = await manager.query<
      Array<{ user_id: string; secret_encrypted: string | null; pending: string | null }>
    >(
      `SELECT user_id, secret_encrypted, pending_secret_encrypted AS pending
         FROM user_totp_factors ORDER BY user_id FOR UPDATE`,
    );
    let reencrypted = 0;
    let undecryptable = 0;
    for (const row of rows) {
      const context = totpCipherContext(row.user_id);
      const move = (value: string | null) =>
        value !== null && cipher.needsReencryption(value)
          ? cipher.reencrypt(value, context)
          : value;
      let secret: string | null;
      let pending: string | null;
      try {
        secret = move(row.secret_encrypted);
        pending = move(row.pending);
      } catch (error) {
        // One unreadable row must not keep every other secret on the old key.
        if (!(error instanceof SecretDecryptionError)) throw error;
        undecryptable += 1;
        continue;
      }
      if (secret === row.secret_encrypted && pending === row.pending) continue;
      await manager.query(
        `UPDATE user_totp_factors SET secret_encrypted = $2, pending_secret_encrypted = $3
          WHERE user_id = $1`,
        [row.user_id, secret, pending],
      );
      reencrypted += 1;
    }

    return { checked: rows.length, reencrypted, undecryptable };
  });
}
