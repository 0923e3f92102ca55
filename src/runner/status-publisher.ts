// Publishes the agent's status on the bus: coalesces bursts of changes into one frame and carries the runtime meta.
import type { BusStatus } from "../relay-client/index.ts";
import { CONDITIONS, type Condition, type WorkTracker } from "./work-tracker.ts";

export interface TimelineEvent {
  event: string;
  at: number;
  [key: string]: unknown;
}

export interface StatusPublisherOptions {
  work: WorkTracker;
  send: (frame: BusStatus) => void;
  ready: () => boolean;
  /** Extra meta merged into every frame (provider state, auth summary, transport state...). */
  meta: () => Record<string, unknown>;
  now: () => number;
}

export class StatusPublisher {
  private scheduled = false;
  private lifecycleAction: string | undefined;
  private timeline: TimelineEvent[] = [];
  private last: BusStatus | undefined;

  constructor(private readonly o: StatusPublisherOptions) {}

  /** Ask for a publish; several requests in one tick send one frame. */
  publish(lifecycleAction?: string): void {
    if (lifecycleAction) this.lifecycleAction = lifecycleAction;
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** A timeline event rides on the next frame (e.g. `runtime-token-renewed`). */
  timelineEvent(event: string, data: Record<string, unknown> = {}): void {
    this.timeline.push({ ...data, event, at: this.o.now() });
    this.publish();
  }

  /** Send now (shutdown paths cannot wait a tick). */
  flush(): BusStatus {
    const frame = this.snapshot();
    this.lifecycleAction = undefined;
    this.timeline = [];
    this.last = frame;
    this.o.send(frame);
    return frame;
  }

  /** The frame that would be sent now. */
  snapshot(): BusStatus {
    const work = this.o.work;
    const items = work.list();
    const subagents = items.filter((i) => i.kind === "subagent");
    return {
      agentStatus: work.agentStatus,
      semanticStatus: work.semanticStatus,
      ready: this.o.ready(),
      meta: {
        ...this.o.meta(),
        lifecycleAction: this.lifecycleAction,
        busyReasons: work.busyReasons(),
        activeWork: items.map((i) => ({ kind: i.kind, id: i.id, label: i.label, startedAt: i.startedAt })),
        activeSubagents: subagents.map((s) => ({ id: s.id, label: s.label })),
        subagentCount: subagents.length,
        conditionReason: isCondition(work.semanticStatus)
          ? work.conditionReason(work.semanticStatus)
          : undefined,
        timeline: this.timeline.length > 0 ? this.timeline : undefined,
      },
    };
  }

  get lastFrame(): BusStatus | undefined {
    return this.last;
  }
}

function isCondition(s: string): s is Condition {
  return (CONDITIONS as readonly string[]).includes(s);
}
