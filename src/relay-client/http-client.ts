// RelayHttpClient: a typed method per relay endpoint; every answer checked against the protocol schemas.
import type { z } from "zod";
import {
  Agent,
  AgentsAnswer,
  AttachmentAnswer,
  type AttachmentRef,
  BatchClaimAnswer,
  BatchCompleteAnswer,
  BatchReadAnswer,
  Command,
  type CommandStatusRequest,
  type CreateCommandRequest,
  type CreateTaskRequest,
  type CreateTokenRequest,
  HealthAnswer,
  type LivenessRequest,
  Message,
  MessagesAnswer,
  type Meta,
  OkAnswer,
  type SendMessageRequest,
  Task,
  type TaskStatusRequest,
  TokenAnswer,
} from "../protocol/index.ts";
import { type ClaimResult, expectOk, readAnswer, readClaimAnswer } from "./answers.ts";
import type { AgentStatusUpdate, CallOptions, RelayHttpClientOptions } from "./http-options.ts";
import { RelayRoute } from "./relay-route.ts";
import type { HttpTransport, TransportRequest } from "./transport.ts";
import { createFailoverTransport } from "./transport-failover.ts";

export type { AgentStatusUpdate, CallOptions, ClaimResult, RelayHttpClientOptions };

export class RelayHttpClient {
  /** The relay (one of the route's) requests go to now; a runner's bus client shares it. */
  readonly route: RelayRoute;
  private readonly transport: HttpTransport;
  private readonly timeoutMs: number;
  // Built once per token so the hot path allocates no header objects.
  private plainHeaders!: Readonly<Record<string, string>>;
  private jsonHeaders!: Readonly<Record<string, string>>;
  private bytesHeaders!: Readonly<Record<string, string>>;

  constructor(options: RelayHttpClientOptions) {
    this.route = options.route ?? new RelayRoute(options.relayUrl, options.logger);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.transport = createFailoverTransport(this.route);
    this.setToken(options.token);
  }

  /** The base URL of the relay requests go to now. */
  get relayUrl(): string {
    return this.route.current.replace(/\/+$/, "");
  }

