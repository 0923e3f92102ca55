// Bus (WebSocket) frames in both directions, as unions discriminated on `type`.
import { z } from "zod";
import { AgentId, AgentStatus, Command, Message, Meta } from "./entities.ts";

export const HelloFrame = z.object({
  type: z.literal("hello"),
  token: z.string().min(1),
  role: z.literal("provider"),
  componentId: z.string().min(1).max(128),
  agentId: AgentId,
  instanceId: z.string().min(1).max(128),
  machine: z.string().max(256).default(""),
  capabilities: z.array(z.string().max(128)).max(256).default([]),
  tags: z.array(z.string().max(128)).max(256).default([]),
  label: z.string().max(128).optional(),
  meta: Meta.default({}),
  heartbeatIntervalMs: z.number().int().min(100).max(3_600_000).default(30_000),
  status: AgentStatus.default("idle"),
});
export type HelloFrame = z.input<typeof HelloFrame>;

export const StatusFrame = z.object({
  type: z.literal("status"),
  agentStatus: AgentStatus,
  semanticStatus: z.string().max(64),
  ready: z.boolean(),
  meta: Meta.default({}),
});
export type StatusFrame = z.input<typeof StatusFrame>;

export const HeartbeatFrame = z.object({ type: z.literal("heartbeat"), meta: Meta.optional() });
export const AckFrame = z.object({ type: z.literal("ack"), id: z.union([z.string(), z.number()]) });

export const ClientFrame = z.discriminatedUnion("type", [HelloFrame, StatusFrame, HeartbeatFrame, AckFrame]);
export type ClientFrame = z.infer<typeof ClientFrame>;

export const WelcomeFrame = z.object({
  type: z.literal("welcome"),
  sessionId: z.string(),
  serverTime: z.number(),
});
export const MessageNewFrame = z.object({ type: z.literal("message.new"), message: Message });
export const CommandFrame = z.object({ type: z.literal("command"), command: Command });
export const ErrorFrame = z.object({ type: z.literal("error"), code: z.string(), message: z.string() });

export const ServerFrame = z.discriminatedUnion("type", [
  WelcomeFrame,
  MessageNewFrame,
  CommandFrame,
  ErrorFrame,
]);
export type ServerFrame = z.infer<typeof ServerFrame>;
export type WelcomeFrame = z.infer<typeof WelcomeFrame>;
export type ErrorFrame = z.infer<typeof ErrorFrame>;

/** WebSocket close codes the relay uses when it ends a bus session on purpose. */
export const BUS_CLOSE = {
  normal: 1000,
  protocolError: 4400,
  unauthorized: 4401,
  forbidden: 4403,
  replaced: 4409,
} as const;

/** The bus URL for a relay base URL: http→ws, https→wss, path /v1/bus. */
export function busUrlFor(relayUrl: string): string {
  const u = new URL(relayUrl);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  u.pathname = `${u.pathname.replace(/\/+$/, "")}/v1/bus`;
  u.search = "";
  return u.toString();
}
