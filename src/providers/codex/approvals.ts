// Tracks Codex approval requests: turns them into relay permission requests and maps relay decisions back to Codex's.
import type { PermissionDecision } from "../../protocol/index.ts";
import type { Logger } from "../../util/logger.ts";
import type { PermissionRequest } from "../adapter.ts";
import type { RpcId, RpcServerRequest } from "./rpc.ts";
import { type CodexDecision, CommandApprovalParams, FileChangeApprovalParams } from "./schemas.ts";

export const COMMAND_APPROVAL = "item/commandExecution/requestApproval";
export const FILE_CHANGE_APPROVAL = "item/fileChange/requestApproval";

export const DECISION_TO_CODEX: Readonly<Record<PermissionDecision, CodexDecision>> = {
  approve: "accept",
  "approve-session": "acceptForSession",
  deny: "decline",
  abort: "cancel",
};

interface PendingApproval {
  rpcId: RpcId;
  turnId: string;
}

interface ItemFacts {
  command?: string;
  diff?: string;
}

export type ApprovalParseResult =
  | { kind: "request"; request: PermissionRequest; threadId: string }
  | { kind: "invalid"; error: string }
  | { kind: "not-an-approval" };

export class ApprovalTracker {
  private readonly pending = new Map<string, PendingApproval>();
  /** Facts from item/started, because a file-change request carries no diff: it lives on the item with the same id. */
  private readonly items = new Map<string, ItemFacts>();

  /** Remember what an item will do (its command or diff) for a later approval request. */
  noteItem(item: {
    type: string;
    id: string;
    command?: string;
    changes?: { path: string; diff?: string }[];
  }): void {
    if (item.type === "commandExecution" && item.command) this.items.set(item.id, { command: item.command });
    if (item.type === "fileChange" && item.changes) {
      const diff = item.changes.map((c) => `--- ${c.path}\n${c.diff ?? ""}`).join("\n");
      this.items.set(item.id, { diff });
    }
  }

  /** Parse a server request; approvals become permission requests keyed by item id (plus Codex's callback id when set). */
  parse(request: RpcServerRequest): ApprovalParseResult {
    if (request.method === COMMAND_APPROVAL) {
      const p = CommandApprovalParams.safeParse(request.params);
      if (!p.success) return { kind: "invalid", error: p.error.message };
      const approvalId = p.data.approvalId ? `${p.data.itemId}:${p.data.approvalId}` : p.data.itemId;
      const detail = p.data.command ?? this.items.get(p.data.itemId)?.command ?? "(command not given)";
      return {
        kind: "request",
        threadId: p.data.threadId,
        request: {
          approvalId,
          tool: "exec_command",
          detail,
          metadata: { itemId: p.data.itemId, turnId: p.data.turnId, cwd: p.data.cwd, reason: p.data.reason },
        },
      };
    }
    if (request.method === FILE_CHANGE_APPROVAL) {
      const p = FileChangeApprovalParams.safeParse(request.params);
      if (!p.success) return { kind: "invalid", error: p.error.message };
      return {
        kind: "request",
        threadId: p.data.threadId,
        request: {
          approvalId: p.data.itemId,
          tool: "apply_patch",
          detail: this.items.get(p.data.itemId)?.diff ?? "(diff not seen)",
          metadata: {
            itemId: p.data.itemId,
            turnId: p.data.turnId,
            reason: p.data.reason,
            grantRoot: p.data.grantRoot,
          },
        },
      };
    }
    return { kind: "not-an-approval" };
  }

  add(approvalId: string, rpcId: RpcId, turnId: string): void {
    this.pending.set(approvalId, { rpcId, turnId });
  }

  /** Remove and return the Codex request id to answer, or undefined when the approval is unknown or settled. */
  take(approvalId: string): RpcId | undefined {
    const p = this.pending.get(approvalId);
    if (!p) return undefined;
    this.pending.delete(approvalId);
    this.items.delete(approvalId.split(":")[0] ?? approvalId);
    return p.rpcId;
  }

  /** serverRequest/resolved: the approval whose request id this was (answered by anyone, or cancelled). */
  resolvedByRpcId(rpcId: RpcId): string | undefined {
    for (const [approvalId, p] of this.pending) {
      if (p.rpcId === rpcId) {
        this.pending.delete(approvalId);
        return approvalId;
      }
    }
    return undefined;
  }

  /** Approvals still open for a turn that ended; Codex settles them itself, so they only need closing on our side. */
  drainTurn(turnId: string): string[] {
    const ids = [...this.pending].filter(([, p]) => p.turnId === turnId).map(([id]) => id);
    for (const id of ids) this.pending.delete(id);
    return ids;
  }

  drainAll(): string[] {
    const ids = [...this.pending.keys()];
    this.pending.clear();
    this.items.clear();
    return ids;
  }

  get size(): number {
    return this.pending.size;
  }
}

/**
 * A server request as an approval for this thread: tracked and announced (true), declined when malformed (true),
 * left alone when it belongs to another thread on the shared server (true), or not an approval at all (false).
 */
export function routeApprovalRequest(
  request: RpcServerRequest,
  o: {
    tracker: ApprovalTracker;
    threadId: string | undefined;
    decline: (id: RpcId) => void;
    emit: (event: { type: "permission.requested"; request: PermissionRequest }) => void;
    logger: Logger;
  },
): boolean {
  const parsed = o.tracker.parse(request);
  if (parsed.kind === "not-an-approval") return false;
  if (parsed.kind === "invalid") {
    o.logger.warn(
      { method: request.method, error: parsed.error },
      "invalid codex approval request; declined",
    );
    o.decline(request.id);
    return true;
  }
  // Another thread's approval (a person's side thread on a shared server): leave it to the client that owns it.
  if (parsed.threadId !== o.threadId) return true;
  const turnId = String(parsed.request.metadata?.turnId ?? "");
  o.tracker.add(parsed.request.approvalId, request.id, turnId);
  o.emit({ type: "permission.requested", request: parsed.request });
  return true;
}
