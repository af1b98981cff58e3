import { EntityManager } from 'typeorm';

const UNIQUE_VIOLATION = '23505';

/**
 * Runs an UPDATE or DELETE ... RETURNING and gives its rows. TypeORM's postgres driver
 * answers such statements with `[rows, rowCount]` rather than the rows alone.
 */
export async function modifyReturning<T>(
  manager: EntityManager,
  sql: string,
  parameters: unknown[],
): Promise<T[]> {
  const [rows] = await manager.query<[T[], number]>(sql, parameters);

  return rows;
}

/** Escapes LIKE's wildcards so a search term matches literally (used with ESCAPE '\'). */
export function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (character) => `\\${character}`);
}

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown })?.code === UNIQUE_VIOLATION;
}
