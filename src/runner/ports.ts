// The slice of the relay client the runner's parts depend on, so each part names exactly what it uses.
import type { RelayHttpClient } from "../relay-client/index.ts";

export type RelayApi = Pick<
  RelayHttpClient,
  | "getUnread"
  | "claim"
  | "claimMany"
  | "renewClaim"
  | "releaseClaim"
  | "completeClaim"
  | "completeClaims"
  | "markRead"
  | "markReadMany"
  | "refuseMessage"
  | "call"
  | "setTaskStatus"
  | "getTask"
  | "setCommandStatus"
  | "downloadAttachment"
  | "renewToken"
  | "getReplyObligations"
  | "putStatus"
  | "putReady"
  | "heartbeat"
  | "liveness"
  | "deregister"
>;
