// The relay store's contract: what any implementation (SQLite today, PostgreSQL next) must do and guarantee.
// Every method that needs the database answers a Promise; the change hooks are plain callbacks, told after the write.
import type {
  Agent,
  AttachmentRef,
  Command,
  CommandStatus,
  Lease,
  Message,
  Receipt,
  ReceiptState,
  Task,
  TaskStatus,
} from "../../protocol/index.ts";
import type {
  AcquirePolicy,
  AcquireResult,
  AgentLiveness,
  AgentRegistration,
  ClaimOutcome,
  LeaseClaim,
  MessageAddressing,
  NewCommand,
  NewMessage,
  NewTask,
  Recipient,
  RenewResult,
  RetentionCutoffs,
  RetentionResult,
  SettleOutcome,
  StoredCommand,
  TaskTransition,
} from "./records.ts";
import type { ReplicaSource } from "./replica-types.ts";

export type * from "./records.ts";
export type * from "./replica-types.ts";

/** The whole store: one database (or one cluster) behind every sub-store. */
export interface Store {
  messages: MessageStore;
  claims: ClaimStore;
  agents: AgentStore;
  tasks: TaskStore;
  commands: CommandStore;
  tokens: TokenStore;
  attachments: AttachmentStore;
  receipts: ReceiptStore;
  leases: LeaseStore;
  retention: RetentionStore;
  /** Present when other relays may write the same database (PostgreSQL): what this relay follows them by. */
  replicas?: ReplicaSource;
  /** Release the database; nothing is called after it. */
  close(): Promise<void>;
}

/** Agent rows: registration on bus hello, liveness, deregistration, the offline sweep. */
export interface AgentStore {
  /** Told the id of every agent whose row changed or went away, after the write; one listener. */
  onChange: ((id: string) => void) | undefined;
  /**
   * Upsert the row (a fresh hello starts not ready) and, only on an id's first registration ever, record its
   * origin: the last message id at that moment (kept across deregistration).
   */
  register(r: AgentRegistration, now: number): Promise<void>;
  /** The last message id when `id` first registered (older group messages are not its); 0 if it never did. */
  originOf(id: string): Promise<number>;
  get(id: string): Promise<Agent | undefined>;
  /** Every agent, by id. */
  list(): Promise<Agent[]>;
  /** The one agent that carries `label`, or undefined when none or several do. */
  soleAgentWithLabel(label: string): Promise<string | undefined>;
  /** The agent most recently registered under a runner's componentId. */
  agentForComponent(componentId: string): Promise<string | undefined>;
  /** Registered agents other than `exceptId` whose label or runner id (component_id) is `value`. */
  othersHolding(
    field: "label" | "component_id",
    value: string,
    exceptId: string,
  ): Promise<{ id: string; status: string }[]>;
  clearLabel(id: string): Promise<void>;
  /** Apply a liveness report (absent fields unchanged); every report also counts as a heartbeat at `now`. */
  touch(id: string, change: AgentLiveness, now: number): Promise<void>;
  /** Delete the row; false when there was none. */
  remove(id: string): Promise<boolean>;
  /**
   * In one statement, mark offline (not ready) every agent not in `connectedIds` that is not offline and whose
   * last heartbeat is 3 intervals old; answers their ids.
   */
  sweepOffline(connectedIds: readonly string[], now: number): Promise<string[]>;
}

/** Message rows and the inbox queries; new rows arrive only through insertBatch (see MessageWriter). */
export interface MessageStore {
  /**
   * Insert the messages in one transaction, all or none, in order (ids ascending), each with its attachment
   * links; answers them as stored. A failure rejects the whole batch (MessageWriter then retries them one by one).
   */
  insertBatch(batch: readonly NewMessage[]): Promise<Message[]>;
  exists(id: number): Promise<boolean>;
  /** Addressing of each existing id (missing ids are absent), without bodies, reads or reactions. */
  addressing(ids: readonly number[]): Promise<Map<number, MessageAddressing>>;
  /** The newest `limit` messages, oldest first. */
  recent(limit: number): Promise<Message[]>;
  get(id: number): Promise<Message | undefined>;
  /** Messages that reference attachment `attachmentId`, oldest first: `limit` with ids above `afterId`. */
  referencing(attachmentId: string, afterId: number, limit: number): Promise<Message[]>;
  /**
   * Addressed to the recipient (group messages only after its origin), not from it, not read by it; a claimable
   * one only while unsettled and unclaimed, claimed by it, or its claim expired at `now`. Oldest first.
   */
  unread(recipient: Recipient, afterId: number, limit: number, now: number): Promise<Message[]>;
  /** Everything addressed to the recipient, read or not, oldest first, after `afterId`. */
  history(recipient: Recipient, afterId: number, limit: number): Promise<Message[]>;
  /** The conversation `id` belongs to (its first stored ancestor by replyTo, and every reply below it). */
  thread(id: number, afterId: number, limit: number): Promise<Message[]>;
  /** replyRequired messages addressed to it (a claimable one: only its holder's) it has not replied to. */
  replyObligations(recipient: Recipient, limit: number): Promise<Message[]>;
}

