// Bus (WebSocket) frames in both directions, as unions discriminated on `type`.
import { z } from "zod";
import { AgentId, AgentMeta, AgentStatus, Command, Message, MessageId, Receipt } from "./entities.ts";
import { AddressPart } from "./matching.ts";

export const HelloFrame = z.object({
  type: z.literal("hello"),
  /** The root token, or a runtime token of `agentId`; role `supervisor` takes the root token only. */
  token: z.string().min(1),
  /**
   * `provider`: a runner, registered as agent `agentId`. `supervisor`: the team supervisor (`up`), a component
   * that is not registered, receives no messages and has no status; it gets the `supervisor.*` commands, and
   * `agentId` only names it in the relay's log. One supervisor per relay: a newer one replaces the older (4409).
   */
  role: z.enum(["provider", "supervisor"]),
  /** The runner's id (runnerId). */
  componentId: z.string().min(1).max(128),
  agentId: AgentId,
  /** New for every run of the agent; the newest hello wins. */
  instanceId: z.string().min(1).max(128),
  machine: z.string().max(256).default(""),
  /** Each reachable as `cap:<capability>`, so each uses the `AddressPart` characters. */
  capabilities: z.array(AddressPart).max(256).default([]),
  /** Each reachable as `tag:<tag>`. */
  tags: z.array(AddressPart).max(256).default([]),
  /** Reachable as `label:<label>`. */
  label: AddressPart.optional(),
  meta: AgentMeta.default({}),
  /** The offline grace is 3 of these. */
  heartbeatIntervalMs: z.number().int().min(100).max(3_600_000).default(30_000),
  /** Initial status; `ready` always starts false. */
  status: AgentStatus.default("idle"),
});
export type HelloFrame = z.input<typeof HelloFrame>;

export const StatusFrame = z.object({
  type: z.literal("status"),
  agentStatus: AgentStatus,
  semanticStatus: z.string().max(64),
  ready: z.boolean(),
  /** Replaces the stored meta when present; omitted, the stored meta stays (as with HTTP PUT status). */
  meta: AgentMeta.optional(),
});
export type StatusFrame = z.input<typeof StatusFrame>;

export const HeartbeatFrame = z.object({
  type: z.literal("heartbeat"),
  /** Replaces the stored meta when present. */
  meta: AgentMeta.optional(),
});
/** Optional flow control; the relay accepts and ignores it. */
export const AckFrame = z.object({ type: z.literal("ack"), id: z.union([z.string(), z.number()]) });

export const ClientFrame = z.discriminatedUnion("type", [HelloFrame, StatusFrame, HeartbeatFrame, AckFrame]);
export type ClientFrame = z.infer<typeof ClientFrame>;

export const WelcomeFrame = z.object({
  type: z.literal("welcome"),
  sessionId: z.string(),
  /** Epoch ms on the relay. */
  serverTime: z.number(),
});
export const MessageNewFrame = z.object({ type: z.literal("message.new"), message: Message });
export const CommandFrame = z.object({ type: z.literal("command"), command: Command });
export const ErrorFrame = z.object({ type: z.literal("error"), code: z.string(), message: z.string() });
/** A recipient's receipt for a message moved: pushed to the sender's sessions and to the supervisor's. */
export const ReceiptFrame = z.object({ type: z.literal("receipt"), messageId: MessageId, receipt: Receipt });
export type ReceiptFrame = z.infer<typeof ReceiptFrame>;

export const ServerFrame = z.discriminatedUnion("type", [
  WelcomeFrame,
  MessageNewFrame,
  CommandFrame,
  ErrorFrame,
  ReceiptFrame,
]);
export type ServerFrame = z.infer<typeof ServerFrame>;
export type WelcomeFrame = z.infer<typeof WelcomeFrame>;
export type ErrorFrame = z.infer<typeof ErrorFrame>;

/** WebSocket close codes the relay uses when it ends a bus session on purpose. */
export const BUS_CLOSE = {
  normal: 1000,
  /** The relay is shutting down. */
  goingAway: 1001,
  protocolError: 4400,
  unauthorized: 4401,
  forbidden: 4403,
  /** A hello from a newer instance of the same agent (or a newer supervisor) took over; the client must not reconnect. */
  replaced: 4409,
  /** The agent was deregistered (DELETE /v1/agents/:id); the client must not reconnect. */
  deregistered: 4410,
  /** The session did not drain: its unsent frames passed the relay's cap, or stayed high too long. Reconnect and read unread. */
  slowReader: 4408,
  /** The agent already holds as many open sessions as the relay allows; the hello is refused. */
  tooManySessions: 4429,
} as const;

/** The bus URL for a relay base URL: http→ws, https→wss, path /v1/bus. */
export function busUrlFor(relayUrl: string): string {
  const u = new URL(relayUrl);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  u.pathname = `${u.pathname.replace(/\/+$/, "")}/v1/bus`;
  u.search = "";
  return u.toString();
}
