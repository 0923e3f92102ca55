// One route table shape for both servers, served by Bun's native router; a fallback tells a wrong method from a wrong path.
import type { BunRequest, Server } from "bun";
import { HttpError } from "./errors.ts";

export type Method = "GET" | "POST" | "PUT" | "DELETE";

/** Path pattern (`/v1/messages/:id`, params percent-decoded by Bun) → method → handler. */
export type RouteTable<H> = Record<string, Partial<Record<Method, H>>>;

export type BunHandler<D> = (req: BunRequest, server: Server<D>) => Response | Promise<Response> | undefined;

/** What Bun's `routes` option takes, with or without a WebSocket handler. */
export type BunRoutes<D> = Bun.Serve.Routes<D, string> & Bun.Serve.RoutesWithUpgrade<D, string>;

/** The same table with each handler wrapped once (authentication, error mapping). */
export function wrapRoutes<H, W>(table: RouteTable<H>, wrap: (handler: H) => W): RouteTable<W> {
  const routes: RouteTable<W> = {};
  for (const [path, methods] of Object.entries(table)) {
    const wrapped: Partial<Record<Method, W>> = {};
    for (const [method, handler] of Object.entries(methods) as [Method, H][]) wrapped[method] = wrap(handler);
    routes[path] = wrapped;
  }
  return routes;
}

/** The table as Bun's `routes` option. */
export function bunRoutes<D>(table: RouteTable<BunHandler<D>>): BunRoutes<D> {
  // Bun types each handler's request by its literal path, which a table built at runtime cannot name; params are
  // parsed with zod instead.
  return table as unknown as BunRoutes<D>;
}

/**
 * For the requests Bun's router did not take: 405 with `Allow` when the path is in the table under other methods,
 * else 404. The patterns are compiled once, here.
 */
export function unmatchedRoute(table: RouteTable<unknown>): (req: Request) => HttpError {
  const patterns = Object.entries(table).map(([path, methods]) => ({
    pattern: new RegExp(`^${path.replace(/:[a-zA-Z]+/g, "[^/]+")}$`),
    allow: Object.keys(methods).join(", "),
  }));
  return (req) => {
    const path = new URL(req.url).pathname;
    const known = patterns.find((p) => p.pattern.test(path));
    if (known) {
      return new HttpError(
        405,
        "method_not_allowed",
        `${req.method} is not allowed on ${path}; use ${known.allow}`,
        {
          headers: { allow: known.allow },
        },
      );
    }
    return new HttpError(404, "not_found", `no route for ${req.method} ${path}`);
  };
}

/** Query parameters as a plain object, for zod. */
export function queryOf(req: Request): Record<string, string> {
  const q = req.url.indexOf("?");
  if (q < 0) return {};
  return Object.fromEntries(new URLSearchParams(req.url.slice(q + 1)));
}