/**
 * Claims, read marks and reactions. A claim, renew, release or complete is decided by one conditional write
 * (never read-then-write), so of racing claimers exactly one wins, on every replica; the refusal's reason is
 * read only after the write touched nothing. The *Many forms are one transaction each, in the order given.
 */
export interface ClaimStore {
  /** Take (or, as the live holder, renew) the claim unless another agent's claim is live or it is settled. */
  claim(id: number, agent: string, ttlMs: number, now: number): Promise<ClaimOutcome>;
  /** Extend the holder's claim (a lapsed one too, if nobody took it over). */
  renew(id: number, agent: string, ttlMs: number, now: number): Promise<ClaimOutcome>;
  release(id: number, agent: string): Promise<SettleOutcome>;
  /** Settle the claim for good; completing again by the same holder is a no-op success. */
  complete(id: number, agent: string, now: number): Promise<SettleOutcome>;
  claimMany(ids: readonly number[], agent: string, ttlMs: number, now: number): Promise<ClaimOutcome[]>;
  completeMany(ids: readonly number[], agent: string, now: number): Promise<SettleOutcome[]>;
  /**
   * Mark every id read in one transaction; answers how many were not read by `agent` before. The caller has
   * checked the ids exist; one deleted since (retention) is skipped.
   */
  markReadMany(ids: readonly number[], agent: string, now: number): Promise<number>;
  /** Mark read (twice is a no-op); false when the message does not exist. */
  markRead(id: number, agent: string, now: number): Promise<boolean>;
  /** Record a reaction (the same one twice is stored once); false when the message does not exist. */
  react(id: number, agent: string, reaction: string, now: number): Promise<boolean>;
}

/** Tasks and their append-only history. */
export interface TaskStore {
  /** Told every new task once it is stored; one listener. */
  onCreated: ((task: Task) => void) | undefined;
  /** Told every status change once it is stored; one listener. */
  onTransition: ((id: number, change: TaskTransition) => void) | undefined;
  /** Insert the task (`open`) and its first history entry in one transaction. */
  create(t: NewTask, now: number): Promise<Task>;
  /** The newest `limit` tasks, oldest first. */
  recent(limit: number): Promise<Task[]>;
  get(id: number): Promise<Task | undefined>;
  /** By id after `afterId`, filtered; `viewer` limits them to those it is assigned or created. */
  list(q: {
    status?: TaskStatus;
    assignee?: string;
    viewer?: string;
    afterId: number;
    limit: number;
  }): Promise<Task[]>;
  /** The status change and its history entry in one transaction; the caller has checked it is allowed. */
  transition(id: number, change: TaskTransition, now: number): Promise<void>;
}

/** Commands: created pending, moved on by their target, re-sent while pending to a session that says hello. */
export interface CommandStore {
  create(c: NewCommand, now: number): Promise<Command>;
  get(id: string): Promise<StoredCommand | undefined>;
  /** Pending commands for the agent they were resolved to at creation, oldest first. */
  pendingFor(agentId: string): Promise<Command[]>;
  /** The caller has checked the move is forward; result and error keep their old value when absent. */
  setStatus(
    id: string,
    status: CommandStatus,
    result: unknown,
    error: string | undefined,
    now: number,
  ): Promise<void>;
}

/**
 * Token state: the signing secret (made once, shared by every replica), issued token ids per agent, revocations.
 * Rows of expired tokens may be pruned on any write.
 */
