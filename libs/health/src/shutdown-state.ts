import { Injectable } from '@nestjs/common';

/**
 * Whether the instance is shutting down. Once it is, readiness answers 503 so the load
 * balancer stops sending traffic, and responses ask clients to close their connection.
 */
@Injectable()
export class ShutdownState {
  private draining = false;

  get isDraining(): boolean {
    return this.draining;
  }

  begin(): void {
    this.draining = true;
  }
}
