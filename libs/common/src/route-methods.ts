import type { Request } from 'express';
import { METHODS } from 'node:http';

/** The part of Express's router (the `router` package) this module reads. */
interface RouterLayer {
  route?: { methods: Record<string, boolean | undefined> };
  match(path: string): unknown;
}

/**
 * The request's full path, without its query string: a handler mounted under a prefix (Nest's
 * 404) sees `path` without the prefix, and the query can hold secrets that must not be echoed.
 */
export function requestPath(request: Request): string {
  return (request.originalUrl || request.url).split('?')[0];
}

/**
 * The methods the application serves at the request's path, read from Express's own route
 * table and matched with the router's own matcher, so the answer agrees with routing exactly.
 * Empty when no route has this path. HEAD comes with GET, as Express serves it.
 */
export function allowedMethods(request: Request): string[] {
  // The typings of Express omit the layers' `match`, which the router itself uses to route.
  const app = request.app as unknown as { router?: { stack?: RouterLayer[] } } | undefined;
  const router = app?.router;
  if (!router?.stack) return [];
  const path = requestPath(request);
  const methods = new Set<string>();
  for (const layer of router.stack) {
    if (!layer.route || !layer.match(path)) continue;
    // A route for every method is a catch-all (Nest mounts its middleware and its 404 handlers
    // of unprefixed paths that way), not an endpoint.
    const served = Object.keys(layer.route.methods);
    if (METHODS.every((method) => served.includes(method.toLowerCase()))) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) {
      if (on && method !== '_all') methods.add(method.toUpperCase());
    }
  }
  if (methods.has('GET')) methods.add('HEAD');

  return [...methods].sort();
}
