import { INestApplication, RequestMethod, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import request from 'supertest';
import { ACCESS_POLICY_KEY, AccessPolicy, IS_PUBLIC_KEY, RATE_LIMIT_KEY } from '@app/common';
import { TestApp } from './test-app';

/** A handler of a controller, with the access it declares on itself or its class. */
export interface ControllerRoute {
  /** `GET`, `POST`, ... */
  method: string;
  /** Controller and handler path without the global prefix: `members/:user_id`. */
  path: string;
  /** `MembersController.get`, for failure messages. */
  handler: string;
  isPublic: boolean;
  policy: AccessPolicy | undefined;
  /** The `@RateLimit(...)` policy, if the route has one. */
  rateLimit: string | undefined;
}

const reflector = new Reflector();
const scanner = new MetadataScanner();

function pathsOf(metadata: unknown): string[] {
  if (Array.isArray(metadata)) return metadata.map(String);

  return [typeof metadata === 'string' ? metadata : '/'];
}

function joinPath(...parts: string[]): string {
  return parts
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter((part) => part.length > 0)
    .join('/');
}

/** The routes one controller class declares, read from the metadata Nest mounts them by. */
export function routesOf(controller: Type): ControllerRoute[] {
  const prototype = controller.prototype as Record<string, unknown>;
  const routes: ControllerRoute[] = [];

  for (const name of scanner.getAllMethodNames(prototype)) {
    const handler = prototype[name] as (...args: unknown[]) => unknown;
    const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
    if (method === undefined) continue;
    const targets = [handler, controller];
    const isPublic = reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets) === true;
    const policy = reflector.getAllAndOverride<AccessPolicy | undefined>(
      ACCESS_POLICY_KEY,
      targets,
    );
    const rateLimit = reflector.getAllAndOverride<string | undefined>(RATE_LIMIT_KEY, targets);

    for (const base of pathsOf(Reflect.getMetadata(PATH_METADATA, controller))) {
      for (const own of pathsOf(Reflect.getMetadata(PATH_METADATA, handler))) {
        routes.push({
          method: RequestMethod[method],
          path: joinPath(base, own),
          handler: `${controller.name}.${name}`,
          isPublic,
          policy,
          rateLimit,
        });
      }
    }
  }

  return routes;
}

/** Every controller route of the running application, found through Nest's module graph. */
export function controllerRoutes(app: INestApplication): ControllerRoute[] {
  const discovery = new DiscoveryService(app.get(ModulesContainer));
  const controllers = new Set<Type>();
  for (const wrapper of discovery.getControllers()) {
    if (wrapper.metatype) controllers.add(wrapper.metatype as Type);
  }

  return [...controllers].flatMap(routesOf);
}

/** Routes that would reach their handler without @Public() and without an access policy. */
export function routesWithoutAccess(routes: ControllerRoute[]): string[] {
  return routes
    .filter((route) => !route.isPublic && route.policy === undefined)
    .map((route) => `${route.method} ${route.path} (${route.handler})`);
}

/** `/api/v1/enterprise/members/{user_id}` in the OpenAPI document is `.../:user_id` in Express. */
export function expressPath(openApiPath: string): string {
  return openApiPath.replace(/\{([^}]+)\}/g, ':$1');
}

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: OpenApiSchema;
}

export interface OpenApiSchema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  items?: OpenApiSchema;
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
}

export interface OpenApiOperation {
  operationId?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { content: Record<string, { schema: OpenApiSchema }> };
  responses: Record<string, unknown>;
  security?: Array<Record<string, string[]>>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, OpenApiSchema> };
}

/** One operation of the OpenAPI document, with its path as documented (`{user_id}`). */
export interface DocumentedOperation {
  method: string;
  path: string;
  operation: OpenApiOperation;
}

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options']);

/** The OpenAPI document the running app serves, as a client would fetch it. */
export async function fetchOpenApiDocument(t: TestApp): Promise<OpenApiDocument> {
  const response = await request(t.server).get('/enterprise/docs-json').expect(200);

  return response.body as OpenApiDocument;
}

export function operationsOf(document: OpenApiDocument): DocumentedOperation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.has(method))
      .map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
  );
}

/**
 * The controller route an operation documents: its path is the route's path, with or without
 * the global prefix (health checks live outside it).
 */
export function routeOfOperation(
  routes: ControllerRoute[],
  operation: DocumentedOperation,
  prefix: string,
): ControllerRoute | undefined {
  const path = expressPath(operation.path);

  return routes.find(
    (route) =>
      route.method === operation.method &&
      (path === `/${joinPath(prefix, route.path)}` || path === `/${route.path}`),
  );
}
