import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from './problem-details';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (malformed JSON, unknown or invalid fields)',
  401: 'Missing, invalid, expired or revoked credentials',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflicts with existing data',
  410: 'Gone: the link or token was already used or has expired',
  413: 'Request body too large',
  429: 'Rate limited',
  502: 'An upstream service (such as an identity provider) could not be reached',
  503: 'A dependency is unavailable or the service is overloaded',
};

/**
 * Documents the problem responses a route can answer with, all with the one error body
 * (ProblemDetailsDto, registered as an extra model of the OpenAPI document).
 */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Error',
        content: {
          [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } },
        },
      }),
    ),
  );
}
