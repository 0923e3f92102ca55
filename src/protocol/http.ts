// Request and answer schemas for every HTTP endpoint of relay protocol v1.
import { z } from "zod";
import {
  Agent,
  AgentId,
  AgentMeta,
  AgentStatus,
  AttachmentRef,
  Command,
  CommandStatus,
  CommandType,
  Message,
  MessageId,
  Meta,
  ProfileId,
  Receipt,
  ReceiptState,
  ShortText,
  TokenRecord,
} from "./entities.ts";
import { Target } from "./matching.ts";

/** Hard limits shared by relay and client so both refuse the same things. */
export const LIMITS = {
  /** Largest JSON request body the relay parses. */
  jsonBodyBytes: 4 * 1024 * 1024,
  /** Longest message body, in characters. */
  messageBodyChars: 2 * 1024 * 1024,
  /** Largest attachment upload. */
  attachmentBytes: 25 * 1024 * 1024,
  /** Largest bus frame either side accepts. */
  busFrameBytes: 4 * 1024 * 1024 + 64 * 1024,
  /** Most message ids one batch call (read, claims, claims/complete) takes. */
  batchIds: 500,
  /** Deepest nesting of arrays and objects in any JSON the relay accepts (HTTP body or bus frame). */
  jsonDepth: 64,
} as const;

export const SendMessageRequest = z.object({
  /** Who gets it; see the addressing rules. */
  to: Target,
  body: z.string().max(LIMITS.messageBodyChars),
  kind: ShortText.default("chat"),
  subject: z.string().max(1000).optional(),
  payload: Meta.default({}),
  /** Exactly one matching agent may claim it. */
  claimable: z.boolean().default(false),
  /** A busy recipient gets it inside its running turn instead of after it (see Message.urgent). */
  urgent: z.boolean().default(false),
  /** Must name an existing message. */
  replyTo: MessageId.optional(),
  /** Ids from POST /v1/attachments; each must exist. */
  attachmentIds: z.array(z.string().min(1).max(64)).max(32).default([]),
  /** Root token only: send on behalf of another agent. */
  from: AgentId.optional(),
  /** Refuse with 404 (nothing stored) when `to` matches no registered agent; `broadcast` is never refused. */
  requireRecipient: z.boolean().default(false),
});
export type SendMessageRequest = z.input<typeof SendMessageRequest>;

export const UnreadQuery = z.object({
  /** Page size. */
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** Only messages with a larger id (paging). */
  afterId: z.coerce.number().int().min(0).default(0),
});

export const MessagesAnswer = z.object({ messages: z.array(Message) });
export type MessagesAnswer = z.infer<typeof MessagesAnswer>;

/** Longest claim one call may take (15 min, the relay's default claim TTL); renew to hold it longer. */
export const MAX_CLAIM_TTL_MS = 15 * 60_000;
const ClaimTtlMs = z
  .number()
  .int()
  .min(100)
  .max(MAX_CLAIM_TTL_MS, {
    message: `must be at most ${MAX_CLAIM_TTL_MS} ms (15 min); renew to hold longer`,
  });

/** The agent a claim/read call acts for; a runtime token may only name its own. */
export const AgentRequest = z.object({ agentId: AgentId });
export const ClaimRequest = z.object({
  agentId: AgentId,
  /** How long the claim lives before it must be renewed (default: the relay's claim TTL). */
  ttlMs: ClaimTtlMs.optional(),
});
export type ClaimRequest = z.input<typeof ClaimRequest>;
/** Epoch ms in claimExpiresAt. */
export const ClaimAnswer = z.object({ ok: z.literal(true), claimExpiresAt: z.number() });
export type ClaimAnswer = z.infer<typeof ClaimAnswer>;
export const ClaimConflictAnswer = z.object({
  ok: z.literal(false),
  /** The holder; "" when nobody holds the claim. */
  claimedBy: z.string(),
  error: z.object({ code: z.string(), message: z.string() }),
});
export const OkAnswer = z.object({ ok: z.boolean() });
export type OkAnswer = z.infer<typeof OkAnswer>;

/** Distinct message ids for a batch call; the whole batch is one transaction. */
const BatchIds = z.array(MessageId).min(1).max(LIMITS.batchIds);

