export * from './api-problems.decorator';
export * from './domain.exception';
export * from './pagination';
export * from './problem-details';
export * from './problem-details.filter';
export * from './public.decorator';
export * from './validation';
