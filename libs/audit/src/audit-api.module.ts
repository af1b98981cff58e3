import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditChainHead } from './audit-chain-head.entity';
import { AuditEvent } from './audit-event.entity';
import { AuditController } from './audit.controller';
import { AuditQueryService } from './audit-query.service';

/**
 * The audit routes. AppModule imports this only when audit logging is enabled, so the routes
 * answer 404 and leave the OpenAPI document otherwise; AuditModule (the writer) stays global.
 */
@Module({
  imports: [TypeOrmModule.forFeature([AuditEvent, AuditChainHead])],
  controllers: [AuditController],
  providers: [AuditQueryService],
})
export class AuditApiModule {}
