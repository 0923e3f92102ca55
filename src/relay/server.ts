// Bun.serve wiring for the relay: its routes table, the bus upgrade, and JSON 404/405 for everything else.
import type { Server } from "bun";
import { errorResponse } from "../http/errors.ts";
import { type BunHandler, bunRoutes, type RouteTable, unmatchedRoute, wrapRoutes } from "../http/routes.ts";
import type { BusSocketData } from "./bus/session.ts";
import * as agents from "./http/agents.ts";
import * as attachments from "./http/attachments.ts";
import * as batch from "./http/batch.ts";
import * as commands from "./http/commands.ts";
import { authed, type Handler, type Relay } from "./http/context.ts";
import { relayError } from "./http/errors.ts";
import * as leases from "./http/leases.ts";
import * as messages from "./http/messages.ts";
import * as receipts from "./http/receipts.ts";
import * as tasks from "./http/tasks.ts";
import * as tokens from "./http/tokens.ts";

const ROUTES: RouteTable<Handler> = {
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
  "/v1/agents/:id/receipts": { POST: receipts.reportReceipts },
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
  "/v1/leases": { POST: leases.acquireLease, GET: leases.listLeases },
  "/v1/leases/:id": { DELETE: leases.releaseLease },
  "/v1/leases/:id/renew": { POST: leases.renewLease },
};

export interface ServeOptions {
  host: string;
  port: number;
  maxRequestBodySize: number;
  busFrameBytes: number;
}

export function serveRelay(relay: Relay, o: ServeOptions): Server<BusSocketData> {
  const health = Response.json({ ok: true, version: relay.version });
  const routes: RouteTable<BunHandler<BusSocketData>> = {
    ...wrapRoutes(ROUTES, (handler) => authed(relay, handler)),
    // clone() is typed by undici, not Bun; it is the same Response.
    "/v1/health": { GET: () => health.clone() as Response },
    // Authentication happens in the hello frame, not on the upgrade request.
    "/v1/bus": {
      GET: (req, server) =>
        server.upgrade(req, { data: relay.hub.newSocketData() })
          ? undefined
          : errorResponse(relayError("invalid_request", "expected a WebSocket upgrade")),
    },
  };
  const unmatched = unmatchedRoute(routes);
  return Bun.serve<BusSocketData>({
    hostname: o.host,
    port: o.port,
    // Production mode would open the port with SO_REUSEPORT, so a second relay on the same port binds too and
    // requests land on either at random; one listener per port, and a taken port is an error.
    reusePort: false,
    development: false,
    maxRequestBodySize: o.maxRequestBodySize,
    routes: bunRoutes(routes),
    fetch: (req) => errorResponse(unmatched(req)),
    websocket: relay.hub.handler(o.busFrameBytes),
    error: (e) => {
      relay.logger.error({ err: e }, "unhandled server error");
      return errorResponse(relayError("internal", "internal error"));
    },
  });
}
