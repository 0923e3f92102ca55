// Options about how a runner ends its tasks: who says a task is done, and when an unreported one has stalled
// (see docs/outcomes.md). Part of the one option table (RUNNER_OPTIONS in options.ts).
import type { OptionSpec } from "./options.ts";
import { TASK_COMPLETION_MODES } from "./schema.ts";

export const TASK_OPTIONS: readonly OptionSpec[] = [
  {
    key: "taskCompletion",
    flag: "--task-completion",
    env: "AGENT_RELAY_TASK_COMPLETION",
    kind: "string",
    placeholder: `<${TASK_COMPLETION_MODES.join("|")}>`,
    description:
      "auto: a task is done when its turn ends; explicit: when the agent reports it (task done|partial|fail)",
    defaultValue: "auto",
  },
  {
    key: "stallAfterMs",
    flag: "--stall-after",
    env: "AGENT_RELAY_STALL_AFTER",
    kind: "string",
    placeholder: "<duration>",
    description:
      "explicit completion: idle this long with the task unreported → a nudge; again → it fails `stalled`",
    defaultValue: "10m",
  },
];
