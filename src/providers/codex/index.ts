// The Codex provider's public surface.
export { CodexAdapter } from "./adapter.ts";
export {
  APPROVAL_MODE_SETTINGS,
  APPROVAL_MODES,
  type ApprovalMode,
  type CodexModelProvider,
  prepareCodexHome,
  renderCodexConfig,
} from "./home.ts";
export type { CodexAdapterOptions } from "./options.ts";
export { resolveCodexBinary } from "./process.ts";
