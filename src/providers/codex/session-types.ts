// CodexSession's types: the events it emits, the settings of its thread, and its turn's state.
import type { ProviderEvent } from "../adapter.ts";
import type { Work } from "./work-queue.ts";

/** A provider event before the adapter stamps it with the spawn's session id. */
export type SessionEvent = ProviderEvent extends infer E
  ? E extends unknown
    ? Omit<E, "providerSessionId">
    : never
  : never;

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
