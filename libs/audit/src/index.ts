export * from './audit-chain-head.entity';
export * from './audit-context';
export * from './audit-event.entity';
export * from './audit-hash';
export * from './audit.module';
export * from './audit.service';
