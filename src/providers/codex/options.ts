// The options a CodexAdapter is built with (src/providers/factory.ts fills them from the runner config).
import type { Clock } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import type { TeamProfileFile } from "../team-profile.ts";
import type { ApprovalMode, CodexModelProvider } from "./home.ts";
import type { CodexBinary } from "./process.ts";

export interface CodexAdapterOptions {
  /** The agent's private CODEX_HOME (config, sessions, skills); prepared on every spawn. */
  codexHome: string;
  /** Model slug; default gpt-5.5 (in Codex's bundled catalog, so it gets the apply_patch tool and real limits). */
  model?: string;
  /** Reasoning effort (low, medium, high, xhigh). */
  effort?: string;
  approvalMode?: ApprovalMode;
  /** Appended to the relay instructions (`--system-prompt-append`). */
  systemPromptAppend?: string;
  /** A Responses-API endpoint other than OpenAI (a proxy, a local model, a test fake). */
  modelProvider?: CodexModelProvider;
  /** Copy this auth.json (ChatGPT or API-key login) into CODEX_HOME when using OpenAI itself. */
  authJsonFrom?: string;
  skillsDir?: string;
  /** The team profile (--profile-file), projected into CODEX_HOME on every spawn. */
  profile?: TeamProfileFile;
  /** The thread of an earlier runner run, resumed when a spawn asks to resume. */
  resumeThreadId?: string;
  binary?: CodexBinary;
  /** Deadline for app-server start-up, handshake and first thread; default 20 s. */
  readyTimeoutMs?: number;
  /** Deadline of every JSON-RPC request; default 15 s. */
  requestTimeoutMs?: number;
  /** tmux socket name for the attach command; default `agent-relay-codex`. */
  tmuxSocket?: string;
  logger?: Logger;
  clock?: Clock;
}
