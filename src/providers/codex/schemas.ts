// zod schemas for the Codex app-server JSON-RPC messages this provider reads (0.169 stable protocol, extra fields allowed).
import { z } from "zod";

const RpcId = z.union([z.number(), z.string()]);

/** Any incoming frame: a response, a server request (has method and id) or a notification (method, no id). */
export const IncomingMessage = z.union([
  z.object({ id: RpcId, method: z.string(), params: z.unknown().optional() }),
  z.object({ method: z.string(), params: z.unknown().optional() }),
  z.object({ id: RpcId, result: z.unknown() }),
  z.object({
    id: RpcId,
    error: z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() }),
  }),
]);
export type IncomingMessage = z.infer<typeof IncomingMessage>;

export const InitializeResult = z.object({ userAgent: z.string(), codexHome: z.string().optional() });

export const ThreadRef = z.object({ id: z.string(), path: z.string().nullish() });

/** `thread/start` and `thread/resume` both answer with the thread plus its effective settings. */
export const ThreadOpenResult = z.object({
  thread: ThreadRef,
  model: z.string().nullish(),
  reasoningEffort: z.string().nullish(),
});
export type ThreadOpenResult = z.infer<typeof ThreadOpenResult>;

export const TurnError = z.object({
  message: z.string(),
  codexErrorInfo: z.unknown().nullish(),
  additionalDetails: z.string().nullish(),
});

export const Turn = z.object({
  id: z.string(),
  status: z.enum(["inProgress", "completed", "interrupted", "failed"]),
  error: TurnError.nullish(),
});
export type Turn = z.infer<typeof Turn>;

export const TurnStartResult = z.object({ turn: Turn });
export const TurnSteerResult = z.object({ turnId: z.string() });
export const EmptyResult = z.object({}).loose();

export const TurnNotification = z.object({ threadId: z.string(), turn: Turn });

export const ThreadStatus = z.discriminatedUnion("type", [
  z.object({ type: z.literal("active"), activeFlags: z.array(z.string()) }),
  z.object({ type: z.literal("idle") }),
  z.object({ type: z.literal("systemError") }),
  z.object({ type: z.literal("notLoaded") }),
]);
export const ThreadStatusChanged = z.object({ threadId: z.string(), status: ThreadStatus });

const Breakdown = z.object({ totalTokens: z.number(), inputTokens: z.number() });
export const TokenUsageUpdated = z.object({
  threadId: z.string(),
  tokenUsage: z.object({ total: Breakdown, last: Breakdown, modelContextWindow: z.number().nullish() }),
});

export const ErrorNotification = z.object({
  threadId: z.string(),
  turnId: z.string().nullish(),
  willRetry: z.boolean(),
  error: TurnError,
});

/** Thread items we look at; every other item type passes through untouched. */
export const ThreadItem = z
  .object({
    type: z.string(),
    id: z.string(),
    /** userMessage: the `clientUserMessageId` the input was sent with. */
    clientId: z.string().nullish(),
    command: z.string().optional(),
    changes: z.array(z.object({ path: z.string(), diff: z.string().optional() }).loose()).optional(),
  })
  .loose();
export const ItemNotification = z.object({
  threadId: z.string(),
  turnId: z.string().optional(),
  item: ThreadItem,
});

export const CommandApprovalParams = z.object({
  threadId: z.string(),
  turnId: z.string(),
  itemId: z.string(),
  approvalId: z.string().nullish(),
  reason: z.string().nullish(),
  command: z.string().nullish(),
  cwd: z.string().nullish(),
});
export type CommandApprovalParams = z.infer<typeof CommandApprovalParams>;

export const FileChangeApprovalParams = z.object({
  threadId: z.string(),
  turnId: z.string(),
  itemId: z.string(),
  reason: z.string().nullish(),
  grantRoot: z.string().nullish(),
});
export type FileChangeApprovalParams = z.infer<typeof FileChangeApprovalParams>;

export const ServerRequestResolved = z.object({ threadId: z.string(), requestId: RpcId });

export type CodexDecision = "accept" | "acceptForSession" | "decline" | "cancel";
