// Zod schemas for everything that crosses the control server's HTTP boundary, and the events it raises.
import { z } from "zod";
import { Message, MessageId, PermissionDecision } from "../protocol/index.ts";

export const MINUTE_MS = 60_000;
export const DEFAULT_PERMISSION_TIMEOUT_MS = 5 * MINUTE_MS;
export const MAX_PERMISSION_TIMEOUT_MS = 30 * MINUTE_MS;

export const ProviderSessionId = z.string().min(1).max(200);

const withSession = <E extends string, T extends z.ZodRawShape>(event: E, shape: T) =>
  z.strictObject({ event: z.literal(event), providerSessionId: ProviderSessionId, ...shape });

/** `POST /v1/provider/status`: one provider status update, discriminated on `event`. */
export const ProviderStatusUpdate = z.discriminatedUnion("event", [
  withSession("turn-started", { turnId: z.string().max(200).optional() }),
  withSession("turn-stopped", { turnId: z.string().max(200).optional() }),
  withSession("subagent-started", {
    subagentId: z.string().min(1).max(200),
    label: z.string().max(200).optional(),
  }),
  withSession("subagent-stopped", { subagentId: z.string().min(1).max(200) }),
  withSession("compaction-started", {}),
  withSession("compaction-completed", {}),
  withSession("failure", { reason: z.string().min(1).max(4000), turnId: z.string().max(200).optional() }),
  withSession("session-ended", { reason: z.string().min(1).max(200) }),
  withSession("needs-input", {
    reason: z.string().min(1).max(4000),
    screen: z.string().max(20_000).optional(),
  }),
  withSession("input-resolved", {}),
  withSession("context-usage", {
    usedTokens: z.number().int().nonnegative(),
    maxTokens: z.number().int().positive().optional(),
  }),
  withSession("delivery-confirmed", { messageId: MessageId }),
]);
export type ProviderStatusUpdate = z.infer<typeof ProviderStatusUpdate>;

export const PermissionTimeoutMs = z.number().int().positive().max(MAX_PERMISSION_TIMEOUT_MS);

/** `POST /v1/permissions`: a provider asks for a decision and waits for it. */
export const PermissionRequestBody = z.strictObject({
  providerSessionId: ProviderSessionId,
  tool: z.string().min(1).max(200),
  detail: z.string().max(64_000),
  metadata: z.record(z.string(), z.unknown()).optional(),
  timeoutMs: PermissionTimeoutMs.optional(),
});
export type PermissionRequestBody = z.infer<typeof PermissionRequestBody>;

/** The answer to a permission request (the long-poll's response body). */
export const PermissionAnswer = z.object({
  approvalId: z.string(),
  decision: PermissionDecision,
  reason: z.string().optional(),
});
export type PermissionAnswer = z.infer<typeof PermissionAnswer>;

/** What the runner hands to `publishDelivery`: one relay message as one short monitor line. */
export const DeliveryLineInput = z.object({
  messageId: MessageId,
  line: z.string(),
});
export type DeliveryLineInput = z.infer<typeof DeliveryLineInput>;

/** The JSON carried in each delivery-stream event's `data:` line. `line` is one sanitised line of ≤ 500 chars. */
export const DeliveryStreamItem = z.object({ messageId: MessageId, line: z.string().max(500) });
export type DeliveryStreamItem = z.infer<typeof DeliveryStreamItem>;

export const ReplyObligationsResponse = z.object({ messages: z.array(Message) });
export type ReplyObligationsResponse = z.infer<typeof ReplyObligationsResponse>;

// Hook payload fields that are event-specific are "lenient": a value of the wrong type reads as absent,
// so a Claude Code update that changes one field never costs us the whole event.
const lenient = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

/** A raw Claude Code hook payload (stdin JSON of a command hook). Unknown fields pass through. */
export const ClaudeHookPayload = z.looseObject({
  hook_event_name: z.string().min(1).max(64),
  session_id: z.string().min(1).max(200),
  cwd: lenient(z.string()),
  /** The session's transcript (JSONL): delivery confirmation and context usage read it. */
  transcript_path: lenient(z.string()),
  /** The model id, on SessionStart (`…[1m]` names the 1M-token window). */
  model: lenient(z.string()),
  prompt_id: lenient(z.string()),
  prompt: lenient(z.string()),
  tool_name: lenient(z.string()),
  tool_input: lenient(z.record(z.string(), z.unknown())),
  tool_use_id: lenient(z.string()),
  permission_suggestions: lenient(z.array(z.unknown())),
  agent_id: lenient(z.string()),
  agent_type: lenient(z.string()),
  error: lenient(z.string()),
  last_assistant_message: lenient(z.string()),
  reason: lenient(z.string()),
  source: lenient(z.string()),
  message: lenient(z.string()),
  notification_type: lenient(z.string()),
  trigger: lenient(z.string()),
});
export type ClaudeHookPayload = z.infer<typeof ClaudeHookPayload>;

/** What Claude Code hands its statusLine command (stdin JSON) that the runner reads: the session's running cost. */
export const ClaudeStatusLine = z.looseObject({
  session_id: z.string().min(1).max(200),
  cost: lenient(z.looseObject({ total_cost_usd: lenient(z.number().nonnegative()) })),
});
export type ClaudeStatusLine = z.infer<typeof ClaudeStatusLine>;

/** Hook event names as they appear in the route `/v1/hooks/:event`. */
export const HookEventName = z.string().regex(/^[A-Za-z]{1,64}$/, "hook event names are 1–64 letters");

/** Events about the control server itself (not the provider), discriminated on `type`. */
export type ControlEvent =
  /** A delivery-stream reader connected; `resumedAfter` is the Last-Event-ID it sent, if any. */
  | { type: "monitor.connected"; clientId: string; monitors: number; resumedAfter?: string }
  | { type: "monitor.disconnected"; clientId: string; monitors: number }
  /** A reconnecting reader asked to resume from an id whose successors are no longer buffered (or not ours). */
  | { type: "monitor.resume-gap"; clientId: string; lastEventId: string }
  /** The monitor (or a hook) says it printed this message's line. Printing is not the model seeing it. */
  | { type: "monitor.acked"; messageId: number }
  /** A raw hook payload arrived (after validation): the Claude adapter interprets it (providers/claude/hooks.ts). */
  | { type: "hook.received"; providerSessionId: string; payload: ClaudeHookPayload }
  /** Claude's statusLine command reported (after each update): its session's cost so far, when it says. */
  | { type: "status-line.received"; providerSessionId: string; costUsd?: number };
export type ControlEventType = ControlEvent["type"];
