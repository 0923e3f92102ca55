// The control server's public surface: the server class, its schemas and events, and Claude's permission hook I/O.
export { type PermissionHookOutput, permissionAskFromHook, toPermissionHookOutput } from "./claude-hooks.ts";
export type { PublishResult } from "./delivery-stream.ts";
export { MAX_MONITOR_LINE, toMonitorLine } from "./monitor-line.ts";
export { type PendingPermission, TIMEOUT_REASON } from "./permission-broker.ts";
export { PROVIDER_SESSION_HEADER, type RelayCredentials } from "./routes.ts";
export * from "./schemas.ts";
export { SECRET_HEADER } from "./secret.ts";
export {
  CONTROL_ENV,
  type ControlEventListener,
  ControlServer,
  type ControlServerOptions,
  type ReplyObligationsSource,
  type TerminalSpecSource,
} from "./server.ts";
