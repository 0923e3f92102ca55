// The Codex provider's public surface.
export { CodexAdapter, type CodexAdapterOptions } from "./adapter.ts";
export {
  APPROVAL_MODE_SETTINGS,
  APPROVAL_MODES,
  type ApprovalMode,
  type CodexModelProvider,
  prepareCodexHome,
  renderCodexConfig,
} from "./home.ts";
export { resolveCodexBinary } from "./process.ts";
