// Active work items → the runner's semantic status, with change events fired only when something actually changed.
import type { AgentStatus, SemanticStatus } from "../protocol/index.ts";
import type { Clock } from "../util/clock.ts";
import { TypedEmitter } from "../util/emitter.ts";

export const WORK_KINDS = [
  "provider-turn",
  "subagent",
  "message",
  "task",
  "command",
  "compacting",
  "permission",
] as const;
export type WorkKind = (typeof WORK_KINDS)[number];

export interface WorkItemInput {
  /** Unique within its kind (a message id, a subagent id, a command id...). */
  id: string;
  kind: WorkKind;
  label?: string;
  role?: string;
  parentId?: string;
  metadata?: Record<string, unknown>;
}

export interface WorkItem extends WorkItemInput {
  startedAt: number;
}

/**
 * Conditions the runner sets besides work. Precedence, highest first:
 *   offline > error > needs-input > starting > busy (any work item) > idle
 * offline: provider gone or runner stopping; error: provider failed / crash loop; needs-input: a dialog or
 * permission waits for a person; starting: provider spawning, not ready for input yet.
 */
export const CONDITIONS = ["offline", "error", "needs-input", "starting"] as const;
export type Condition = (typeof CONDITIONS)[number];
export type TrackerStatus = Extract<SemanticStatus, Condition | "busy" | "idle">;

export interface WorkTrackerChange {
  status: TrackerStatus;
  previousStatus: TrackerStatus;
  /** Active items at the time of the change, oldest first. */
  items: readonly WorkItem[];
}
export type WorkTrackerListener = (change: WorkTrackerChange) => void;

export interface WorkTrackerOptions {
  clock: Clock;
  /** Called with a listener's exception; the other listeners still run. Default: one line on stderr. */
  onListenerError?: (error: unknown) => void;
}

const keyOf = (kind: WorkKind, id: string) => `${kind}\u0000${id}`;

/** On the wire AgentStatus has four values: needs-input and starting count as busy (not free for new work). */
export function toAgentStatus(status: TrackerStatus): AgentStatus {
  if (status === "offline" || status === "error" || status === "idle") return status;
  return "busy";
}

export class WorkTracker {
  private readonly items = new Map<string, WorkItem>();
  private readonly conditions = new Map<Condition, string | undefined>();
  private readonly emitter: TypedEmitter<{ change: WorkTrackerChange }>;
  private listenerCount = 0;
  private current: TrackerStatus = "idle";

  constructor(private readonly options: WorkTrackerOptions) {
    const sink = options.onListenerError;
    this.emitter = new TypedEmitter(sink ? (_event, e) => sink(e) : undefined);
  }

  /** Adds an item; re-adding an active (kind, id) keeps the original and returns false. O(1). */
  add(input: WorkItemInput): boolean {
    const key = keyOf(input.kind, input.id);
    if (this.items.has(key)) return false;
    this.items.set(key, { ...input, startedAt: this.options.clock.now() });
    this.changed(true);
    return true;
  }

  /** Removes an item; false when it was not active. O(1). */
  remove(kind: WorkKind, id: string): boolean {
    const removed = this.items.delete(keyOf(kind, id));
    if (removed) this.changed(true);
    return removed;
  }

  /** Removes every item of these kinds (e.g. turns and subagents on restart); one event. Returns how many. */
  clearKinds(kinds: readonly WorkKind[]): number {
    const wanted = new Set(kinds);
    let n = 0;
    for (const [key, item] of this.items) {
      if (wanted.has(item.kind)) {
        this.items.delete(key);
        n++;
      }
    }
    if (n > 0) this.changed(true);
    return n;
  }

  has(kind: WorkKind, id: string): boolean {
    return this.items.has(keyOf(kind, id));
  }

  get(kind: WorkKind, id: string): WorkItem | undefined {
    return this.items.get(keyOf(kind, id));
  }

  /** Active items, oldest first, optionally only of some kinds. */
  list(kinds?: readonly WorkKind[]): WorkItem[] {
    const all = [...this.items.values()];
    return kinds ? all.filter((i) => kinds.includes(i.kind)) : all;
  }

  get size(): number {
    return this.items.size;
  }

  /** Turns a condition on (with an optional reason, kept for status meta) or off. */
  setCondition(condition: Condition, active: boolean, reason?: string): void {
    if (active) this.conditions.set(condition, reason);
    else this.conditions.delete(condition);
    this.changed(false);
  }

  hasCondition(condition: Condition): boolean {
    return this.conditions.has(condition);
  }

  conditionReason(condition: Condition): string | undefined {
    return this.conditions.get(condition);
  }

  get semanticStatus(): TrackerStatus {
    return this.current;
  }

  get agentStatus(): AgentStatus {
    return toAgentStatus(this.current);
  }

  /** Distinct kinds of active work, in WORK_KINDS order: why the agent is busy. */
  busyReasons(): WorkKind[] {
    const present = new Set<WorkKind>();
    for (const item of this.items.values()) present.add(item.kind);
    return WORK_KINDS.filter((k) => present.has(k));
  }

  onChange(listener: WorkTrackerListener): () => void {
    const off = this.emitter.on("change", listener);
    this.listenerCount++;
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.listenerCount--;
      off();
    };
  }

  private derive(): TrackerStatus {
    for (const c of CONDITIONS) if (this.conditions.has(c)) return c;
    return this.items.size > 0 ? "busy" : "idle";
  }

  private changed(itemsChanged: boolean): void {
    const previousStatus = this.current;
    this.current = this.derive();
    if (!itemsChanged && previousStatus === this.current) return;
    if (this.listenerCount === 0) return;
    // A copy, so a listener that keeps the change sees that moment; O(items) per event, O(1) without listeners.
    this.emitter.emit("change", { status: this.current, previousStatus, items: this.list() });
  }
}
