// The command provider's options, validated once at construction into a frozen object.
import { z } from "zod";
import { type Clock, systemClock } from "../../util/clock.ts";
import { RunnerError } from "../../util/errors.ts";
import type { Logger } from "../../util/logger.ts";
import { silentLogger } from "../../util/logger.ts";
import { toStatelessPattern } from "./status.ts";

const Schema = z.object({
  /** Program and arguments (what follows `--` on the runner's command line). */
  command: z.array(z.string()).min(1, { error: "expected a program to run (after --)" }),
  /** Working directory; default: the spawn context's cwd. */
  cwd: z.string().min(1).optional(),
  /** Extra environment for the program; the runner's own variables (spawn context) win on conflict. */
  env: z.record(z.string(), z.string()).default({}),
  tmuxSocket: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, { error: "expected 1-100 letters, digits or . _ -" }),
  tmuxSession: z
    .string()
    .regex(/^[A-Za-z0-9_@/-]{1,128}$/, { error: "expected 1-128 letters, digits or _ @ / -" }),
  readyPattern: z.union([z.string(), z.instanceof(RegExp)]).optional(),
  /** Still screen for this long = ready (start-up, without a pattern) or turn complete. */
  quietMs: z.number().int().min(50).default(1_500),
  /** Start-up must reach ready within this long, or spawn fails with PROVIDER_NOT_READY. */
  spawnDeadlineMs: z.number().int().positive().default(30_000),
  /** Gap between paste and Enter: some TUIs swallow an Enter that arrives with the paste. */
  enterDelayMs: z.number().int().min(0).default(150),
  /** Screen poll interval while a turn is pending or active (and during start-up). */
  activePollMs: z.number().int().positive().default(150),
  /** Poll interval while idle: only the pane's liveness is read. */
  idlePollMs: z.number().int().positive().default(1_000),
  /** Drop a delivery's turn if the screen shows no reaction for this long; default max(3 s, 2 × quietMs). */
  pendingTimeoutMs: z.number().int().positive().optional(),
  width: z.number().int().min(20).max(1000).default(200),
  height: z.number().int().min(5).max(1000).default(50),
});

export type CommandAdapterInput = z.input<typeof Schema> & {
  clock?: Clock;
  logger?: Logger;
  /** Wraps the program's argv (a sandbox, src/providers/isolation.ts). */
  wrapCommand?: (argv: readonly string[]) => string[];
};

export type CommandAdapterOptions = Readonly<
  Omit<z.output<typeof Schema>, "readyPattern" | "pendingTimeoutMs"> & {
    readyPattern?: RegExp;
    pendingTimeoutMs: number;
    clock: Clock;
    logger: Logger;
    wrapCommand?: (argv: readonly string[]) => string[];
  }
>;

/** Validate and default the options; a bad one throws CONFIG_INVALID naming it. */
export function parseCommandAdapterOptions(input: CommandAdapterInput): CommandAdapterOptions {
  const { clock, logger, wrapCommand, ...rest } = input;
  const parsed = Schema.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RunnerError(
      "CONFIG_INVALID",
      `command provider option ${issue.path.join(".")}: ${issue.message}`,
    );
  }
  const o = parsed.data;
  let readyPattern: RegExp | undefined;
  try {
    readyPattern = o.readyPattern === undefined ? undefined : toStatelessPattern(o.readyPattern);
  } catch (e) {
    throw new RunnerError("CONFIG_INVALID", `command provider option readyPattern: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return Object.freeze({
    ...o,
    readyPattern,
    pendingTimeoutMs: o.pendingTimeoutMs ?? Math.max(3_000, 2 * o.quietMs),
    clock: clock ?? systemClock,
    logger: logger ?? silentLogger(),
    wrapCommand,
  });
}
