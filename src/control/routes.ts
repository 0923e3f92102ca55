// The control server's routes: each validates its input once and hands a typed value to the broker, stream or runner.

import { z } from "zod";
import type { Message } from "../protocol/index.ts";
import type { ProviderEvent, TerminalAttachSpec } from "../providers/adapter.ts";
import { errorMessage } from "../util/errors.ts";
import { permissionAskFromHook, toPermissionHookOutput } from "./claude-hooks.ts";
import type { DeliveryStream } from "./delivery-stream.ts";
import { ControlHttpError, jsonResponse, validate } from "./http.ts";
import type { PermissionBroker } from "./permission-broker.ts";
import { statusUpdateToEvent } from "./provider-status.ts";
import type { Route, RouteContext } from "./router.ts";
import {
  ClaudeHookPayload,
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

export interface RouteDeps {
  broker: PermissionBroker;
  stream: DeliveryStream;
  readJson(req: Request): Promise<unknown>;
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
  /** The relay URL and the agent's current token, for the runner's CLI run by the provider's skills. */
  credentials?: () => RelayCredentials | undefined;
}

const MessageIdParam = z.coerce.number().int().positive();

export function buildRoutes(deps: RouteDeps): Route[] {
  const providerStatus = async ({ req }: RouteContext) => {
    const update = validate(ProviderStatusUpdate, await deps.readJson(req));
    deps.emitProvider(statusUpdateToEvent(update));
    return jsonResponse({ ok: true });
  };

  const permissions = async ({ req }: RouteContext) => {
    const body = validate(PermissionRequestBody, await deps.readJson(req));
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
    const payload = validate(ClaudeHookPayload, await deps.readJson(req));
    if (payload.hook_event_name !== event) {
      throw new ControlHttpError(
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
    // No body: a hook script that prints the response must print nothing (stdout of some hooks reaches the model).
    return new Response(null, { status: 204 });
  };

  const credentials = async () => {
    const current = deps.credentials?.();
    if (!current) throw new ControlHttpError(404, "not_found", "no relay credentials are configured");
    return jsonResponse(current);
  };

  const terminal = async () => {
    const spec = await deps.terminalAttachSpec()?.();
    if (!spec) throw new ControlHttpError(404, "not_found", "this provider has no terminal to attach to");
    return jsonResponse(spec);
  };

  const replyObligations = async ({ req }: RouteContext) => {
    const source = deps.replyObligations();
    if (!source) throw new ControlHttpError(404, "not_found", "no reply-obligation source is configured");
    deps.keepOpen(req);
    const timeout = AbortSignal.timeout(deps.upstreamTimeoutMs);
    const signal = AbortSignal.any([req.signal, timeout]);
    try {
      return jsonResponse({ messages: await source(signal) });
    } catch (e) {
      if (timeout.aborted) {
        throw new ControlHttpError(
          504,
          "upstream_timeout",
          `the relay did not answer within ${deps.upstreamTimeoutMs} ms`,
        );
      }
      throw new ControlHttpError(
        502,
        "upstream_failed",
        `could not get reply obligations: ${errorMessage(e)}`,
        {
          cause: e,
        },
      );
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
      throw new ControlHttpError(404, "not_found", `message ${messageId} was not recently streamed`);
    }
    deps.emitControl({ type: "monitor.acked", messageId });
    return jsonResponse({ ok: true });
  };

  return [
    { method: "GET", pattern: "/v1/health", handle: async () => jsonResponse({ ok: true }) },
    { method: "POST", pattern: "/v1/provider/status", handle: providerStatus },
    { method: "POST", pattern: "/v1/hooks/:event", handle: hook },
    { method: "POST", pattern: "/v1/permissions", handle: permissions },
    { method: "GET", pattern: "/v1/terminal", handle: terminal },
    { method: "GET", pattern: "/v1/credentials", handle: credentials },
    { method: "GET", pattern: "/v1/reply-obligations", handle: replyObligations },
    { method: "GET", pattern: "/v1/deliveries/stream", handle: deliveryStream },
    { method: "POST", pattern: "/v1/deliveries/:messageId/ack", handle: ack },
  ];
}

/** Whose hook this is: an explicit header or query (the plugin's hooks send it) wins, else Claude's own id. */
function hookSessionId(req: Request, url: URL, nativeSessionId: string): string {
  const explicit = req.headers.get(PROVIDER_SESSION_HEADER) ?? url.searchParams.get("providerSessionId");
  if (explicit !== null) return validate(ProviderSessionId, explicit, "providerSessionId");
  return nativeSessionId;
}
