// Bun.serve wiring: the routes table, the bus upgrade, and JSON 404/405 for everything else.
import type { BunRequest, Server } from "bun";
import type { BusSocketData } from "./bus/session.ts";
import * as agents from "./http/agents.ts";
import * as attachments from "./http/attachments.ts";
import * as batch from "./http/batch.ts";
import * as commands from "./http/commands.ts";
import { authed, type Handler, type Relay } from "./http/context.ts";
import { errorResponse, HttpError } from "./http/errors.ts";
import * as messages from "./http/messages.ts";
import * as receipts from "./http/receipts.ts";
import * as tasks from "./http/tasks.ts";
import * as tokens from "./http/tokens.ts";

type Method = "GET" | "POST" | "PUT" | "DELETE";
type RouteTable = Record<string, Partial<Record<Method, Handler>>>;

const ROUTES: RouteTable = {
  "/v1/messages": { POST: messages.sendMessage },
  "/v1/messages/:id": { GET: messages.getMessage },
  "/v1/messages/:id/thread": { GET: messages.getThread },
  "/v1/messages/:id/claim": { POST: messages.claimMessage },
  "/v1/messages/:id/claim/renew": { POST: messages.renewClaim },
  "/v1/messages/:id/claim/complete": { POST: messages.completeClaim },
  "/v1/messages/:id/release": { POST: messages.releaseClaim },
  "/v1/messages/:id/read": { POST: messages.markRead },
  "/v1/messages/:id/reactions": { POST: messages.addReaction },
  "/v1/messages/:id/refuse": { POST: receipts.refuseMessage },
  "/v1/agents": { GET: agents.listAgents },
  "/v1/agents/:id": { GET: agents.getAgent, DELETE: agents.deregisterAgent },
  "/v1/agents/:id/unread": { GET: agents.unread },
  "/v1/agents/:id/messages": { GET: agents.messageHistory },
  "/v1/agents/:id/reply-obligations": { GET: agents.replyObligations },
  "/v1/agents/:id/status": { PUT: agents.putStatus },
  "/v1/agents/:id/ready": { PUT: agents.putReady },
  "/v1/agents/:id/heartbeat": { POST: agents.heartbeat },
  "/v1/agents/:id/liveness": { POST: agents.postLiveness },
  "/v1/agents/:id/read": { POST: batch.markReadMany },
  "/v1/agents/:id/claims": { POST: batch.claimMany },
  "/v1/agents/:id/claims/complete": { POST: batch.completeMany },
  "/v1/tasks": { POST: tasks.createTask, GET: tasks.listTasks },
  "/v1/tasks/:id": { GET: tasks.getTask },
  "/v1/tasks/:id/status": { POST: tasks.setTaskStatus },
  "/v1/commands": { POST: commands.createCommand },
  "/v1/commands/:id": { GET: commands.getCommand },
  "/v1/commands/:id/status": { POST: commands.setCommandStatus },
  "/v1/tokens": { POST: tokens.createToken },
  "/v1/whoami": { GET: tokens.whoami },
  "/v1/tokens/renew": { POST: tokens.renewToken },
  "/v1/tokens/revoke": { POST: tokens.revokeToken },
  "/v1/attachments": { POST: attachments.uploadAttachment },
  "/v1/attachments/:id": { GET: attachments.downloadAttachment },
};

// Compiled once: the fallback uses them to tell a wrong method (405) from an unknown path (404).
const ROUTE_PATTERNS: { pattern: RegExp; methods: string[] }[] = [
  ...Object.entries(ROUTES).map(([path, methods]) => ({
    pattern: new RegExp(`^${path.replace(/:[a-zA-Z]+/g, "[^/]+")}$`),
    methods: Object.keys(methods),
  })),
  { pattern: /^\/v1\/health$/, methods: ["GET"] },
  { pattern: /^\/v1\/bus$/, methods: ["GET"] },
];

export interface ServeOptions {
  host: string;
  port: number;
  maxRequestBodySize: number;
  busFrameBytes: number;
}

export function serveRelay(relay: Relay, o: ServeOptions): Server<BusSocketData> {
  const routes: Record<
    string,
    Record<string, (req: BunRequest, server: Server<BusSocketData>) => unknown>
  > = {};
  for (const [path, methods] of Object.entries(ROUTES)) {
    routes[path] = {};
    for (const [method, handler] of Object.entries(methods)) routes[path][method] = authed(relay, handler);
  }
  const health = Response.json({ ok: true, version: relay.version });
  routes["/v1/health"] = { GET: () => health.clone() };
  // Authentication happens in the hello frame, not on the upgrade request.
  routes["/v1/bus"] = {
    GET: (req, server) =>
      server.upgrade(req, { data: relay.hub.newSocketData() })
        ? undefined
        : errorResponse(new HttpError("invalid_request", "expected a WebSocket upgrade")),
  };
  return Bun.serve<BusSocketData>({
    hostname: o.host,
    port: o.port,
    // Production mode would open the port with SO_REUSEPORT, so a second relay on the same port binds too and
    // requests land on either at random; one listener per port, and a taken port is an error.
    reusePort: false,
    development: false,
    maxRequestBodySize: o.maxRequestBodySize,
    // biome-ignore lint/suspicious/noExplicitAny: Bun's route typing cannot follow a table built at runtime.
    routes: routes as any,
    fetch: (req) => fallback(req),
    websocket: relay.hub.handler(o.busFrameBytes),
    error: (e) => {
      relay.logger.error({ err: e }, "unhandled server error");
      return errorResponse(new HttpError("internal", "internal error"));
    },
  });
}

function fallback(req: Request): Response {
  const url = new URL(req.url);
  const route = ROUTE_PATTERNS.find((r) => r.pattern.test(url.pathname));
  if (route && !route.methods.includes(req.method)) {
    const res = errorResponse(
      new HttpError("method_not_allowed", `${req.method} is not allowed on ${url.pathname}`),
    );
    res.headers.set("allow", route.methods.join(", "));
    return res;
  }
  return errorResponse(new HttpError("not_found", `no route for ${req.method} ${url.pathname}`));
}
