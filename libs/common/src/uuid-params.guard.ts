import { CanActivate, ExecutionContext, ParseUUIDPipe } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { Request } from 'express';
import { CommonException, FieldError } from './domain.exception';

/** One parameter of a route as `@Param()` records it (the key is `<RouteParamtypes>:<index>`). */
interface RouteArgument {
  index: number;
  data?: unknown;
  pipes?: unknown[];
}

/** A path parameter a route checks with ParseUUIDPipe, with the pipe that checks it. */
interface UuidParameter {
  name: string;
  pipe: ParseUUIDPipe;
}

/**
 * Refuses a request whose UUID path parameters (`@Param('id', ParseUUIDPipe)`) are not UUIDs
 * with a 400 VALIDATION_FAILED that names each of them in `errors[]`. The pipe alone answers
 * "Validation failed (uuid is expected)": it is told which parameter it checks but does not
 * say. Each route's own pipes do the checking, so the answer agrees with them; the pipes that
 * follow then pass.
 *
 * A guard rather than an interceptor catching the pipe's error: a global interceptor costs every
 * request Nest's RxJS chain. Installed with `useGlobalGuards`, after the guards that
 * authenticate, authorize and rate-limit, so those still answer first, as before the pipes.
 */
export class UuidParamsGuard implements CanActivate {
  /** Per route handler, worked out on its first request. */
  private readonly parameters = new WeakMap<object, UuidParameter[]>();

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const parameters = this.uuidParametersOf(context);
    if (parameters.length === 0) return true;

    return this.check(parameters, context.switchToHttp().getRequest<Request>().params);
  }

  private async check(parameters: UuidParameter[], values: Request['params']): Promise<boolean> {
    const errors: FieldError[] = [];
    for (const { name, pipe } of parameters) {
      try {
        await pipe.transform(values[name], { type: 'param', data: name });
      } catch {
        errors.push({ field: name, message: `${name} must be a UUID` });
      }
    }
    if (errors.length > 0) {
      throw new CommonException(
        'VALIDATION_FAILED',
        errors.map((error) => error.message).join('; '),
        errors,
      );
    }

    return true;
  }

  private uuidParametersOf(context: ExecutionContext): UuidParameter[] {
    const handler = context.getHandler();
    let parameters = this.parameters.get(handler);
    if (!parameters) {
      const routeArguments =
        (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) as
          Record<string, RouteArgument> | undefined) ?? {};
      // In the order of the handler's parameters (decorators record them last first).
      const entries = Object.entries(routeArguments).sort(([, a], [, b]) => a.index - b.index);
      parameters = entries.flatMap(([key, { data, pipes = [] }]) => {
        if (!key.startsWith(`${RouteParamtypes.PARAM}:`) || typeof data !== 'string') {
          return [];
        }
        const pipe = pipes.find((each) => each === ParseUUIDPipe || each instanceof ParseUUIDPipe);
        if (!pipe) return [];

        return [{ name: data, pipe: pipe instanceof ParseUUIDPipe ? pipe : new ParseUUIDPipe() }];
      });
      this.parameters.set(handler, parameters);
    }

    return parameters;
  }
}
