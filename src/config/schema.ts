// The runner's configuration as one zod schema: the source of the RunnerConfig type and of every value rule.
import { z } from "zod";
import { ADDRESS_PART_PATTERN, AGENT_ID_PATTERN, isTargetForm } from "../protocol/index.ts";
import { durationMs } from "../util/duration.ts";
import { parseRelayUrlList } from "./relay-url-list.ts";

export const PROVIDERS = ["claude", "codex", "command"] as const;
export const APPROVAL_MODES = ["default", "auto", "read-only", "full"] as const;
/** --isolate: off; on (refuse to start without it); auto (use it where bubblewrap works, say so either way). */
export const ISOLATE_MODES = ["off", "auto", "on"] as const;
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
/** --task-completion: auto (idle after the turn → done) or explicit (the agent reports the task). */
export const TASK_COMPLETION_MODES = ["auto", "explicit"] as const;
/** --stall-after bounds: at least a second, at most a week. */
const MAX_STALL_AFTER_MS = 7 * 86_400_000;
/** The command provider's idle detection needs a quiet period long enough to outlast a screen redraw. */
export const MIN_QUIET_MS = 50;

// The relay's rule for what follows `label:`, `tag:` and `cap:` (and for hello's labels, tags, capabilities).
const addressPart = (what: string) =>
  z
    .string()
    .regex(ADDRESS_PART_PATTERN, { error: `expected a ${what} of 1-128 letters, digits or . _ @ : / -` });

// The relay's AgentId rule (the protocol's pattern and target-form check), with messages that read well after "expected".
const agentIdValue = z
  .string()
  .regex(AGENT_ID_PATTERN, { error: "expected 1-128 letters, digits or . _ @ : - (not only dots)" })
  .refine((s) => !isTargetForm(s), {
    error: "expected an id that is not 'broadcast' and does not start with label:, tag: or cap:",
  });

const nonEmpty = z.string().min(1, { error: "expected a non-empty value" });

// One relay URL or a comma-separated list (failover order); the error names the bad item.
const relayUrl = z.string().superRefine((s, ctx) => {
  const list = parseRelayUrlList(s);
  if (!list.ok) ctx.addIssue({ code: "custom", message: list.error });
});

const regexSource = z.string().refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { error: "expected a valid regular expression" },
);

// Token expiry is epoch seconds (JWT `exp`); a millisecond value would push renewal ~50,000 years out.
const epochSeconds = z
  .number()
  .int({ error: "expected an integer (epoch seconds)" })
  .positive({ error: "expected a positive epoch-seconds value" })
  .max(99_999_999_999, { error: "expected epoch seconds, not milliseconds" });

// tmux treats `:` and `.` in a target as window/pane separators.
const tmuxSessionName = z
  .string()
  .regex(/^[A-Za-z0-9_@/-]{1,128}$/, { error: "expected 1-128 letters, digits or _ @ / - (no : or .)" });

/** A positive amount of USD, from a flag's text or a number. */
const usd = (error: string) =>
  z.preprocess(
    (v) => (typeof v === "string" && v.trim() !== "" ? Number(v) : v),
    z.number({ error }).positive({ error }).finite({ error }),
  );

const PRICE_RULE = "expected <in>,<out>: USD per million input and output tokens, e.g. 1.25,10";
const tokenPrice = z.preprocess(
  (v) => {
    if (typeof v !== "string") return v;
    const parts = v.split(",").map((p) => p.trim());
    if (parts.length !== 2 || parts.some((p) => p === "")) return undefined;
    return { inputUsdPerMtok: Number(parts[0]), outputUsdPerMtok: Number(parts[1]) };
  },
  z.object(
    {
      inputUsdPerMtok: z
        .number({ error: PRICE_RULE })
        .nonnegative({ error: PRICE_RULE })
        .finite({ error: PRICE_RULE }),
      outputUsdPerMtok: z
        .number({ error: PRICE_RULE })
        .nonnegative({ error: PRICE_RULE })
        .finite({ error: PRICE_RULE }),
    },
    { error: PRICE_RULE },
  ),
);