export interface TokenStore {
  /** The HS256 secret for runtime tokens: generated on first start (the first writer wins), then read. */
  signingSecret(): Promise<Uint8Array>;
  /** Remember a token issued to `agentId` (`expiresAt` epoch s), so revokeAgent can find it. */
  recordIssued(jti: string, agentId: string, expiresAt: number, now: number): Promise<void>;
  /** Revoke `jti` from `effectiveAt` (epoch ms); revoking again keeps the earliest time. */
  revoke(jti: string, effectiveAt: number, expiresAt: number, now: number): Promise<void>;
  /**
   * A renewal's revocation, atomically: recorded only when `jti` has none yet; false (nothing written) when it
   * was already renewed or revoked, so of racing renewals exactly one goes on.
   */
  supersede(jti: string, effectiveAt: number, expiresAt: number, now: number): Promise<boolean>;
  /** Revoke, from `now`, every unexpired token recorded for `agentId`, in one transaction; answers how many. */
  revokeAgent(agentId: string, now: number): Promise<number>;
  /** True while `agentId` holds an unexpired, unrevoked token. */
  hasLiveToken(agentId: string, now: number): Promise<boolean>;
  /** The recorded expiry (epoch s) of an issued token, if recorded and not pruned. */
  issuedExpiry(jti: string): Promise<number | undefined>;
  /**
   * Checked on every request, so answered from memory: an implementation keeps a mirror of the revocations
   * (loaded at open, written through, and refreshed from the database when another replica revokes).
   */
  isRevoked(jti: string, now: number): boolean;
}

/** Attachment blobs, referenced from messages by id. */
export interface AttachmentStore {
  /** `uploadedBy` is the uploading token's agent ("root" for the root token). */
  create(ref: AttachmentRef, data: Uint8Array, uploadedBy: string, now: number): Promise<AttachmentRef>;
  /** Who uploaded it; undefined for an unknown id or an upload stored before uploaders were recorded. */
  uploader(id: string): Promise<string | undefined>;
  /** Bytes of stored attachments `agent` uploaded (its quota's use). */
  usedBy(agent: string): Promise<number>;
  get(id: string): Promise<AttachmentRef | undefined>;
  /** The refs for `ids` in the order given; unknown ids in `missing`. */
  resolve(ids: readonly string[]): Promise<{ refs: AttachmentRef[]; missing: string[] }>;
  content(id: string): Promise<{ name: string; mimeType: string; data: Uint8Array } | undefined>;
}

/** Delivery receipts: one per (message, recipient agent), whose state only moves forward (RECEIPT_RANK). */
export interface ReceiptStore {
  /**
   * Refused for good, in one transaction: the receipt (a second refusal keeps the first), a read mark, and the
   * agent's claim given back. Answers whether the receipt moved.
   */
  refuse(messageId: number, agentId: string, reason: string, now: number): Promise<boolean>;
  /**
   * Move the receipt to `state` in one conditional write when that is further on; answers the new receipt, or
   * undefined when it stood there or further. `midTurn` (learnt with `seen`) is kept by later states, and
   * recorded late when `seen` comes after `answered`.
   */
  advance(
    messageId: number,
    agentId: string,
    state: Exclude<ReceiptState, "refused">,
    now: number,
    midTurn?: boolean,
  ): Promise<Receipt | undefined>;
  forMessage(messageId: number): Promise<Receipt[]>;
}

/** Leases: one live holder (agent + runner instance) per key until it expires. */
export interface LeaseStore {
  /**
   * Take `c.key`: a free (absent or expired) key is taken; the same instance renews; another live holder keeps
   * it unless `mayTakeOver` says otherwise. Atomic (one transaction, the key's row locked), so two never both win.
   */
  acquire(c: LeaseClaim, p: AcquirePolicy): Promise<AcquireResult>;
  /** Extend a live lease held by exactly this instance. */
  renew(
    id: string,
    holder: { agentId: string; instanceId: string },
    now: number,
    ttlMs: number,
  ): Promise<RenewResult>;
  /** The lease with this id, if it has not expired. */
  live(id: string, now: number): Promise<Lease | undefined>;
  release(id: string): Promise<boolean>;
  /** Live leases, oldest first; `agentId` limits them to one holder. */
  list(now: number, limit: number, agentId?: string): Promise<Lease[]>;
  /** Renew every live lease whose holder is among `holders` and is its agent's registered, heartbeating instance. */
  renewHolders(
    holders: readonly { agentId: string; instanceId: string }[],
    now: number,
    ttlMs: number,
  ): Promise<number>;
  /** Delete expired leases; answers how many went. */
  deleteExpired(now: number): Promise<number>;
}

/** Retention: old messages (with every row that points at them) and orphaned attachments, in short transactions. */
export interface RetentionStore {
  sweep(c: RetentionCutoffs): Promise<RetentionResult>;
}
