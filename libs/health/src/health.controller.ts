import {
  Controller,
  Get,
  HttpStatus,
  Inject,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  HealthCheckService,
  HealthIndicatorFunction,
  HealthIndicatorService,
} from '@nestjs/terminus';
import type { Response } from 'express';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { KEY_VALUE_STORE, KeyValueStore, RedisStore } from '@app/cache';
import { ApiProblems, Public } from '@app/common';
import { DependencyStatusDto, HealthReportDto } from './health-report.dto';
import { ShutdownState } from './shutdown-state';

const CHECK_TIMEOUT_MS = 2000;

/**
 * `/health` and `/health/ready` check PostgreSQL and the store; `/health/live` only that the
 * process answers. Failing checks give 503 with `"status": "unhealthy"`, and recover on their
 * own once the dependency is back.
 */
@Public()
@ApiTags('health')
@ApiExtraModels(DependencyStatusDto)
// The JSON body parser runs before every route, probes included: a malformed body gets 400.
@ApiProblems(400)
@Controller('health')
export class HealthController {
  private readonly startedAt = Date.now();

  constructor(
    private readonly health: HealthCheckService,
    private readonly dataSource: DataSource,
    private readonly indicators: HealthIndicatorService,
    @Inject(KEY_VALUE_STORE) private readonly store: KeyValueStore,
    private readonly shutdown: ShutdownState,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Health of the service and its dependencies' })
  @ApiOkResponse({ type: HealthReportDto })
  @ApiServiceUnavailableResponse({ type: HealthReportDto })
  check(@Res({ passthrough: true }) response: Response): Promise<HealthReportDto> {
    return this.report(response, this.dependencyChecks());
  }

  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: PostgreSQL and the store answer, and the instance is not shutting down',
  })
  @ApiOkResponse({ type: HealthReportDto })
  @ApiServiceUnavailableResponse({ type: HealthReportDto })
  ready(@Res({ passthrough: true }) response: Response): Promise<HealthReportDto> {
    // Failing at once, whatever the dependencies say, takes the instance out of rotation
    // while its in-flight requests finish.
    if (this.shutdown.isDraining) return this.report(response, [], false);

    return this.report(response, this.dependencyChecks());
  }

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ type: HealthReportDto })
  live(@Res({ passthrough: true }) response: Response): Promise<HealthReportDto> {
    return this.report(response, []);
  }

  private dependencyChecks(): HealthIndicatorFunction[] {
    const storeType = this.store instanceof RedisStore ? 'redis' : 'memory';

    return [
      () =>
        this.indicators
          .check('database')
          .attempt(() => this.pingDatabase())
          .withTimeout(CHECK_TIMEOUT_MS),
      () =>
        this.indicators
          .check('store')
          .attempt(async () => {
            await this.store.ping();
            return { type: storeType };
          })
          .withTimeout(CHECK_TIMEOUT_MS),
    ];
  }

  /**
   * `SELECT 1` on a pool connection. While requests already wait for a connection, the ping
   * would wait behind them and time out: under load every instance would leave the rotation at
   * once and overload become an outage. Requests waiting means every connection is out doing
   * their queries, so the database counts as up; the requests that wait too long are shed with
   * 503 SERVICE_OVERLOADED. A lost database fails those connections, which leave the pool, and
   * the next ping reports it.
   */
  private async pingDatabase(): Promise<void> {
    const pool = (this.dataSource.driver as unknown as { master?: Pool }).master;
    if (pool && pool.waitingCount > 0) return;
    await this.dataSource.query('SELECT 1');
  }

  private async report(
    response: Response,
    checks: HealthIndicatorFunction[],
    accepting = true,
  ): Promise<HealthReportDto> {
    let healthy = accepting;
    let details: Record<string, unknown>;
    try {
      details = (await this.health.check(checks)).details;
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      healthy = false;
      details = (error.getResponse() as { details?: Record<string, unknown> }).details ?? {};
    }
    response.status(healthy ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    response.setHeader('Cache-Control', 'no-store');

    return {
      status: healthy ? 'healthy' : 'unhealthy',
      checks: Object.fromEntries(
        Object.entries(details).map(([name, detail]) => [name, summarize(detail)]),
      ),
      uptime_seconds: Math.round((Date.now() - this.startedAt) / 1000),
    };
  }
}

/** Keeps the status and harmless details; a failure's message may carry library text. */
function summarize(detail: unknown): { status: string; type?: string } {
  const { status, type } = (detail ?? {}) as { status?: string; type?: string };

  return { status: status ?? 'down', ...(type ? { type } : {}) };
}
