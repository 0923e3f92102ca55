// A tiny method + path router: `:name` segments capture, unknown paths → 404, known paths with another method → 405.
import { ControlHttpError } from "./http.ts";

export type Method = "GET" | "POST";

export interface RouteContext {
  req: Request;
  url: URL;
  params: Record<string, string>;
}

export interface Route {
  method: Method;
  /** e.g. "/v1/hooks/:event" */
  pattern: string;
  handle: (ctx: RouteContext) => Promise<Response>;
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

function matchPattern(pattern: string, pathname: string): Record<string, string> | undefined {
  const want = pattern.split("/");
  const got = pathname.split("/");
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(":")) {
      if (g.length === 0) return undefined;
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return undefined;
      }
    } else if (w !== g) return undefined;
  }
  return params;
}

/** The route for this request, or a 404/405 ControlHttpError. */
export function matchRoute(routes: readonly Route[], method: string, pathname: string): Match {
  const allowed = new Set<string>();
  for (const route of routes) {
    const params = matchPattern(route.pattern, pathname);
    if (!params) continue;
    if (route.method === method) return { route, params };
    allowed.add(route.method);
  }
  if (allowed.size > 0) {
    const allow = [...allowed].join(", ");
    throw new ControlHttpError(405, "method_not_allowed", `${method} is not allowed here; use ${allow}`, {
      headers: { allow },
    });
  }
  throw new ControlHttpError(404, "not_found", `no route for ${pathname}`);
}
