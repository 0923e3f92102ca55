// The control server's routes: each validates its input once and hands a typed value to the broker, stream or runner.

import type { BunRequest } from "bun";
import { z } from "zod";
import { parseWith } from "../http/body.ts";
import { HttpError } from "../http/errors.ts";
import type { RouteTable } from "../http/routes.ts";
import type { Message } from "../protocol/index.ts";
import type { ProviderEvent, TerminalAttachSpec } from "../providers/adapter.ts";
import { errorMessage } from "../util/errors.ts";
import { compactionHookOutput, permissionAskFromHook, toPermissionHookOutput } from "./claude-hooks.ts";
import type { DeliveryStream } from "./delivery-stream.ts";
import type { PermissionBroker } from "./permission-broker.ts";
import { statusUpdateToEvent } from "./provider-status.ts";
import {
  ClaudeHookPayload,
  ClaudeStatusLine,
  type ControlEvent,
  HookEventName,
  PermissionRequestBody,
  PermissionTimeoutMs,
  ProviderSessionId,
  ProviderStatusUpdate,
} from "./schemas.ts";

export const PROVIDER_SESSION_HEADER = "x-agent-relay-provider-session";

/** What `GET /v1/credentials` answers: tokens renew while the provider runs, so its env copy goes stale. */
export interface RelayCredentials {
  relayUrl: string;
  agentId: string;
  token: string;
}

export interface RouteContext {
  req: BunRequest;
  url: URL;
  /** Path parameters, percent-decoded by Bun; each route validates its own. */
  params: Record<string, string>;
}

export type ControlHandler = (ctx: RouteContext) => Promise<Response>;

export interface RouteDeps {
  broker: PermissionBroker;
  stream: DeliveryStream;
  /** The body as JSON validated by `schema`, under the server's size, depth and time limits. */
  readJson<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>>;
  /** Lift Bun's idle timeout for a request that legitimately waits (long-poll, stream, slow upstream). */
  keepOpen(req: Request): void;
  emitProvider(event: ProviderEvent): void;
  emitControl(event: ControlEvent): void;
  defaultPermissionTimeoutMs: number;
  upstreamTimeoutMs: number;
  terminalAttachSpec():
    | (() => TerminalAttachSpec | undefined | Promise<TerminalAttachSpec | undefined>)
    | undefined;
  replyObligations(): ((signal: AbortSignal) => Promise<Message[]>) | undefined;
  /** After a compaction: the note Claude's SessionStart(source=compact) hook hands back as additionalContext. */
  compactionNote?(): ((signal: AbortSignal) => Promise<string | undefined>) | undefined;
  /** The relay URL and the agent's current token, for the runner's CLI run by the provider's skills. */
  credentials?: () => RelayCredentials | undefined;
}

const MessageIdParam = z.coerce.number().int().positive();

/** Answers are about this moment (pending permissions, credentials): no cache may keep them. */
export const NO_STORE = { "cache-control": "no-store" };

export function jsonResponse(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: NO_STORE });
}

/** A zod check of a query or path value; a mismatch is a 400 `invalid_body` naming `where`. */
function validate<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  return parseWith(schema, value, where, "invalid_body");
}

