// CodexSession's types: the settings of its thread and its turn's state.
import type { Work } from "./work-queue.ts";

export interface ThreadSettings {
  cwd: string;
  model: string;
  effort?: string;
  developerInstructions: string;
}

/** idle → dispatching (request sent) → running (turn/started) → idle (turn/completed). */
export type TurnState =
  | { kind: "idle" }
  | { kind: "dispatching"; work: Work; dispatched: Promise<void> }
  | { kind: "running"; turnId: string; waitingOnApproval: boolean; work?: Work };
