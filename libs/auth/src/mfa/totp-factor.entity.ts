import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A user's TOTP authenticator: the confirmed secret and, during enrolment, a pending one. */
@Entity({ name: 'user_totp_factors' })
export class TotpFactor {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  /** SecretCipher ciphertext of the base32 secret; never selected unless asked for. */
  @Column({ name: 'secret_encrypted', type: 'text', nullable: true, select: false })
  secretEncrypted!: string | null;

  /** Set once a code from the authenticator confirmed the secret: MFA is on. */
  @Column({ name: 'enabled_at', type: 'timestamptz', nullable: true })
  enabledAt!: Date | null;

  @Column({ name: 'pending_secret_encrypted', type: 'text', nullable: true, select: false })
  pendingSecretEncrypted!: string | null;

  @Column({ name: 'pending_expires_at', type: 'timestamptz', nullable: true })
  pendingExpiresAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
