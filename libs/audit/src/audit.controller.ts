import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Actor, ApiProblems, CurrentPrincipal, Principal, RequirePermission } from '@app/common';
import type { AuditContext } from './audit-context';
import { AuditQueryService } from './audit-query.service';
import { AuditEventPageDto } from './dto/audit-event-page.dto';
import { AuditVerificationDto } from './dto/audit-verification.dto';
import { ExportAuditEventsQueryDto } from './dto/export-audit-events-query.dto';
import { ListAuditEventsQueryDto } from './dto/list-audit-events-query.dto';

/** The audit log of the caller's organization: query, export, verify. */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(private readonly auditQuery: AuditQueryService) {}

  @RequirePermission('audit:read')
  @Get('events')
  @ApiOperation({
    summary: 'Query audit events, newest first',
    description:
      'Filters combine with AND. Pass `next_cursor` as `cursor` for the next page; a cursor ' +
      'stays valid while events are appended.',
  })
  @ApiOkResponse({ type: AuditEventPageDto, description: 'A page of events, newest first' })
  @ApiProblems(400, 401, 403, 503)
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListAuditEventsQueryDto,
  ): Promise<AuditEventPageDto> {
    return this.auditQuery.list(principal.organizationId, query);
  }

  @RequirePermission('audit:export')
  @Get('events/export')
  @ApiOperation({
    summary: 'Download audit events as NDJSON or CSV, oldest first',
    description:
      'Streams every event of the time range; the export itself is recorded as ' +
      "`audit.exported`. CSV cells that a spreadsheet would run as formulas start with `'`.",
  })
  @ApiProduces('application/x-ndjson', 'text/csv')
  @ApiOkResponse({
    description: 'One JSON event per line (NDJSON) or a CSV file with a header row',
    content: {
      'application/x-ndjson': { schema: { type: 'string' } },
      'text/csv': { schema: { type: 'string' } },
    },
  })
  @ApiProblems(400, 401, 403, 503)
  async export(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ExportAuditEventsQueryDto,
    @Actor() actor: AuditContext,
  ): Promise<StreamableFile> {
    const file = await this.auditQuery.export(principal.organizationId, query, actor);

    return new StreamableFile(file.body, {
      type: file.contentType,
      disposition: `attachment; filename="${file.filename}"`,
    });
  }

  @RequirePermission('audit:verify')
  @Get('verify')
  @ApiOperation({
    summary: "Verify the organization's audit hash chain",
    description:
      'Recomputes every hash from the anchor left by the last retention purge to the newest ' +
      'event and reports the first event that was altered or removed.',
  })
  @ApiOkResponse({
    type: AuditVerificationDto,
    description: 'Whether the chain is intact, and where it first is not',
  })
  @ApiProblems(401, 403, 503)
  verify(@CurrentPrincipal() principal: Principal): Promise<AuditVerificationDto> {
    return this.auditQuery.verify(principal.organizationId);
  }
}
