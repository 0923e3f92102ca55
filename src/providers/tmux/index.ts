// The tmux layer: a private server per runner, sanitised paste, allow-listed keys.
export { isTmuxKey, type TmuxKey, validateTmuxKeys } from "./keys.ts";
export { type PasteOptions, pasteSanitized } from "./paste.ts";
export { endProcess, isProcessRunning, waitForProcessEnd } from "./process.ts";
export { DEFAULT_TMUX_TIMEOUT_MS, isTmuxAbsent, runTmux, type TmuxRunOptions, tmuxBaseArgs } from "./run.ts";
export { FORBIDDEN_IN_PASTE, sanitizeForPaste } from "./sanitize.ts";
export { agentTmuxSocket, tmuxName, tmuxSocketPath } from "./socket-name.ts";
export {
  type CaptureOptions,
  type NewSessionOptions,
  type PaneExit,
  type PaneRef,
  type PaneStatus,
  Tmux,
  type WaitForExitOptions,
} from "./tmux.ts";
