// Zod schemas for the relay's entities (agents, messages, tasks, commands, tokens); the one source of their types.
import { z } from "zod";

export const AgentId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._@:-]+$/, "agent ids use letters, digits and . _ @ : -");
export const MessageId = z.number().int().positive();
export const TaskId = z.number().int().positive();

export const AgentStatus = z.enum(["idle", "busy", "offline", "error"]);
export type AgentStatus = z.infer<typeof AgentStatus>;
export const SemanticStatus = z.enum(["idle", "busy", "offline", "error", "needs-input", "starting"]);
export type SemanticStatus = z.infer<typeof SemanticStatus>;

export const Meta = z.record(z.string(), z.unknown());
export type Meta = z.infer<typeof Meta>;

export const Agent = z.object({
  id: AgentId,
  instanceId: z.string(),
  role: z.literal("provider"),
  componentId: z.string(),
  machine: z.string(),
  status: AgentStatus,
  semanticStatus: z.string(),
  ready: z.boolean(),
  capabilities: z.array(z.string()),
  tags: z.array(z.string()),
  label: z.string().optional(),
  meta: Meta,
  connectedAt: z.number(),
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

export const MessageKind = z.string().min(1).max(64);

export const Message = z.object({
  id: MessageId,
  from: z.string(),
  to: z.string(),
  resolvedToAgent: z.string().optional(),
  kind: MessageKind,
  subject: z.string().optional(),
  body: z.string(),
  payload: Meta,
  claimable: z.boolean(),
  claimedBy: z.string().optional(),
  claimExpiresAt: z.number().optional(),
  /** Set once the holder finished its claim: the message is settled and no one else gets it. */
  claimCompletedAt: z.number().optional(),
  readBy: z.array(z.string()),
  reactions: z.array(Reaction),
  replyTo: MessageId.optional(),
  attachments: z.array(AttachmentRef),
  createdAt: z.number(),
});
export type Message = z.infer<typeof Message>;

export const TaskStatus = z.enum(["open", "in_progress", "done", "failed", "cancelled"]);
export type TaskStatus = z.infer<typeof TaskStatus>;
export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ["done", "failed", "cancelled"];

export const TaskHistoryEntry = z.object({
  status: TaskStatus,
  agentId: z.string(),
  body: z.string().optional(),
  metadata: Meta.optional(),
  at: z.number(),
});
export type TaskHistoryEntry = z.infer<typeof TaskHistoryEntry>;

export const Task = z.object({
  id: TaskId,
  title: z.string(),
  body: z.string(),
  status: TaskStatus,
  assignee: z.string().optional(),
  history: z.array(TaskHistoryEntry),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Task = z.infer<typeof Task>;

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

export const Command = z.object({
  id: z.string(),
  type: CommandType,
  target: z.string(),
  params: Meta,
  status: CommandStatus,
  result: z.unknown().optional(),
  error: z.string().optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Command = z.infer<typeof Command>;

export const PermissionDecision = z.enum(["approve", "approve-session", "deny", "abort"]);
export type PermissionDecision = z.infer<typeof PermissionDecision>;

export const ProfileId = z.string().min(1).max(64);
export const RENEWABLE_PROFILES = ["provider-agent", "provider-interactive"] as const;

export const TokenRecord = z.object({
  jti: z.string(),
  agentId: z.string(),
  profileId: ProfileId,
  /** Epoch seconds, as in JWT `exp`. */
  expiresAt: z.number().int(),
});
export type TokenRecord = z.infer<typeof TokenRecord>;
