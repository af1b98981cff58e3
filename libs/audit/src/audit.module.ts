import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditChainHead } from './audit-chain-head.entity';
import { AuditEvent } from './audit-event.entity';
import { AuditService } from './audit.service';

/** The audit writer, available to every feature so each records its own changes. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([AuditEvent, AuditChainHead])],
  providers: [AuditService],
  exports: [AuditService],
})
export class AuditModule {}