/** Batch read mark for the agent in the path: all ids or none (403/404 write nothing). */
export const BatchReadRequest = z.object({
  /** Distinct ids, 1–500; a repeated id is a 400. */
  messageIds: BatchIds,
});
export type BatchReadRequest = z.input<typeof BatchReadRequest>;
export const BatchReadAnswer = z.object({
  ok: z.literal(true),
  /** How many of the ids this agent had not marked read before. */
  read: z.number().int().min(0),
});
export type BatchReadAnswer = z.infer<typeof BatchReadAnswer>;

/** Batch claim for the agent in the path; each id is claimed (or renewed, for the live holder) as by the single claim. */
export const BatchClaimRequest = z.object({
  /** Distinct ids, 1–500; a repeated id is a 400. */
  messageIds: BatchIds,
  /** How long each claim lives (default: the relay's claim TTL). */
  ttlMs: ClaimTtlMs.optional(),
});
export type BatchClaimRequest = z.input<typeof BatchClaimRequest>;
/** A claim the batch took. */
export const BatchClaimed = z.object({ id: MessageId, claimExpiresAt: z.number() });
/** An id the batch could not take or settle. */
export const BatchClaimConflict = z.object({
  id: MessageId,
  /** The holder (for a completed claim, whoever completed it); "" when nobody holds the claim. */
  claimedBy: z.string(),
});
export const BatchClaimAnswer = z.object({
  /** In request order. */
  claimed: z.array(BatchClaimed),
  /** Held by another agent, or already completed; in request order. */
  conflicts: z.array(BatchClaimConflict),
  /** Sent with `claimable: false`; in request order. */
  notClaimable: z.array(MessageId),
});
export type BatchClaimAnswer = z.infer<typeof BatchClaimAnswer>;

/** Batch completion of claims the agent in the path holds. */
export const BatchCompleteRequest = z.object({
  /** Distinct ids, 1–500; a repeated id is a 400. */
  messageIds: BatchIds,
});
export type BatchCompleteRequest = z.input<typeof BatchCompleteRequest>;
export const BatchCompleteAnswer = z.object({
  /** True when every id is now completed by this agent. */
  ok: z.boolean(),
  /** Ids completed by this agent, counting ones it had completed before. */
  completed: z.number().int().min(0),
  /** Ids whose claim this agent does not hold; in request order. */
  conflicts: z.array(BatchClaimConflict),
  /** Sent with `claimable: false`; in request order. */
  notClaimable: z.array(MessageId),
});
export type BatchCompleteAnswer = z.infer<typeof BatchCompleteAnswer>;

export const ReactionRequest = z.object({
  agentId: AgentId,
  reaction: ShortText,
});

/** A recipient says it can never deliver the message; stored as its `refused` receipt. */
export const RefuseRequest = z.object({ agentId: AgentId, reason: z.string().min(1).max(1000) });

/** The states a runner reports; `answered` comes from the reply itself and `refused` from the refuse call. */
export const ReportedReceiptState = ReceiptState.extract(["claimed", "delivered", "ambiguous", "seen"]);
export const MAX_RECEIPTS_PER_REPORT = 200;
/** A runner reports its agent's (the path's) delivery states in one call per batch of transitions. */
export const ReceiptsRequest = z.object({
  receipts: z
    .array(
      z.object({
        messageId: MessageId,
        state: ReportedReceiptState,
        /** With `seen`: whether the model got it inside a running turn (true) or at a turn boundary (false). */
        midTurn: z.boolean().optional(),
      }),
    )
    .min(1)
    .max(MAX_RECEIPTS_PER_REPORT),
});
export type ReceiptsRequest = z.infer<typeof ReceiptsRequest>;
/** `moved`: receipts that changed; `ignored`: ids not taken, each with why (unknown, not addressed to the agent). */
export const ReceiptsAnswer = z.object({
  ok: z.literal(true),
  moved: z.array(Receipt.extend({ messageId: MessageId })),
  ignored: z.array(z.object({ messageId: MessageId, reason: z.string() })),
});
export type ReceiptsAnswer = z.infer<typeof ReceiptsAnswer>;

