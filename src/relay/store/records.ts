// The records the store takes and answers, shared by every implementation (see types.ts for the contract).
import type {
  AgentStatus,
  AttachmentRef,
  Command,
  Lease,
  Message,
  Meta,
  SenderRole,
  TaskOutcome,
  TaskStatus,
} from "../../protocol/index.ts";

export interface NewMessage {
  from: string;
  to: string;
  resolvedToAgent?: string | undefined;
  kind: string;
  subject?: string | undefined;
  body: string;
  payload: Record<string, unknown>;
  /** `payload` already serialised (MessageWriter does it before its transaction, so one bad payload fails alone). */
  payloadJson?: string;
  claimable: boolean;
  urgent?: boolean | undefined;
  replyTo?: number | undefined;
  attachments: AttachmentRef[];
  createdAt: number;
}

/** The fields that decide who may mark a message read. */
export type MessageAddressing = Pick<Message, "id" | "from" | "to" | "resolvedToAgent" | "claimedBy">;

/** Who is asking for unread messages or obligations: the agent and every `to` value that reaches it. */
export interface Recipient {
  agentId: string;
  targets: string[];
  /** Group messages with ids up to this one predate the agent's first registration and are skipped (0: none). */
  originId?: number;
}

/** Why a claim operation did not apply, decided after the atomic UPDATE touched no row. */
export type ClaimRefusal =
  | { reason: "not_found" }
  | { reason: "not_claimable" }
  | { reason: "completed"; claimedBy: string }
  | { reason: "held"; claimedBy: string }
  | { reason: "not_holder"; claimedBy: string | undefined };

export type ClaimOutcome = { ok: true; claimExpiresAt: number } | ({ ok: false } & ClaimRefusal);
export type SettleOutcome = { ok: true } | ({ ok: false } & ClaimRefusal);

export interface AgentRegistration {
  id: string;
  instanceId: string;
  componentId: string;
  machine: string;
  status: AgentStatus;
  capabilities: string[];
  tags: string[];
  label?: string | undefined;
  meta: Meta;
  heartbeatIntervalMs: number;
}

export interface AgentLiveness {
  status?: AgentStatus;
  semanticStatus?: string;
  ready?: boolean;
  meta?: Meta;
}

export interface NewTask {
  title: string;
  body: string;
  assignee?: string | undefined;
  createdBy: string;
  timeLimitSeconds?: number | undefined;
}

export interface TaskTransition {
  status: TaskStatus;
  agentId: string;
  body?: string | undefined;
  metadata?: Meta | undefined;
  /** Set the assignee with this change (an unassigned task taken by the agent that moves it). */
  assignee?: string | undefined;
  /** Stored with the change; a task's outcome is set once, when it ends. */
  outcome?: TaskOutcome | undefined;
}

export interface NewCommand {
  id: string;
  type: string;
  target: string;
  /** The agent that answers for it (resolved from the target when it is created), or `supervisor`. */
  targetAgent: string;
  from: string;
  fromRole: SenderRole;
  params: Meta;
}

export interface StoredCommand {
  command: Command;
  /** Who answers for the command: the target agent itself, the agent behind a runnerId target, or `supervisor`. */
  targetAgent: string;
}

export interface LeaseClaim {
  key: string;
  agentId: string;
  instanceId: string;
  meta: Meta;
}

export interface AcquirePolicy {
  now: number;
  ttlMs: number;
  /** Live leases one agent may hold. */
  maxPerAgent: number;
  /** Whether the caller may take a live lease of its own agent from `holder` (another instance of it). */
  mayTakeOver: (holder: Lease) => boolean;
}

export type AcquireResult =
  | { ok: true; lease: Lease; renewed: boolean }
  | { ok: false; reason: "held"; holder: Lease }
  | { ok: false; reason: "limit"; held: number };

export type RenewResult = { ok: true; lease: Lease } | { ok: false; reason: "gone" | "other_holder" };

export interface RetentionCutoffs {
  /** Messages sent before this that were read by someone (or whose claim was completed) go; undefined: none. */
  readBefore: number | undefined;
  /** Every message sent before this goes; undefined: none. */
  allBefore: number | undefined;
  /** Attachments no message references, uploaded before this, go. */
  orphanBefore: number;
}

export interface RetentionResult {
  messages: number;
  attachments: number;
}
