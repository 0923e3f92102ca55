// Rows to records, shared by both store implementations. Column types are read loosely: SQLite answers integers
// and 0/1 flags, PostgreSQL's client answers bigint columns as strings and flags as booleans.
import type {
  Agent,
  AgentStatus,
  AttachmentRef,
  Command,
  CommandStatus,
  Lease,
  Message,
  Reaction,
  SenderRole,
} from "../../protocol/index.ts";
import type { NewCommand, NewMessage } from "./records.ts";

/** An integer column (SQLite) or a bigint one (PostgreSQL, as a string); epoch ms and ids fit in 2^53. */
type Int = number | string;
/** A 0/1 column (SQLite) or a boolean one (PostgreSQL). */
type Flag = number | boolean;

export function num(v: Int): number {
  return typeof v === "number" ? v : Number(v);
}

function flag(v: Flag): boolean {
  return v === true || v === 1;
}

export interface MessageRow {
  id: Int;
  sender: string;
  target: string;
  resolved_to_agent: string | null;
  kind: string;
  subject: string | null;
  body: string;
  payload: string;
  claimable: Flag;
  urgent: Flag;
  claimed_by: string | null;
  claim_expires_at: Int | null;
  completed_at: Int | null;
  reply_to: Int | null;
  attachments: string;
  created_at: Int;
}

export function toMessage(row: MessageRow, readBy: string[], reactions: Reaction[]): Message {
  const m: Message = {
    id: num(row.id),
    from: row.sender,
    to: row.target,
    kind: row.kind,
    body: row.body,
    payload: JSON.parse(row.payload),
    claimable: flag(row.claimable),
    readBy,
    reactions,
    attachments: JSON.parse(row.attachments),
    createdAt: num(row.created_at),
  };
  if (flag(row.urgent)) m.urgent = true;
  if (row.resolved_to_agent !== null) m.resolvedToAgent = row.resolved_to_agent;
  if (row.subject !== null) m.subject = row.subject;
  if (row.claimed_by !== null) m.claimedBy = row.claimed_by;
  if (row.claim_expires_at !== null) m.claimExpiresAt = num(row.claim_expires_at);
  if (row.completed_at !== null) m.claimCompletedAt = num(row.completed_at);
  if (row.reply_to !== null) m.replyTo = num(row.reply_to);
  return m;
}

/** A message just inserted with `id`, as insertBatch answers it (no reads or reactions yet). */
export function storedMessage(m: NewMessage, id: number): Message {
  const message: Message = {
    id,
    from: m.from,
    to: m.to,
    kind: m.kind,
    body: m.body,
    payload: m.payload,
    claimable: m.claimable,
    readBy: [],
    reactions: [],
    attachments: m.attachments,
    createdAt: m.createdAt,
  };
  if (m.urgent) message.urgent = true;
  if (m.resolvedToAgent !== undefined) message.resolvedToAgent = m.resolvedToAgent;
  if (m.subject !== undefined) message.subject = m.subject;
  if (m.replyTo !== undefined) message.replyTo = m.replyTo;
  return message;
}

export interface AgentRow {
  id: string;
  instance_id: string;
  component_id: string;
  machine: string;
  status: string;
  semantic_status: string;
  ready: Flag;
  capabilities: string;
  tags: string;
  label: string | null;
  meta: string;
  heartbeat_interval_ms: Int;
  connected_at: Int;
  last_heartbeat_at: Int;
}

export function toAgent(row: AgentRow): Agent {
  const a: Agent = {
    id: row.id,
    instanceId: row.instance_id,
    role: "provider",
    componentId: row.component_id,
    machine: row.machine,
    status: row.status as AgentStatus,
    semanticStatus: row.semantic_status,
    ready: flag(row.ready),
    capabilities: JSON.parse(row.capabilities),
    tags: JSON.parse(row.tags),
    meta: JSON.parse(row.meta),
    connectedAt: num(row.connected_at),
    lastHeartbeatAt: num(row.last_heartbeat_at),
  };
  if (row.label !== null) a.label = row.label;
  return a;
}

export interface CommandRow {
  id: string;
  type: string;
  target: string;
  target_agent: string;
  sender: string | null;
  sender_role: string | null;
  params: string;
  status: string;
  result: string | null;
  error: string | null;
  created_at: Int;
  updated_at: Int;
}

export function toCommand(row: CommandRow): Command {
  const c: Command = {
    id: row.id,
    type: row.type,
    target: row.target,
    ...(row.sender !== null ? { from: row.sender } : {}),
    ...(row.sender_role !== null ? { fromRole: row.sender_role as SenderRole } : {}),
    params: JSON.parse(row.params),
    status: row.status as CommandStatus,
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
  if (row.result !== null) c.result = JSON.parse(row.result);
  if (row.error !== null) c.error = row.error;
  return c;
}

/** A command just created, as create answers it. */
export function pendingCommand(c: NewCommand, now: number): Command {
  return {
    id: c.id,
    type: c.type,
    target: c.target,
    from: c.from,
    fromRole: c.fromRole,
    params: c.params,
    status: "pending",
    createdAt: now,
    updatedAt: now,
  };
}

export interface LeaseRow {
  key: string;
  id: string;
  agent_id: string;
  instance_id: string;
  meta: string;
  acquired_at: Int;
  renewed_at: Int;
  expires_at: Int;
}

export function toLease(row: LeaseRow): Lease {
  return {
    id: row.id,
    key: row.key,
    agentId: row.agent_id,
    instanceId: row.instance_id,
    meta: JSON.parse(row.meta),
    acquiredAt: num(row.acquired_at),
    renewedAt: num(row.renewed_at),
    expiresAt: num(row.expires_at),
  };
}

/** The refs found for `ids`, in the order asked; ids not found go to `missing`. */
export function refsInOrder(
  ids: readonly string[],
  found: ReadonlyMap<string, AttachmentRef>,
): { refs: AttachmentRef[]; missing: string[] } {
  const refs: AttachmentRef[] = [];
  const missing: string[] = [];
  for (const id of ids) {
    const ref = found.get(id);
    if (ref) refs.push(ref);
    else missing.push(id);
  }
  return { refs, missing };
}