export const AgentsAnswer = z.object({ agents: z.array(Agent) });
export const AgentStatusRequest = z.object({
  status: AgentStatus,
  /** Must be the agent's current instance, else 409 stale_instance. */
  instanceId: z.string().min(1),
  /** Defaults to `status`. */
  semanticStatus: z.string().max(64).optional(),
  meta: AgentMeta.optional(),
});
/** DELETE /v1/agents/:id?instanceId=…: remove the registration only while it is still this instance. */
export const DeregisterQuery = z.object({
  /** The caller's instance; when it is no longer the registered one: 409 stale_instance, nothing removed. */
  instanceId: z.string().min(1).max(128).optional(),
});
export const AgentReadyRequest = z.object({ ready: z.boolean(), instanceId: z.string().min(1) });
export const HeartbeatRequest = z.object({ instanceId: z.string().min(1), meta: AgentMeta.optional() });
/** One liveness report: status, readiness and a heartbeat in one call. */
export const LivenessRequest = z.object({
  /** Must be the agent's current instance, else 409 stale_instance. */
  instanceId: z.string().min(1),
  status: AgentStatus,
  /** Defaults to `status`. */
  semanticStatus: z.string().max(64).optional(),
  ready: z.boolean(),
  /** Replaces the stored meta when given. */
  meta: AgentMeta.optional(),
});
export type LivenessRequest = z.input<typeof LivenessRequest>;

export const CreateCommandRequest = z.object({
  /** An agent id or a runner id (componentId). */
  target: z.string().min(1).max(128),
  type: CommandType,
  params: Meta.default({}),
});
export type CreateCommandRequest = z.input<typeof CreateCommandRequest>;
export const CommandStatusRequest = z.object({
  status: CommandStatus,
  /** Any JSON; a stored result is kept when omitted. */
  result: z.unknown().optional(),
  error: z.string().max(10_000).optional(),
});
export type CommandStatusRequest = z.input<typeof CommandStatusRequest>;

export const CreateTokenRequest = z.object({
  agentId: AgentId,
  profileId: ProfileId,
  /** Lifetime; a renewal keeps it. */
  ttlSeconds: z
    .number()
    .int()
    .min(1)
    .max(30 * 24 * 3600),
});
export type CreateTokenRequest = z.input<typeof CreateTokenRequest>;
/** GET /v1/whoami: who the token acts as. `expiresAt` epoch s (runtime and operator tokens only). */
export const WhoamiAnswer = z.object({
  kind: z.enum(["root", "agent", "operator"]),
  name: z.string(),
  profileId: z.string().optional(),
  expiresAt: z.number().optional(),
});
export type WhoamiAnswer = z.infer<typeof WhoamiAnswer>;
export const TokenAnswer = z.object({ token: z.string(), record: TokenRecord });
/** Root: `jti` (one token) or `agentId` (all its tokens), not both. A runtime token: empty, or its own `jti`. */
export const RevokeTokenRequest = z
  .object({
    jti: z.string().min(1).max(64).optional(),
    agentId: AgentId.optional(),
  })
  .refine((r) => r.jti === undefined || r.agentId === undefined, {
    message: "give jti or agentId, not both",
  });
export type RevokeTokenRequest = z.input<typeof RevokeTokenRequest>;
export const RevokeTokenAnswer = z.object({
  ok: z.literal(true),
  /** How many tokens were revoked now. */
  revoked: z.number().int().min(0),
});
export type TokenAnswer = z.infer<typeof TokenAnswer>;

const MIME_TOKEN = "[A-Za-z0-9!#$&^_.+-]+";
/** `type/subtype` with optional `; key=value` parameters, in printable ASCII: it is served as a Content-Type header. */
export const MimeType = z
  .string()
  .min(1)
  .max(255)
  .regex(
    new RegExp(`^${MIME_TOKEN}/${MIME_TOKEN}(?: *; *${MIME_TOKEN}=(?:${MIME_TOKEN}|"[ !#-\\[\\]-~]*"))*$`),
    "must be a media type like text/plain (printable ASCII, no line breaks)",
  );

export const AttachmentQuery = z.object({
  /** Stored as given; whoever writes it to disk sanitises it. */
  name: z.string().min(1).max(255),
  mimeType: MimeType.default("application/octet-stream"),
});
export const AttachmentAnswer = AttachmentRef;

export const HealthAnswer = z.object({
  ok: z.literal(true),
  /** The relay software's version (package.json), not the protocol version. */
  version: z.string(),
});

export { Agent, Command, Message };
