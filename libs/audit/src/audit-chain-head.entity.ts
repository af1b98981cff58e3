import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * The end of an organization's audit chain (locked while appending, so events are numbered
 * one at a time) and its anchor: the last event a retention purge removed, where
 * verification starts.
 */
@Entity({ name: 'audit_chain_heads' })
export class AuditChainHead {
  @PrimaryColumn({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @Column({ name: 'last_sequence', type: 'bigint', default: 0 })
  lastSequence!: string;

  @Column({ name: 'last_hash', type: 'varchar', length: 64, nullable: true })
  lastHash!: string | null;

  @Column({ name: 'anchor_sequence', type: 'bigint', default: 0 })
  anchorSequence!: string;

  @Column({ name: 'anchor_hash', type: 'varchar', length: 64, nullable: true })
  anchorHash!: string | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
