// Zod schemas for the relay's entities (agents, messages, tasks, commands, tokens); the one source of their types.
import { z } from "zod";

/** The characters and length of an agent id; not only dots (`.` and `..` would name folders in paths built from it). */
export const AGENT_ID_PATTERN = /^(?!\.+$)[A-Za-z0-9._@:-]{1,128}$/;

/** True for text a `to` reads as another form (`broadcast`, `label:…`, `tag:…`, `cap:…`), so no agent may use it as its id. */
export function isTargetForm(s: string): boolean {
  return s === "broadcast" || /^(label|tag|cap):/.test(s);
}

/** An agent's id; on its own it is also a valid `to` target, so it cannot be `broadcast` or start with `label:`, `tag:` or `cap:`. */
export const AgentId = z
  .string()
  .min(1)
  .max(128)
  .regex(AGENT_ID_PATTERN, "agent ids use letters, digits and . _ @ : - (not only dots)")
  .refine((s) => !isTargetForm(s), "an agent id cannot be 'broadcast' or start with label:, tag: or cap:");
/** Assigned by the relay, increasing with every message. */
export const MessageId = z.number().int().positive();
export const TaskId = z.number().int().positive();

/** Coarse status; the relay's offline sweep also sets offline. */
export const AgentStatus = z.enum(["idle", "busy", "offline", "error"]);
export type AgentStatus = z.infer<typeof AgentStatus>;
/** Finer statuses the runner reports; the relay stores any text up to 64 characters. */
export const SemanticStatus = z.enum(["idle", "busy", "offline", "error", "needs-input", "starting"]);
export type SemanticStatus = z.infer<typeof SemanticStatus>;

/** A free-form JSON object. */
export const Meta = z.record(z.string(), z.unknown());
export type Meta = z.infer<typeof Meta>;

/** Most bytes an agent's meta may take, serialised as JSON: every listing of agents carries it. */
export const AGENT_META_BYTES = 16 * 1024;
/** An agent's own meta (hello, status, heartbeat, liveness): a JSON object of at most 16 KiB serialised. */
export const AgentMeta = Meta.refine((m) => jsonBytes(m) <= AGENT_META_BYTES, {
  message: `agent meta must be at most ${AGENT_META_BYTES} bytes as JSON`,
});

function jsonBytes(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value));
  } catch {
    // Too deep (or cyclic) to serialise: certainly over the cap.
    return Number.POSITIVE_INFINITY;
  }
}

export const Agent = z.object({
  id: AgentId,
  /** One run of the agent; only the newest hello's instance may report liveness. */
  instanceId: z.string(),
  role: z.literal("provider"),
  /** The runner's id (runnerId); commands may target it. */
  componentId: z.string(),
  machine: z.string(),
  status: AgentStatus,
  /** Finer status text (e.g. needs-input, starting). */
  semanticStatus: z.string(),
  /** The provider accepts input; every hello resets it to false. */
  ready: z.boolean(),
  capabilities: z.array(z.string()),
  tags: z.array(z.string()),
  /** Reachable as `label:<label>`; tags as `tag:<tag>`, capabilities as `cap:<capability>`. */
  label: z.string().optional(),
  meta: Meta,
  /** Epoch ms of the last hello. */
  connectedAt: z.number(),
  /** Epoch ms of the last liveness report (bus or HTTP) or of the last session close. */
  lastHeartbeatAt: z.number(),
});
export type Agent = z.infer<typeof Agent>;

export const AttachmentRef = z.object({
  id: z.string(),
  name: z.string(),
  mimeType: z.string(),
  size: z.number().int().nonnegative(),
});
export type AttachmentRef = z.infer<typeof AttachmentRef>;

export const Reaction = z.object({ agentId: z.string(), reaction: z.string(), at: z.number() });
export type Reaction = z.infer<typeof Reaction>;

/**
 * Where a message stands for one recipient agent, in the order it moves (a receipt never moves back):
 * `queued` (no runner took it yet) → `claimed` (its runner took it) → `delivered` (written to the provider) →
 * `ambiguous` (written, never confirmed by the provider: not re-sent) → `seen` (the provider confirmed it was in
 * the model's input and the model has since answered) → `answered` (the agent sent a message with `replyTo`
 * naming it). `refused`: the agent can never deliver it (final, with a reason).
 */
export const ReceiptState = z.enum([
  "queued",
  "claimed",
  "delivered",
  "ambiguous",
  "seen",
  "answered",
  "refused",
]);
export type ReceiptState = z.infer<typeof ReceiptState>;

/** Each state's place in that order: a receipt moves only to a higher one. */
export const RECEIPT_RANK: Readonly<Record<ReceiptState, number>> = {
  queued: 0,
  claimed: 1,
  delivered: 2,
  ambiguous: 3,
  seen: 4,
  answered: 5,
  refused: 6,
};