  /** Use this token from the next request on (after a renewal). */
  setToken(token: string | undefined): void {
    const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    this.plainHeaders = Object.freeze({ accept: "application/json", ...auth });
    this.jsonHeaders = Object.freeze({ ...this.plainHeaders, "content-type": "application/json" });
    this.bytesHeaders = Object.freeze({ ...this.plainHeaders, "content-type": "application/octet-stream" });
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  // ── messages ──────────────────────────────────────────────────────────
  sendMessage(req: SendMessageRequest, o?: CallOptions): Promise<Message> {
    return this.call("POST", "/v1/messages", Message, req, o);
  }

  /** A GET of any read endpoint (lists with their query strings), its answer checked with `schema`. */
  read<T>(path: string, schema: z.ZodType<T>, o?: CallOptions): Promise<T> {
    return this.call("GET", path, schema, undefined, o);
  }

  getMessage(id: number, o?: CallOptions): Promise<Message> {
    return this.call("GET", `/v1/messages/${id}`, Message, undefined, o);
  }

  async getUnread(
    agentId: string,
    q: { limit?: number; afterId?: number } = {},
    o?: CallOptions,
  ): Promise<Message[]> {
    let path = `/v1/agents/${encodeURIComponent(agentId)}/unread`;
    if (q.limit !== undefined || q.afterId !== undefined) {
      const sp = new URLSearchParams();
      if (q.limit !== undefined) sp.set("limit", String(q.limit));
      if (q.afterId !== undefined) sp.set("afterId", String(q.afterId));
      path += `?${sp}`;
    }
    return (await this.call("GET", path, MessagesAnswer, undefined, o)).messages;
  }

  /** Try to claim a message. Losing the race is an answer (`ok: false`), not an error. */
  claim(id: number, agentId: string, ttlMs?: number, o?: CallOptions): Promise<ClaimResult> {
    return this.claimCall(
      `/v1/messages/${id}/claim`,
      ttlMs === undefined ? { agentId } : { agentId, ttlMs },
      o,
    );
  }

  /** Extend a claim this agent holds; `ok: false` when someone else holds it now. */
  renewClaim(id: number, agentId: string, ttlMs?: number, o?: CallOptions): Promise<ClaimResult> {
    return this.claimCall(
      `/v1/messages/${id}/claim/renew`,
      ttlMs === undefined ? { agentId } : { agentId, ttlMs },
      o,
    );
  }

  async releaseClaim(id: number, agentId: string, o?: CallOptions): Promise<void> {
    await this.call("POST", `/v1/messages/${id}/release`, OkAnswer, { agentId }, o);
  }

  /** Settle a claim for good: the message was handled and goes to no one else. */
  async completeClaim(id: number, agentId: string, o?: CallOptions): Promise<void> {
    await this.call("POST", `/v1/messages/${id}/claim/complete`, OkAnswer, { agentId }, o);
  }

  async markRead(id: number, agentId: string, o?: CallOptions): Promise<void> {
    await this.call("POST", `/v1/messages/${id}/read`, OkAnswer, { agentId }, o);
  }

  /** Mark 1–500 distinct messages read in one call; all or none (403/404 write nothing). Answers how many were new. */
  async markReadMany(agentId: string, ids: readonly number[], o?: CallOptions): Promise<number> {
    const path = `/v1/agents/${encodeURIComponent(agentId)}/read`;
    return (await this.call("POST", path, BatchReadAnswer, { messageIds: ids }, o)).read;
  }

  /** Claim 1–500 distinct messages in one call; lost races come back as `conflicts`, not errors. */
  claimMany(
    agentId: string,
    ids: readonly number[],
    ttlMs?: number,
    o?: CallOptions,
  ): Promise<BatchClaimAnswer> {
    const body = ttlMs === undefined ? { messageIds: ids } : { messageIds: ids, ttlMs };
    return this.call("POST", `/v1/agents/${encodeURIComponent(agentId)}/claims`, BatchClaimAnswer, body, o);
  }

  /** Complete 1–500 claims this agent holds in one call; ids it does not hold come back as `conflicts`. */
  completeClaims(agentId: string, ids: readonly number[], o?: CallOptions): Promise<BatchCompleteAnswer> {
    const path = `/v1/agents/${encodeURIComponent(agentId)}/claims/complete`;
    return this.call("POST", path, BatchCompleteAnswer, { messageIds: ids }, o);
  }

  /** This agent can never deliver the message: a final `refused` receipt its sender sees; read for it from now on. */
  async refuseMessage(id: number, agentId: string, reason: string, o?: CallOptions): Promise<void> {
    await this.call("POST", `/v1/messages/${id}/refuse`, OkAnswer, { agentId, reason }, o);
  }

  async react(id: number, agentId: string, reaction: string, o?: CallOptions): Promise<void> {
    await this.call("POST", `/v1/messages/${id}/reactions`, OkAnswer, { agentId, reaction }, o);
  }

  async getReplyObligations(agentId: string, o?: CallOptions): Promise<Message[]> {
    const path = `/v1/agents/${encodeURIComponent(agentId)}/reply-obligations`;
    return (await this.call("GET", path, MessagesAnswer, undefined, o)).messages;
  }

  // ── agents ────────────────────────────────────────────────────────────
  async listAgents(o?: CallOptions): Promise<Agent[]> {
    return (await this.call("GET", "/v1/agents", AgentsAnswer, undefined, o)).agents;
  }

  getAgent(agentId: string, o?: CallOptions): Promise<Agent> {
    return this.call("GET", `/v1/agents/${encodeURIComponent(agentId)}`, Agent, undefined, o);
  }

  /** HTTP liveness: the relay answers with the updated agent (409 stale_instance for an old instance). */
  putStatus(agentId: string, update: AgentStatusUpdate, o?: CallOptions): Promise<Agent> {
    return this.call("PUT", `/v1/agents/${encodeURIComponent(agentId)}/status`, Agent, update, o);
  }

  putReady(agentId: string, ready: boolean, instanceId: string, o?: CallOptions): Promise<Agent> {
    return this.call(
      "PUT",
      `/v1/agents/${encodeURIComponent(agentId)}/ready`,
      Agent,
      { ready, instanceId },
      o,
    );
  }

  heartbeat(agentId: string, instanceId: string, meta?: Meta, o?: CallOptions): Promise<Agent> {
    const body = meta === undefined ? { instanceId } : { instanceId, meta };
    return this.call("POST", `/v1/agents/${encodeURIComponent(agentId)}/heartbeat`, Agent, body, o);
  }

  /** Status, readiness and heartbeat in one call; answers the updated agent (409 stale_instance for an old instance). */
  liveness(agentId: string, body: LivenessRequest, o?: CallOptions): Promise<Agent> {
    return this.call("POST", `/v1/agents/${encodeURIComponent(agentId)}/liveness`, Agent, body, o);
  }

  /** With `instanceId`, the relay removes the registration only while it is still that instance (else 409). */
  async deregister(agentId: string, instanceId?: string, o?: CallOptions): Promise<void> {
    const query = instanceId === undefined ? "" : `?instanceId=${encodeURIComponent(instanceId)}`;
    await this.call("DELETE", `/v1/agents/${encodeURIComponent(agentId)}${query}`, OkAnswer, undefined, o);
  }

  // ── tasks ─────────────────────────────────────────────────────────────
  createTask(req: CreateTaskRequest, o?: CallOptions): Promise<Task> {
    return this.call("POST", "/v1/tasks", Task, req, o);
  }

  getTask(id: number, o?: CallOptions): Promise<Task> {
    return this.call("GET", `/v1/tasks/${id}`, Task, undefined, o);
  }

  setTaskStatus(id: number, req: TaskStatusRequest, o?: CallOptions): Promise<Task> {
    return this.call("POST", `/v1/tasks/${id}/status`, Task, req, o);
  }

  // ── commands ──────────────────────────────────────────────────────────
  createCommand(req: CreateCommandRequest, o?: CallOptions): Promise<Command> {
    return this.call("POST", "/v1/commands", Command, req, o);
  }

  getCommand(id: string, o?: CallOptions): Promise<Command> {
    return this.call("GET", `/v1/commands/${encodeURIComponent(id)}`, Command, undefined, o);
  }

  setCommandStatus(id: string, req: CommandStatusRequest, o?: CallOptions): Promise<Command> {
    return this.call("POST", `/v1/commands/${encodeURIComponent(id)}/status`, Command, req, o);
  }

  // ── tokens ────────────────────────────────────────────────────────────
  createToken(req: CreateTokenRequest, o?: CallOptions): Promise<TokenAnswer> {
    return this.call("POST", "/v1/tokens", TokenAnswer, req, o);
  }

  /** Trade the current runtime token for a new one (new jti); the caller then calls setToken with it. */
  renewToken(o?: CallOptions): Promise<TokenAnswer> {
    return this.call("POST", "/v1/tokens/renew", TokenAnswer, {}, o);
  }

  // ── attachments & health ──────────────────────────────────────────────
  async uploadAttachment(
    bytes: Uint8Array,
    meta: { name: string; mimeType?: string },
    o?: CallOptions,
  ): Promise<AttachmentRef> {
    const sp = new URLSearchParams({ name: meta.name });
    if (meta.mimeType) sp.set("mimeType", meta.mimeType);
    const req = this.request("POST", `/v1/attachments?${sp}`, this.bytesHeaders, bytes, o);
    return readAnswer(req, await this.transport.request(req), AttachmentAnswer);
  }

  /** Fetch an attachment's bytes; with `maxBytes`, a larger one is cut off with ResponseTooLargeError. */
  async downloadAttachment(id: string, o: CallOptions & { maxBytes?: number } = {}): Promise<Uint8Array> {
    const path = `/v1/attachments/${encodeURIComponent(id)}`;
    const req = this.request("GET", path, this.plainHeaders, undefined, o);
    const res = await expectOk(req, await this.transport.request(req));
    return res.bytes(o.maxBytes);
  }

  health(o?: CallOptions): Promise<z.infer<typeof HealthAnswer>> {
    return this.call("GET", "/v1/health", HealthAnswer, undefined, o);
  }

  // ── plumbing ──────────────────────────────────────────────────────────
  private request(
    method: TransportRequest["method"],
    path: string,
    headers: Readonly<Record<string, string>>,
    body: string | Uint8Array | undefined,
    o: CallOptions | undefined,
  ): TransportRequest {
    return { method, path, headers, body, signal: o?.signal, timeoutMs: o?.timeoutMs ?? this.timeoutMs };
  }

  /** One JSON call, its answer checked by `schema`: endpoints with no method here use it (src/runner/lease-client.ts). */
  async call<T>(
    method: TransportRequest["method"],
    path: string,
    schema: z.ZodType<T>,
    body: unknown,
    o: CallOptions | undefined,
  ): Promise<T> {
    const req =
      body === undefined
        ? this.request(method, path, this.plainHeaders, undefined, o)
        : this.request(method, path, this.jsonHeaders, JSON.stringify(body), o);
    return readAnswer(req, await this.transport.request(req), schema);
  }

  private async claimCall(path: string, body: object, o: CallOptions | undefined): Promise<ClaimResult> {
    const req = this.request("POST", path, this.jsonHeaders, JSON.stringify(body), o);
    return readClaimAnswer(req, await this.transport.request(req));
  }
}
