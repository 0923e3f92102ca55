// The fleet view's own listener: the page, sign-in, a live event stream and the actions a person takes (answer a
// permission, restart, send). Actions go through the relay's own handlers with the signed-in principal, so they are
// checked exactly as the HTTP API checks them.
import type { BunRequest, Server } from "bun";
import { toErrorResponse } from "../../http/errors.ts";
import { createCommand } from "../http/commands.ts";
import type { Handler, Relay } from "../http/context.ts";
import { sendMessage } from "../http/messages.ts";
import type { FleetFeed } from "./feed.ts";
import { appPage, STATIC_FILES, signInPage } from "./page.ts";
import { type FleetSession, FleetSessions, SESSION_COOKIE } from "./sessions.ts";

export interface FleetServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

/** Every answer: no caching, no framing, no sniffing; scripts, styles and connections only from this origin. */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on form posts, which the
  // same-origin check would refuse.
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
  "x-frame-options": "DENY",
};
/** Bodies of sign-in and actions: a token or a message, far below the relay's own JSON cap. */
const MAX_ACTION_BYTES = 256 * 1024;

export function serveFleet(relay: Relay, feed: FleetFeed, o: FleetServerOptions): Server<undefined> {
  const sessions = new FleetSessions(relay.auth, relay.store.tokens, relay.clock);
  let origin = "";
  const allowedHosts = new Set<string>();
  const html = (body: string, status = 200, extra: Record<string, string> = {}) =>
    new Response(body, {
      status,
      headers: { ...SECURITY_HEADERS, "content-type": "text/html; charset=utf-8", ...extra },
    });
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { ...SECURITY_HEADERS, "content-type": "application/json" },
    });
  const sessionOf = (req: Request) => sessions.get(cookieValue(req, SESSION_COOKIE));
  /** A POST from this page only: its own Origin (a browser always sends one on POST), never another site's. */
  const sameOrigin = (req: Request) => req.headers.get("origin") === `http://${req.headers.get("host")}`;

  // Every route checks the Host header first: a page on another name (DNS rebinding) gets nothing.
  const guard = (handler: (req: BunRequest) => Response | Promise<Response>) => async (req: BunRequest) => {
    if (!allowedHosts.has(req.headers.get("host") ?? "")) return html("unknown host", 421);
    try {
      return await handler(req);
    } catch (e) {
      return toErrorResponse(e, (err) => relay.logger.error({ err }, "fleet view request failed"));
    }
  };
  const signedIn = (
    handler: (req: BunRequest, s: FleetSession) => Response | Promise<Response>,
    post = false,
  ) =>
    guard(async (req) => {
      const s = sessionOf(req);
      if (!s) return json({ error: { code: "unauthorized", message: "sign in first" } }, 401);
      if (post && !sameOrigin(req))
        return json({ error: { code: "forbidden", message: "cross-site request" } }, 403);
      return handler(req, s);
    });
  /** Runs one of the relay's handlers as the signed-in person, with the JSON body the page sent. */
  const asPerson = (handler: Handler) =>
    signedIn(async (req, s) => {
      const body = await req.text();
      if (body.length > MAX_ACTION_BYTES)
        return json({ error: { code: "too_large", message: "too large" } }, 413);
      const inner = new Request(`${origin}/`, { method: "POST", body }) as BunRequest;
      const res = await handler(inner, { relay, principal: s.principal });
      return new Response(res.body, {
        status: res.status,
        headers: { ...SECURITY_HEADERS, "content-type": "application/json" },
      });
    }, true);

  const staticRoutes = Object.fromEntries(
    Object.entries(STATIC_FILES).map(([path, file]) => [
      path,
      {
        GET: signedIn(
          () =>
            new Response(file.body, {
              headers: { ...SECURITY_HEADERS, "content-type": file.type },
            }),
        ),
      },
    ]),
  );

  const server = Bun.serve({
    hostname: o.host,
    port: o.port,
    // Bodies are read before sign-in is known (the sign-in form itself): Bun refuses larger ones (413) unread.
    maxRequestBodySize: MAX_ACTION_BYTES,
    routes: {
      "/": {
        GET: guard((req) => {
          const s = sessionOf(req);
          return s ? html(appPage(s.name)) : html(signInPage());
        }),
      },
      "/signin": {
        POST: guard(async (req) => {
          if (!sameOrigin(req))
            return html(signInPage("This form only works from the fleet view's own page."), 403);
          const text = await req.text();
          if (text.length > MAX_ACTION_BYTES) return html(signInPage("That is not a token."), 413);
          const token = new URLSearchParams(text).get("token") ?? "";
          const result = await sessions.signIn(token);
          if (!result.ok) return html(signInPage(`Not signed in: ${result.message}`), 401);
          const maxAge = Math.max(0, Math.floor((result.session.expiresAt - relay.clock.now()) / 1000));
          return new Response(null, {
            status: 303,
            headers: {
              ...SECURITY_HEADERS,
              location: "/",
              "set-cookie": `${SESSION_COOKIE}=${result.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}`,
            },
          });
        }),
      },
      "/signout": {
        POST: guard((req) => {
          if (!sameOrigin(req)) return html("cross-site request", 403);
          sessions.signOut(cookieValue(req, SESSION_COOKIE));
          return new Response(null, {
            status: 303,
            headers: {
              ...SECURITY_HEADERS,
              location: "/",
              "set-cookie": `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`,
            },
          });
        }),
      },
      "/api/stream": {
        GET: signedIn(() => {
          const stream = feed.open();
          if (!stream)
            return json({ error: { code: "rate_limited", message: "too many open fleet pages" } }, 503);
          return new Response(stream, {
            headers: { ...SECURITY_HEADERS, "content-type": "text/event-stream", connection: "keep-alive" },
          });
        }),
      },
      "/favicon.ico": { GET: guard(() => new Response(null, { status: 204, headers: SECURITY_HEADERS })) },
      "/api/messages": { POST: asPerson(sendMessage) },
      "/api/commands": { POST: asPerson(createCommand) },
      ...staticRoutes,
    },
    fetch: guard(() => html("not found", 404)),
  });
  const port = server.port ?? o.port;
  origin = `http://${o.host.includes(":") ? `[${o.host}]` : o.host}:${port}`;
  for (const name of [o.host.includes(":") ? `[${o.host}]` : o.host, "localhost", "127.0.0.1", "[::1]"])
    allowedHosts.add(`${name}:${port}`);
  return server;
}

function cookieValue(req: Request, name: string): string | undefined {
  return new Bun.CookieMap(req.headers.get("cookie") ?? "").get(name) ?? undefined;
}