export const RunnerConfigSchema = z.object({
  provider: z.enum(PROVIDERS, { error: `expected one of ${PROVIDERS.join("|")}` }),
  /** argv after `--`: extra arguments for claude/codex, the program and its arguments for `command`. */
  providerArgs: z.array(z.string()),
  /** Absent: the runner starts the embedded relay in-process. */
  relayUrl: relayUrl.optional(),
  token: nonEmpty.optional(),
  /** Read into `token` at parse time; kept so errors can name where the token came from. */
  tokenFile: nonEmpty.optional(),
  startTimeoutMs: z
    .number()
    .int({ error: "expected an integer >= 1000" })
    .min(1_000, { error: "expected an integer >= 1000" })
    .optional(),
  isolate: z.enum(ISOLATE_MODES, { error: `expected one of ${ISOLATE_MODES.join("|")}` }),
  tokenJti: nonEmpty.optional(),
  tokenProfile: nonEmpty.optional(),
  tokenExpiresAt: epochSeconds.optional(),
  agentId: agentIdValue,
  runnerId: agentIdValue,
  label: addressPart("label").optional(),
  /** Union of provider name, AGENT_RELAY_TAGS, --tag, provider default tags and `headless` (see computeTags). */
  tags: z.array(addressPart("tag")),
  /** AGENT_RELAY_TAGS ∪ --tag only, so the tag union can be recomputed with an adapter's default tags. */
  requestedTags: z.array(addressPart("tag")),
  capabilities: z.array(addressPart("capability")),
  /** Absolute path of an existing directory. */
  cwd: nonEmpty,
  /** Absolute, symlink-free path; when set, cwd lies inside it. */
  workspace: nonEmpty.optional(),
  /** Run the provider in its own git worktree (src/runner/worktree.ts); cwd is then the repository's checkout. */
  worktree: z.boolean(),
  model: nonEmpty.optional(),
  modelBaseUrl: z
    .string()
    .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), {
      error: "expected an http(s):// URL",
    })
    .optional(),
  effort: nonEmpty.optional(),
  approvalMode: z.enum(APPROVAL_MODES, { error: `expected one of ${APPROVAL_MODES.join("|")}` }),
  headless: z.boolean(),
  /** Re-run in the background (its output to ~/.agent-relay/logs/<agent>.log) and return once it is up. */
  detach: z.boolean(),
  prompt: nonEmpty.optional(),
  systemPromptAppend: nonEmpty.optional(),
  profile: nonEmpty.optional(),
  /** Absolute path of the team profile file (see src/runner/profile-file.ts). */
  profileFile: nonEmpty.optional(),
  tmuxSession: tmuxSessionName.optional(),
  policyName: nonEmpty.optional(),
  spawnRequestId: nonEmpty.optional(),
  /** false: after agent.shutdown/agent.kill the runner stops the provider and deregisters but keeps running. */
  exitOnShutdown: z.boolean(),
  logLevel: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join("|")}` }),
  /** Explicit provider executable; resolve the default with resolveProviderBin. */
  providerBin: nonEmpty.optional(),
  /** Regex source (not compiled, so the frozen config holds no stateful RegExp). */
  readyPattern: regexSource.optional(),
  quietMs: z
    .number()
    .int({ error: `expected an integer >= ${MIN_QUIET_MS}` })
    .min(MIN_QUIET_MS, { error: `expected an integer >= ${MIN_QUIET_MS}` })
    .optional(),
  /** Absolute path. */
  runnerInfoFile: nonEmpty.optional(),
  /** false: only direct and label: messages reach this agent (no broadcast, tag:, cap:). */
  broadTargets: z.boolean(),
  /** The embedded relay (when this runner starts one) fsyncs every commit: synchronous=FULL. */
  durable: z.boolean(),
  taskCompletion: z.enum(TASK_COMPLETION_MODES, {
    error: `expected one of ${TASK_COMPLETION_MODES.join("|")}`,
  }),
  /** Milliseconds (parsed from a duration such as 10m). */
  stallAfterMs: durationMs(1_000, MAX_STALL_AFTER_MS),
  /** USD: once the agent's cost reaches it, no new work (runner/usage-meter.ts). */
  maxCostUsd: usd("expected a number of USD above 0").optional(),
  /** USD per million input and output tokens (from `<in>,<out>`), for providers that report no cost. */
  tokenPrice: tokenPrice.optional(),
  /** claude provider: arm the relay monitor; false pastes every message (the monitor misbehaves, paste-path tests). */
  claudeMonitor: z.boolean(),
});

type Deep<T> = { readonly [K in keyof T]: T[K] extends (infer E)[] ? readonly E[] : T[K] };
/** The parsed, validated, frozen runner configuration. */
export type RunnerConfig = Deep<z.infer<typeof RunnerConfigSchema>>;
export type ProviderName = RunnerConfig["provider"];
export type ApprovalMode = RunnerConfig["approvalMode"];
export type LogLevel = RunnerConfig["logLevel"];