export const Receipt = z.object({
  agentId: z.string(),
  state: ReceiptState,
  /** Why, in the recipient's words (e.g. "task 12 is already cancelled"). */
  reason: z.string().optional(),
  /** Epoch ms of the latest state change. */
  at: z.number(),
  /**
   * How the provider took it in, once `seen` (kept by later states): true inside a running turn (mid-turn), false at
   * a turn boundary. Absent when the provider does not say.
   */
  midTurn: z.boolean().optional(),
});
export type Receipt = z.infer<typeof Receipt>;

/** chat, task, system, question… (free text). */
export const MessageKind = z.string().min(1).max(64);

/** A kind or a reaction as sent: one line of 1–64 characters with no control character, DEL or bidi override. */
export const ShortText = MessageKind.regex(
  /^[^\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]*$/,
  "must not contain control characters",
);

export const Message = z.object({
  id: MessageId,
  /** The sender's agent id; "root" when the root token sent without naming one. */
  from: z.string(),
  to: z.string(),
  /** Set when a `label:` target had exactly one holder at send time; only that agent receives it. */
  resolvedToAgent: z.string().optional(),
  kind: MessageKind,
  subject: z.string().optional(),
  body: z.string(),
  /** `replyRequired: true` creates a reply obligation; `taskId` links a task. */
  payload: Meta,
  /** Delivered to exactly one agent, through claims. */
  claimable: z.boolean(),
  /**
   * Present (true) when the sender marked it urgent: a busy agent gets it inside its running turn (between tool
   * calls) instead of after it, unless it is linked to a task other than the one the agent works on.
   */
  urgent: z.literal(true).optional(),
  /** The holder; a lapsed claim keeps its holder until someone else claims. */
  claimedBy: z.string().optional(),
  /** Epoch ms when the claim lapses; absent after release or completion. */
  claimExpiresAt: z.number().optional(),
  /** Set once the holder finished its claim: the message is settled and no one else gets it. */
  claimCompletedAt: z.number().optional(),
  /** Agents that marked it read. */
  readBy: z.array(z.string()),
  reactions: z.array(Reaction),
  /** The message this one answers. */
  replyTo: MessageId.optional(),
  attachments: z.array(AttachmentRef),
  /** Epoch ms. */
  createdAt: z.number(),
  /** Per-recipient delivery receipts; only `GET /v1/messages/:id` includes them, and only when there are any. */
  receipts: z.array(Receipt).optional(),
});
export type Message = z.infer<typeof Message>;

export const COMMAND_TYPES = [
  "agent.shutdown",
  "agent.kill",
  "agent.restart",
  "agent.reconnect",
  "agent.compact",
  "agent.clearContext",
  "agent.injectContext",
  "agent.permissionDecision",
] as const;
/** Command types are open-ended on the wire; these are the ones the runner acts on. */
export const CommandType = z.string().min(1).max(64);
export const CommandStatus = z.enum(["pending", "accepted", "running", "succeeded", "failed"]);
export type CommandStatus = z.infer<typeof CommandStatus>;
export const TERMINAL_COMMAND_STATUSES: readonly CommandStatus[] = ["succeeded", "failed"];

/** The command target that reaches the team's supervisor (with `supervisor.*` types) instead of an agent. */
export const SUPERVISOR_TARGET = "supervisor";
/** The prefix of the command types the supervisor obeys; they go only to target `supervisor`. */
export const SUPERVISOR_COMMAND_PREFIX = "supervisor.";
/**
 * Agent ids no token may be minted for and no agent may say hello with: `root` names the root token as a
 * sender (a command's `from`), `supervisor` is the supervisor's command target.
 */
export const RESERVED_AGENT_IDS: readonly string[] = ["root", SUPERVISOR_TARGET];

export const SenderRole = z.enum(["root", "operator", "agent"]);
export type SenderRole = z.infer<typeof SenderRole>;

export const Command = z.object({
  id: z.string(),
  type: CommandType,
  /** An agent id or a runner id (componentId), as sent; or `supervisor` for a `supervisor.*` command. */
  target: z.string(),
  /** Who created it: "root" for the root token, else the agent of the runtime token. Absent on commands older than the field. */
  from: z.string().optional(),
  /** What `from` is: root, an operator (a person's token) or an agent. Absent on commands older than the field. */
  fromRole: SenderRole.optional(),
  params: Meta,
  status: CommandStatus,
  /** Any JSON, set by the target's runner. */
  result: z.unknown().optional(),
  error: z.string().optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Command = z.infer<typeof Command>;

export const PermissionDecision = z.enum(["approve", "approve-session", "deny", "abort"]);
export type PermissionDecision = z.infer<typeof PermissionDecision>;

export const ProfileId = z.string().min(1).max(64);
/** The token profile of a person (an operator): acts only as its name, may also command any registered agent. */
export const OPERATOR_PROFILE = "operator";
export const RENEWABLE_PROFILES = ["provider-agent", "provider-interactive"] as const;

export const TokenRecord = z.object({
  /** Unique per token; a renewal gets a new one. */
  jti: z.string(),
  /** The only agent this token may act as. */
  agentId: z.string(),
  profileId: ProfileId,
  /** Epoch seconds, as in JWT `exp`. */
  expiresAt: z.number().int(),
});
export type TokenRecord = z.infer<typeof TokenRecord>;
