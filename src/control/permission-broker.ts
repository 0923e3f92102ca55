// Holds permission requests until the runner decides, the deadline passes, the asker goes away, or the server stops.
import { randomUUID } from "node:crypto";
import type { PermissionDecision } from "../protocol/index.ts";
import type { ProviderEvent } from "../providers/adapter.ts";
import type { Clock, TimerHandle } from "../util/clock.ts";
import type { PermissionAnswer } from "./schemas.ts";

export const TIMEOUT_REASON = "timed out waiting for a decision on the relay";

export interface PermissionAsk {
  providerSessionId: string;
  tool: string;
  detail: string;
  metadata?: Record<string, unknown>;
  timeoutMs: number;
}

/** A request still waiting, as `pendingPermissions()` lists it. */
export interface PendingPermission {
  approvalId: string;
  providerSessionId: string;
  tool: string;
  detail: string;
  metadata?: Record<string, unknown>;
  requestedAt: number;
  expiresAt: number;
}

interface Entry {
  info: PendingPermission;
  timer: TimerHandle;
  settle: (answer: PermissionAnswer) => void;
}

export interface PermissionBrokerOptions {
  clock: Clock;
  emit: (event: ProviderEvent) => void;
  newId?: () => string;
}

export class PermissionBroker {
  private readonly pending = new Map<string, Entry>();
  private readonly newId: () => string;

  constructor(private readonly options: PermissionBrokerOptions) {
    this.newId = options.newId ?? randomUUID;
  }

  /**
   * Emit `permission.requested` and wait. Resolves with the decision, a deny on timeout, or `abort` when
   * `signal` fires (the asker disconnected; nobody reads that answer). Every request leaves with exactly one
   * `permission.resolved` event, whatever ended it.
   */
  request(ask: PermissionAsk, signal: AbortSignal): Promise<PermissionAnswer> {
    const approvalId = this.newId();
    const now = this.options.clock.now();
    const info: PendingPermission = {
      approvalId,
      providerSessionId: ask.providerSessionId,
      tool: ask.tool,
      detail: ask.detail,
      ...(ask.metadata ? { metadata: ask.metadata } : {}),
      requestedAt: now,
      expiresAt: now + ask.timeoutMs,
    };
    return new Promise<PermissionAnswer>((resolve) => {
      const onAbort = () => this.settle(approvalId, "abort", "the requester disconnected");
      const timer = this.options.clock.setTimeout(
        () => this.settle(approvalId, "deny", TIMEOUT_REASON),
        ask.timeoutMs,
      );
      this.pending.set(approvalId, {
        info,
        timer,
        settle: (answer) => {
          signal.removeEventListener("abort", onAbort);
          resolve(answer);
        },
      });
      this.options.emit({
        type: "permission.requested",
        providerSessionId: ask.providerSessionId,
        request: {
          approvalId,
          tool: ask.tool,
          detail: ask.detail,
          ...(ask.metadata ? { metadata: ask.metadata } : {}),
        },
      });
      // Checked after registering so an already-aborted signal still yields the requested/resolved pair.
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Answer a pending request; false when the id is unknown (already answered, timed out, or never asked). */
  resolve(approvalId: string, decision: PermissionDecision, reason?: string): boolean {
    return this.settle(approvalId, decision, reason);
  }

  list(): PendingPermission[] {
    return [...this.pending.values()].map((e) => ({ ...e.info }));
  }

  get size(): number {
    return this.pending.size;
  }

  /** Answer every pending request with `decision` (used on stop). */
  settleAll(decision: PermissionDecision, reason: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id, decision, reason);
  }

  private settle(approvalId: string, decision: PermissionDecision, reason?: string): boolean {
    const entry = this.pending.get(approvalId);
    if (!entry) return false;
    this.pending.delete(approvalId);
    entry.timer.cancel();
    entry.settle({ approvalId, decision, ...(reason !== undefined ? { reason } : {}) });
    this.options.emit({
      type: "permission.resolved",
      providerSessionId: entry.info.providerSessionId,
      approvalId,
    });
    return true;
  }
}