export function buildRoutes(deps: RouteDeps): RouteTable<ControlHandler> {
  const providerStatus = async ({ req }: RouteContext) => {
    const update = await deps.readJson(req, ProviderStatusUpdate);
    deps.emitProvider(statusUpdateToEvent(update));
    return jsonResponse({ ok: true });
  };

  const permissions = async ({ req }: RouteContext) => {
    const body = await deps.readJson(req, PermissionRequestBody);
    deps.keepOpen(req);
    const answer = await deps.broker.request(
      {
        providerSessionId: body.providerSessionId,
        tool: body.tool,
        detail: body.detail,
        ...(body.metadata ? { metadata: body.metadata } : {}),
        timeoutMs: body.timeoutMs ?? deps.defaultPermissionTimeoutMs,
      },
      req.signal,
    );
    return jsonResponse(answer);
  };

  const hook = async ({ req, url, params }: RouteContext) => {
    const event = validate(HookEventName, params.event, "route event");
    const payload = await deps.readJson(req, ClaudeHookPayload);
    if (payload.hook_event_name !== event) {
      throw new HttpError(
        400,
        "invalid_body",
        `body.hook_event_name "${payload.hook_event_name}" does not match the route's event "${event}"`,
      );
    }
    const providerSessionId = hookSessionId(req, url, payload.session_id);
    deps.emitControl({ type: "hook.received", providerSessionId, payload });
    if (event === "PermissionRequest") {
      const q = url.searchParams.get("timeoutMs");
      const timeoutMs =
        q === null
          ? deps.defaultPermissionTimeoutMs
          : validate(PermissionTimeoutMs, Number(q), "query.timeoutMs");
      deps.keepOpen(req);
      const answer = await deps.broker.request(
        { providerSessionId, ...permissionAskFromHook(payload), timeoutMs },
        req.signal,
      );
      return jsonResponse(toPermissionHookOutput(answer, payload));
    }
    if (event === "SessionStart" && payload.source === "compact") {
      const note = await deps.compactionNote?.()?.(req.signal);
      if (note !== undefined) return jsonResponse(compactionHookOutput(note));
    }
    // No body: a hook script that prints the response must print nothing (stdout of some hooks reaches the model).
    return new Response(null, { status: 204 });
  };

  const statusLine = async ({ req, url }: RouteContext) => {
    const payload = await deps.readJson(req, ClaudeStatusLine);
    const costUsd = payload.cost?.total_cost_usd;
    const providerSessionId = hookSessionId(req, url, payload.session_id);
    deps.emitControl({
      type: "status-line.received",
      providerSessionId,
      ...(costUsd !== undefined ? { costUsd } : {}),
    });
    return new Response(null, { status: 204 });
  };

  const credentials = async () => {
    const current = deps.credentials?.();
    if (!current) throw new HttpError(404, "not_found", "no relay credentials are configured");
    return jsonResponse(current);
  };

  const terminal = async () => {
    const spec = await deps.terminalAttachSpec()?.();
    if (!spec) throw new HttpError(404, "not_found", "this provider has no terminal to attach to");
    return jsonResponse(spec);
  };

  const replyObligations = async ({ req }: RouteContext) => {
    const source = deps.replyObligations();
    if (!source) throw new HttpError(404, "not_found", "no reply-obligation source is configured");
    deps.keepOpen(req);
    const timeout = AbortSignal.timeout(deps.upstreamTimeoutMs);
    const signal = AbortSignal.any([req.signal, timeout]);
    try {
      return jsonResponse({ messages: await source(signal) });
    } catch (e) {
      if (timeout.aborted) {
        throw new HttpError(
          504,
          "upstream_timeout",
          `the relay did not answer within ${deps.upstreamTimeoutMs} ms`,
        );
      }
      throw new HttpError(502, "upstream_failed", `could not get reply obligations: ${errorMessage(e)}`, {
        cause: e,
      });
    }
  };

  const deliveryStream = async ({ req, url }: RouteContext) => {
    deps.keepOpen(req);
    const last = req.headers.get("last-event-id") ?? url.searchParams.get("lastEventId") ?? undefined;
    return deps.stream.open(last || undefined, req.signal);
  };

  const ack = async ({ params }: RouteContext) => {
    const messageId = validate(MessageIdParam, params.messageId, "route messageId");
    if (!deps.stream.hasRecent(messageId)) {
      throw new HttpError(404, "not_found", `message ${messageId} was not recently streamed`);
    }
    deps.emitControl({ type: "monitor.acked", messageId });
    return jsonResponse({ ok: true });
  };

  return {
    "/v1/health": { GET: async () => jsonResponse({ ok: true }) },
    "/v1/provider/status": { POST: providerStatus },
    "/v1/hooks/:event": { POST: hook },
    "/v1/status-line": { POST: statusLine },
    "/v1/permissions": { POST: permissions },
    "/v1/terminal": { GET: terminal },
    "/v1/credentials": { GET: credentials },
    "/v1/reply-obligations": { GET: replyObligations },
    "/v1/deliveries/stream": { GET: deliveryStream },
    "/v1/deliveries/:messageId/ack": { POST: ack },
  };
}

/** Whose hook this is: an explicit header or query (the plugin's hooks send it) wins, else Claude's own id. */
function hookSessionId(req: Request, url: URL, nativeSessionId: string): string {
  const explicit = req.headers.get(PROVIDER_SESSION_HEADER) ?? url.searchParams.get("providerSessionId");
  if (explicit !== null) return validate(ProviderSessionId, explicit, "providerSessionId");
  return nativeSessionId;
}
