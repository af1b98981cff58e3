import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { COMMON_ERRORS, CommonErrorCode } from './domain.exception';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Base of the `type` URI of every problem; the code, in kebab case, completes it. */
const PROBLEM_TYPE_BASE = 'https://docs.faultmaven.com/problems/';

export function problemType(code: string): string {
  return PROBLEM_TYPE_BASE + code.toLowerCase().replace(/_/g, '-');
}

export class FieldErrorDto {
  @ApiProperty({ example: 'email' })
  field!: string;

  @ApiProperty({ example: 'email must be an email' })
  message!: string;
}

/** The one error body of the API (RFC 9457 problem details plus `code` and `request_id`). */
export class ProblemDetailsDto {
  @ApiProperty({ example: problemType('VALIDATION_FAILED') })
  type!: string;

  @ApiProperty({ example: 'Request validation failed' })
  title!: string;

  @ApiProperty({ example: 400 })
  status!: number;

  @ApiProperty({
    example: 'email must be an email',
    description: 'A human explanation of this occurrence; always present',
  })
  detail!: string;

  @ApiProperty({ example: 'VALIDATION_FAILED', description: 'Stable machine-readable error code' })
  code!: string;

  @ApiProperty({ example: '4b1c0a62-6a8f-4a3e-9a39-5f7f0b8c2d11' })
  request_id!: string;

  @ApiPropertyOptional({ type: [FieldErrorDto] })
  errors?: FieldErrorDto[];
}

/**
 * A whole HTTP/1.1 response, problem body included, for errors Node's HTTP parser meets before
 * there is a request object (`clientError`): headers too large, a malformed request, a
 * timeout. Nothing of the request is echoed; the request id is a fresh one.
 */
export function rawProblemResponse(code: CommonErrorCode, requestId = randomUUID()): string {
  const { status, title } = COMMON_ERRORS[code];
  const body = commonProblemBody(code, requestId);

  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? title}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-ID: ${requestId}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** The problem body, as JSON text, of one of the common errors. */
export function commonProblemBody(code: CommonErrorCode, requestId: string): string {
  const { status, title, detail } = COMMON_ERRORS[code];

  return JSON.stringify({
    type: problemType(code),
    title,
    status,
    detail,
    code,
    request_id: requestId,
  } satisfies ProblemDetailsDto);
}
