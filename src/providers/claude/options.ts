// What a ClaudeAdapter is built from: the launch options plus delivery, readiness and timing knobs.
import type { Clock } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import type { PublishToMonitor } from "./deliver.ts";
import type { LaunchOptions } from "./spawn.ts";

export interface ClaudeAdapterOptions extends LaunchOptions {
  /** Whether hook payloads will arrive through `handleControlEvent` (default true); readiness then needs SessionStart. */
  hooksWired?: boolean;
  /** Hand one line to the monitor's delivery stream (ControlServer.publishDelivery); `accepted: false` = no monitor. */
  publishToMonitor?: PublishToMonitor;
  /** Claude's session id from a previous runner run, resumed when the first spawn asks to resume. */
  resumeSessionId?: string;
  /** With the monitor armed, how long a spawn waits for it to connect before reporting ready (default 10 s). */
  monitorWaitMs?: number;
  /** Spawn fails (PROVIDER_NOT_READY) when Claude is not at its prompt by then (default 30 s). */
  readyTimeoutMs?: number;
  /** How long deliver() waits for the model to see a message before answering `written` (default 5 s). */
  confirmTimeoutMs?: number;
  /** How long deliver() waits for a dialog to close before failing so the runner retries (default 20 s). */
  dialogWaitMs?: number;
  clock?: Clock;
  logger?: Logger;
}
